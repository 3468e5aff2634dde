//! Binding of [`crate::filter::tally::Tally`] (`hyperban._core.ToolTally`).
//!
//! ```python
//! tally = ToolTally(fail_count, ignore_count, list_matched=True, keep_ignored=21)
//! prog.run(data, ..., tally=tally)     # accounts what it can; returns the rest
//! tally.counts()   # (matched, ignored, prefregex, fail_hits, ignore_hits)
//! tally.not_missed()                   # 0-based line numbers
//! tally.matched_lines(others)          # merged with the caller's [(line, text)]
//! tally.ignored_lines(others, limit)
//! tally.matches_json(others)           # records joined by ", "; others: [(line, json)]
//! ```

use std::sync::{Mutex, MutexGuard};

use pyo3::prelude::*;

use crate::filter::tally::{merge_by_line, Tally, TallySettings, Texts};

/// The tool's statistics of the lines accounted in Rust.
#[pyclass(name = "ToolTally", module = "hyperban._core", frozen)]
pub struct PyToolTally {
    inner: Mutex<Tally>,
}

impl PyToolTally {
    pub fn lock(&self) -> MutexGuard<'_, Tally> {
        // a poisoned lock only means a panic elsewhere: the counts are whole
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Texts of `mine` and `others` (both ascending by line) in line order.
fn merged_texts(mine: &Texts, others: Vec<(u64, String)>) -> Vec<String> {
    let mine = mine.iter().map(|(n, t)| (n, t.to_owned()));
    merge_by_line(mine, others).map(|(_, t)| t).collect()
}

#[pymethods]
impl PyToolTally {
    #[new]
    #[pyo3(signature = (fail_count, ignore_count, *, list_matched, keep_ignored))]
    fn new(
        fail_count: usize,
        ignore_count: usize,
        list_matched: bool,
        keep_ignored: Option<usize>,
    ) -> Self {
        let settings = TallySettings {
            list_matched,
            keep_ignored,
        };
        PyToolTally {
            inner: Mutex::new(Tally::new(fail_count, ignore_count, settings)),
        }
    }

    /// `(matched, ignored, prefregex, fail_hits, ignore_hits)`.
    fn counts(&self) -> (u64, u64, u64, Vec<u64>, Vec<u64>) {
        let t = self.lock();
        let hits = (t.fail_hits.clone(), t.ignore_hits.clone());
        (t.matched, t.ignored, t.prefregex, hits.0, hits.1)
    }

    /// The matched and ignored lines accounted here (0-based).
    fn not_missed(&self) -> Vec<u64> {
        self.lock().not_missed.clone()
    }

    /// The matched lines' texts, with the caller's `(line, text)` merged in.
    fn matched_lines(&self, others: Vec<(u64, String)>) -> Vec<String> {
        merged_texts(&self.lock().matched_lines, others)
    }

    /// The first `limit` (all: `None`) ignored lines' texts, with the
    /// caller's `(line, text)` merged in.
    #[pyo3(signature = (others, limit=None))]
    fn ignored_lines(&self, others: Vec<(u64, String)>, limit: Option<usize>) -> Vec<String> {
        let mut texts = merged_texts(&self.lock().ignored_lines, others);
        if let Some(limit) = limit {
            texts.truncate(limit);
        }
        texts
    }

    /// The JSON records of the failures, with the caller's `(line, record)`
    /// merged in, joined by `", "` (the inside of the report's array).
    fn matches_json(&self, py: Python<'_>, others: Vec<(u64, String)>) -> String {
        py.allow_threads(|| self.lock().matches_json(&others))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyToolTally>()
}
