//! Binding of [`crate::matcher::PatternSet`] (`hyperban._core.PatternSet`).
//!
//! Scans release the GIL: the input `bytes` object is immutable and kept
//! alive by the caller's reference for the whole call.

use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use super::matches::{GroupNames, PyMatches};
use crate::matcher::{Engine, MatcherError, PatternSet, ScanReport};

create_exception!(
    _core,
    PatternError,
    PyValueError,
    "A regular expression that no engine accepts; the message names the \
     pattern and the position."
);

/// Many Python-syntax patterns matched in one pass per chunk.
#[pyclass(name = "PatternSet", module = "hyperban._core", frozen)]
pub struct PyPatternSet {
    pub(crate) inner: PatternSet,
    engine: &'static str,
    /// Interned group names per pattern position, reused for every match.
    names: GroupNames,
}

#[pymethods]
impl PyPatternSet {
    #[new]
    #[pyo3(signature = (patterns, engine = "hyperscan", multiline = false))]
    fn new(
        py: Python<'_>,
        patterns: Vec<(u32, String)>,
        engine: &str,
        multiline: bool,
    ) -> PyResult<Self> {
        let (kind, engine) = match Engine::parse(engine) {
            Some(Engine::Hyperscan) => (Engine::Hyperscan, "hyperscan"),
            Some(Engine::Regex) => (Engine::Regex, "regex"),
            None => {
                return Err(PyValueError::new_err(format!(
                    "unknown engine {engine:?}: expected 'hyperscan' or 'regex' \
                     ('python' lives in hyperban.matcher)"
                )))
            }
        };
        let pairs: Vec<(u32, &str)> = patterns.iter().map(|(id, p)| (*id, p.as_str())).collect();
        let inner = py
            .allow_threads(|| PatternSet::new(&pairs, kind, multiline))
            .map_err(to_py_error)?;
        let names: Vec<Vec<Py<PyString>>> = (0..inner.len())
            .map(|i| {
                inner
                    .group_names(i)
                    .into_iter()
                    .map(|n| PyString::intern(py, n).unbind())
                    .collect()
            })
            .collect();
        Ok(PyPatternSet {
            inner,
            engine,
            names: GroupNames::new(names),
        })
    }

    /// Scans a chunk of `\n`-separated lines. Returns
    /// `(matches, lines, limit_hits)`; `matches` is a `Matches` sequence of
    /// `(line_number, byte_offset, pattern_id, {group: str | None})`.
    fn scan<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyTuple>> {
        let report = py
            .allow_threads(|| self.inner.scan(data))
            .map_err(to_py_error)?;
        self.report(py, report)
    }

    /// The finder's candidates of a chunk, unconfirmed (a superset of what
    /// `scan` finds): `(candidates, lines, limit_hits)`, `candidates` a list
    /// of `(line_number, byte_offset, pattern_id)` in line order. For a
    /// caller that runs the exact patterns on every candidate line anyway.
    fn candidate_lines<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyTuple>> {
        let report = py
            .allow_threads(|| self.inner.candidate_lines(data))
            .map_err(to_py_error)?;
        (report.matches, report.lines, report.limit_hits).into_pyobject(py)
    }

    /// Matches one record (a line, or several `\n`-joined lines as in
    /// fail2ban's multi-line buffers). Same result shape as `scan`.
    fn match_line<'py>(&self, py: Python<'py>, record: &str) -> PyResult<Bound<'py, PyTuple>> {
        let report = self.inner.match_record(record).map_err(to_py_error)?;
        self.report(py, report)
    }

    /// The bare Hyperscan pass (no line mapping, no confirmation): the
    /// number of raw matches, or `None` for the `regex` engine. For
    /// measuring the engine's physical limit on a buffer.
    fn raw_scan(&self, py: Python<'_>, data: &[u8]) -> PyResult<Option<usize>> {
        py.allow_threads(|| self.inner.raw_scan(data))
            .map_err(to_py_error)
    }

    #[getter]
    fn engine(&self) -> &'static str {
        self.engine
    }

    /// How the candidate finder holds each pattern, in set order.
    fn modes(&self) -> Vec<&'static str> {
        self.inner.modes()
    }

    /// The ids, in set order.
    fn ids(&self) -> Vec<u32> {
        self.inner.ids().to_vec()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }
}

impl PyPatternSet {
    fn report<'py>(&self, py: Python<'py>, report: ScanReport) -> PyResult<Bound<'py, PyTuple>> {
        let matches = PyMatches::new(report.matches, GroupNames::clone(&self.names));
        (matches, report.lines, report.limit_hits).into_pyobject(py)
    }
}

fn to_py_error(e: MatcherError) -> PyErr {
    match e {
        MatcherError::Pattern(p) => PatternError::new_err(p.to_string()),
        other => PyRuntimeError::new_err(other.to_string()),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPatternSet>()?;
    m.add_class::<PyMatches>()?;
    m.add("PatternError", m.py().get_type::<PatternError>())?;
    Ok(())
}
