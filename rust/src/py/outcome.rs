//! Python values of the finishing stage's results ([`LineOutcome`]).
//!
//! A line is `(line, text, (before, date, after), failures, ignored_by,
//! prefregex_matched, error, invalid_date, far_from_now, no_date_match,
//! no_id_group)`; a failure is `(regex, time, data, id_kind, id_text,
//! id_cidr)` with `id_kind` 0 (pending, no id), 1 (`Address.of(id_text,
//! id_cidr)`) or 2 (a host name to resolve). `data` is fail2ban's failure
//! dict; an `ip` address in it is made by the `address_of` callable.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PySet, PyString, PyTuple};

use crate::filter::fields::{Fields, Key, TupleLine, Value};
use crate::filter::{FailureId, FoundFailure, LineOutcome};

pub const ID_PENDING: u8 = 0;
pub const ID_RAW: u8 = 1;
pub const ID_DNS: u8 = 2;

/// Converts the outcomes of one run; the dict keys (group names shared by
/// every failure of the chunk) are made into Python strings once each.
pub struct Converter<'py> {
    py: Python<'py>,
    address_of: &'py Bound<'py, PyAny>,
    /// Python string of each key (a key hashes as its address).
    keys: HashMap<Key, Bound<'py, PyString>, ByAddress>,
    /// Python tuple of each line, by the line's address (kept alive the
    /// same way): a line is in its outcome and in the `matches` of its
    /// failures, and in those of the later failures of its session.
    lines: HashMap<usize, (TupleLine, Bound<'py, PyTuple>), ByAddress>,
}

/// Hashes an address (the maps above are keyed by addresses, which need
/// no SipHash: a multiplication spreads them well enough).
type ByAddress = BuildHasherDefault<AddressHasher>;

#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

impl<'py> Converter<'py> {
    pub fn new(py: Python<'py>, address_of: &'py Bound<'py, PyAny>) -> Self {
        Converter {
            py,
            address_of,
            keys: HashMap::default(),
            lines: HashMap::default(),
        }
    }

    pub fn outcome(&mut self, outcome: LineOutcome) -> PyResult<Bound<'py, PyTuple>> {
        let py = self.py;
        let failures = PyList::empty(py);
        for failure in outcome.failures {
            failures.append(self.failure(failure)?)?;
        }
        (
            outcome.line,
            outcome.tuple_line.text.as_str(),
            self.line(&outcome.tuple_line)?,
            failures,
            outcome.ignored_by,
            outcome.prefregex_matched,
            outcome.error,
            outcome.invalid_date,
            outcome.far_from_now,
            outcome.no_date_match,
            outcome.no_id_group,
        )
            .into_pyobject(py)
    }

    fn failure(&mut self, failure: FoundFailure) -> PyResult<Bound<'py, PyTuple>> {
        let (kind, text, cidr) = match failure.id {
            FailureId::Pending => (ID_PENDING, None, 0),
            FailureId::Raw { text, cidr } => (ID_RAW, Some(text), cidr),
            FailureId::Dns { text } => (ID_DNS, Some(text), 0),
        };
        (
            failure.regex,
            failure.when,
            self.fields(&failure.data)?,
            kind,
            text,
            cidr,
        )
            .into_pyobject(self.py)
    }

    fn line(&mut self, line: &TupleLine) -> PyResult<Bound<'py, PyTuple>> {
        let at = Arc::as_ptr(line) as usize;
        if let Some((_, tuple)) = self.lines.get(&at) {
            return Ok(tuple.clone());
        }
        let tuple = line_to_py(self.py, line)?;
        self.lines.insert(at, (line.clone(), tuple.clone()));
        Ok(tuple)
    }

    fn key(&mut self, key: Key) -> Bound<'py, PyString> {
        let py = self.py;
        self.keys
            .entry(key)
            .or_insert_with(|| PyString::intern(py, key.as_str()))
            .clone()
    }

    fn fields(&mut self, fields: &Fields) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(self.py);
        for (key, value) in fields.iter() {
            let key = self.key(key);
            out.set_item(key, self.value(value)?)?;
        }
        Ok(out)
    }

    fn value(&mut self, value: &Value) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match value {
            Value::None => py.None().into_bound(py),
            Value::Str(s) => PyString::new(py, s).into_any(),
            Value::Int(i) => i.into_pyobject(py)?.into_any(),
            Value::Tuple(items) => PyTuple::new(py, items.iter().map(|i| i.as_deref()))?.into_any(),
            Value::Users(users) => {
                let set = PySet::empty(py)?;
                for user in users {
                    set.add(self.value(user)?)?;
                }
                set.into_any()
            }
            Value::Lines(lines) => {
                let list = PyList::empty(py);
                for line in lines {
                    list.append(self.line(line)?)?;
                }
                list.into_any()
            }
            Value::Addr(text, cidr) => self.address_of.call1((text, *cidr))?,
        })
    }
}

fn line_to_py<'py>(py: Python<'py>, line: &TupleLine) -> PyResult<Bound<'py, PyTuple>> {
    line.pieces().into_pyobject(py)
}
