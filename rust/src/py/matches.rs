//! `hyperban._core.Matches`: the matches of one scan, kept as Rust records
//! and turned into Python tuples only when they are read.
//!
//! A scan of a busy log confirms tens of thousands of lines per megabyte.
//! Building a tuple and a dict for each one at once took a quarter of the
//! scan's time (and woke Python's cyclic collector over and over), even for
//! callers that only count the matches or read a few of them. The records
//! hold their groups as Rust strings already; only the Python objects wait.

use std::sync::Arc;

use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PySlice, PyString, PyTuple};

use crate::matcher::LineMatch;

/// Interned group names of every pattern of a set, by position in the set;
/// shared by the set and every result it returns.
pub(crate) type GroupNames = Arc<Vec<Vec<Py<PyString>>>>;

/// A read-only sequence of `(line_number, byte_offset, pattern_id,
/// {group: str | None})` tuples, in line order.
#[pyclass(name = "Matches", module = "hyperban._core", frozen, sequence)]
pub struct PyMatches {
    matches: Vec<LineMatch>,
    names: GroupNames,
}

impl PyMatches {
    pub(crate) fn new(matches: Vec<LineMatch>, names: GroupNames) -> PyMatches {
        PyMatches { matches, names }
    }

    fn item<'py>(&self, py: Python<'py>, m: &LineMatch) -> PyResult<Bound<'py, PyTuple>> {
        let groups = PyDict::new(py);
        let names = self.names.get(m.index).map(Vec::as_slice).unwrap_or(&[]);
        for (name, value) in names.iter().zip(&m.groups) {
            groups.set_item(name.bind(py), value.as_deref())?;
        }
        (m.line, m.offset, m.pattern, groups).into_pyobject(py)
    }

    fn to_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for m in &self.matches {
            list.append(self.item(py, m)?)?;
        }
        Ok(list)
    }
}

#[pymethods]
impl PyMatches {
    fn __len__(&self) -> usize {
        self.matches.len()
    }

    /// An index (negative counts from the end) gives one tuple; a slice
    /// gives a list of them.
    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let len = self.matches.len();
        if let Ok(slice) = index.downcast::<PySlice>() {
            let range = slice.indices(isize::try_from(len).unwrap_or(isize::MAX))?;
            let list = PyList::empty(py);
            let mut at = range.start;
            for _ in 0..range.slicelength {
                // `indices` keeps every visited position inside 0..len.
                if let Some(m) = usize::try_from(at).ok().and_then(|i| self.matches.get(i)) {
                    list.append(self.item(py, m)?)?;
                }
                at += range.step;
            }
            return Ok(list.into_any());
        }
        let at: isize = index.extract()?;
        let position = if at < 0 {
            len.checked_sub(at.unsigned_abs())
        } else {
            Some(at.unsigned_abs())
        };
        match position.and_then(|i| self.matches.get(i)) {
            Some(m) => Ok(self.item(py, m)?.into_any()),
            None => Err(PyIndexError::new_err("match index out of range")),
        }
    }

    fn __iter__(slf: Bound<'_, Self>) -> MatchesIter {
        MatchesIter {
            matches: slf.unbind(),
            next: 0,
        }
    }

    /// Every match as a list of tuples.
    fn tolist<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.to_list(py)
    }

    /// Equal to any sequence holding the same tuples (a list from the
    /// `python` engine, say).
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.downcast::<PyMatches>() {
            Ok(other) => Ok(self.matches == other.get().matches),
            Err(_) => self.to_list(py)?.eq(other),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Matches({})", self.to_list(py)?.repr()?))
    }
}

/// Iterates a [`PyMatches`], building each tuple as it is reached.
#[pyclass(module = "hyperban._core")]
pub struct MatchesIter {
    matches: Py<PyMatches>,
    next: usize,
}

#[pymethods]
impl MatchesIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let matches = self.matches.get();
        let Some(m) = matches.matches.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        matches.item(py, m).map(Some)
    }
}
