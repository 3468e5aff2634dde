//! Binding of [`crate::filter::FilterProgram`] (`hyperban._core.FilterProgram`).
//!
//! ```python
//! prog = FilterProgram(scan, pre, fail, detector, fail_count=..., ignore_count=...,
//!                      has_prefregex=..., ignore_first=..., skip_comments=...)
//! prog.run(data: bytes, now: float, last_date: float | None, last_time_text: str)
//! ```
//! The program shares the filter's compiled `PatternSet`s and its
//! `DateDetector` (whose state the run advances). `run` returns
//! `(scan_limit_hit, lines, processed, prefregex_only, limit_hits, records,
//! last_date, last_time_text)`; a record is `(line, text, before, date_text,
//! after, when, no_date, last_date, pre, fail, error, invalid_date)` where
//! `pre`/`fail` are `{pattern_id: {group: str | None}}` or `None` when that
//! set was not evaluated. The GIL is released while the chunk runs.

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::date_detector::PyDateDetector;
use super::pattern_set::PyPatternSet;
use crate::filter::{
    split_id, split_scan, DateCarry, FilterProgram, FilterShape, SetMatches, IGNORE_BASE,
    MULTI_SHIFT, PREF_ID,
};
use crate::matcher::{LineReport, MatcherError};

/// A single-line filter's exact stage over one chunk per call.
#[pyclass(name = "FilterProgram", module = "hyperban._core", frozen)]
pub struct PyFilterProgram {
    shape: FilterShape,
    scan: Py<PyPatternSet>,
    pre: Option<Py<PyPatternSet>>,
    fail: Py<PyPatternSet>,
    detector: Py<PyDateDetector>,
}

#[pymethods]
impl PyFilterProgram {
    #[new]
    #[pyo3(signature = (
        scan, pre, fail, detector, *, fail_count, ignore_count, has_prefregex,
        ignore_first, skip_comments
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        scan: Py<PyPatternSet>,
        pre: Option<Py<PyPatternSet>>,
        fail: Py<PyPatternSet>,
        detector: Py<PyDateDetector>,
        fail_count: usize,
        ignore_count: usize,
        has_prefregex: bool,
        ignore_first: bool,
        skip_comments: bool,
    ) -> PyResult<Self> {
        let fail_ids = fail.get().inner.ids();
        if !fail_ids
            .iter()
            .map(|&id| id as usize)
            .eq(1..=fail_count + ignore_count)
        {
            return Err(PyValueError::new_err(
                "the fail set must hold the failregexes (ids 1..) then the ignoreregexes",
            ));
        }
        let scan_ok = scan.get().inner.ids().iter().all(|&id| {
            (id < IGNORE_BASE && (id as usize) < fail_count)
                || (id >= IGNORE_BASE && ((id - IGNORE_BASE) as usize) < ignore_count)
        });
        if !scan_ok {
            return Err(PyValueError::new_err(
                "scan ids must be failregex indexes or IGNORE_BASE + ignoreregex index",
            ));
        }
        let content_group = match (&pre, has_prefregex) {
            (Some(pre), true) => {
                let set = &pre.get().inner;
                let index = set
                    .ids()
                    .iter()
                    .position(|&id| id == PREF_ID)
                    .ok_or_else(|| PyValueError::new_err("the pre set has no prefregex (id 0)"))?;
                set.group_names(index).iter().position(|&n| n == "content")
            }
            (None, true) => return Err(PyValueError::new_err("a prefregex needs a pre set")),
            _ => None,
        };
        if ignore_count > 0 && pre.is_none() {
            return Err(PyValueError::new_err("ignoreregexes need a pre set"));
        }
        Ok(PyFilterProgram {
            shape: FilterShape {
                fail_count,
                ignore_count,
                has_prefregex,
                content_group,
                ignore_first,
                skip_comments,
            },
            scan,
            pre,
            fail,
            detector,
        })
    }

    /// Runs one chunk of `\n`-terminated lines at time `now`.
    fn run<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        now: f64,
        last_date: Option<f64>,
        last_time_text: String,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let carry = DateCarry {
            last_date,
            last_time_text,
        };
        self.run_with(py, data, now, carry, None)
    }
}

impl PyFilterProgram {
    /// Runs a chunk; `scan` is this filter's share of a shared scan (then
    /// its own scan set is not run).
    fn run_with<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        now: f64,
        mut carry: DateCarry,
        scan: Option<&LineReport>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let own_scan = self.scan.get();
        let pre = self.pre.as_ref().map(|p| p.get());
        let fail = self.fail.get();
        let program = FilterProgram {
            shape: self.shape,
            scan: &own_scan.inner,
            pre: pre.map(|p| &p.inner),
            fail: &fail.inner,
        };
        let mut detector = self.detector.bind(py).try_borrow_mut()?;
        let detector = &mut detector.inner;
        let report = py
            .allow_threads(|| match scan {
                Some(scan) => program.run_candidates(data, scan, now, detector, &mut carry),
                None => program.run_chunk(data, now, detector, &mut carry),
            })
            .map_err(to_py_error)?;
        let records = PyList::empty(py);
        for r in report.records {
            let pre_found = match (r.pre, pre) {
                (Some(found), Some(set)) => Some(set_dict(py, set, found)?),
                _ => None,
            };
            let fail_found = match r.fail {
                Some(found) => Some(set_dict(py, fail, found)?),
                None => None,
            };
            let record = (
                r.line,
                r.text,
                r.before,
                r.date_text,
                r.after,
                r.when,
                r.no_date,
                r.last_date,
                pre_found,
                fail_found,
                r.error,
                r.invalid_date,
            );
            records.append(record)?;
        }
        (
            report.scan_limit_hit,
            report.lines,
            report.processed,
            report.prefregex_only,
            report.limit_hits,
            records,
            carry.last_date,
            carry.last_time_text,
        )
            .into_pyobject(py)
    }
}

/// Several single-line filters reading one log: one scan per chunk for
/// all of them, then each filter's exact stage on its own candidates.
#[pyclass(name = "MultiProgram", module = "hyperban._core", frozen)]
pub struct PyMultiProgram {
    scan: Py<PyPatternSet>,
    programs: Vec<Py<PyFilterProgram>>,
}

#[pymethods]
impl PyMultiProgram {
    /// `scan` holds every filter's candidate patterns, filter `k`'s id `i`
    /// as `k << MULTI_SHIFT | i`.
    #[new]
    fn new(scan: Py<PyPatternSet>, programs: Vec<Py<PyFilterProgram>>) -> PyResult<Self> {
        let bad = scan.get().inner.ids().iter().any(|&id| {
            let (k, local) = split_id(id);
            programs
                .get(k)
                .is_none_or(|p| !p.get().scan.get().inner.ids().contains(&local))
        });
        if bad {
            return Err(PyValueError::new_err(
                "every scan id must be a program's own scan id, shifted by its position",
            ));
        }
        Ok(PyMultiProgram { scan, programs })
    }

    /// Runs one chunk for every filter: `carries` holds each filter's
    /// `(last_date, last_time_text)`; the result is one `FilterProgram.run`
    /// tuple per filter.
    fn run<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        now: f64,
        carries: Vec<(Option<f64>, String)>,
    ) -> PyResult<Bound<'py, PyList>> {
        if carries.len() != self.programs.len() {
            return Err(PyValueError::new_err("one carry per filter expected"));
        }
        let set = &self.scan.get().inner;
        let scan = py
            .allow_threads(|| set.matching_lines(data))
            .map_err(to_py_error)?;
        let out = PyList::empty(py);
        // A shared scan that hit the match limit cannot tell whose pattern
        // did: each filter then scans on its own (and decides for itself).
        let shares = (scan.limit_hits == 0).then(|| split_scan(&scan, self.programs.len()));
        for (k, (program, (last_date, last_time_text))) in
            self.programs.iter().zip(carries).enumerate()
        {
            let carry = DateCarry {
                last_date,
                last_time_text,
            };
            let share = shares.as_ref().and_then(|s| s.get(k));
            out.append(program.get().run_with(py, data, now, carry, share)?)?;
        }
        Ok(out)
    }
}

/// `{pattern_id: {group: value}}` with the set's interned group names.
fn set_dict<'py>(
    py: Python<'py>,
    set: &PyPatternSet,
    found: SetMatches,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    for m in found {
        let groups = PyDict::new(py);
        let names = set
            .names
            .get(m.index)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (name, value) in names.iter().zip(m.groups) {
            groups.set_item(name.bind(py), value)?;
        }
        out.set_item(m.pattern, groups)?;
    }
    Ok(out)
}

fn to_py_error(e: MatcherError) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFilterProgram>()?;
    m.add_class::<PyMultiProgram>()?;
    m.add("MULTI_SHIFT", MULTI_SHIFT)?;
    Ok(())
}
