//! Python binding of [`crate::date::DateDetector`] (`hyperban._core.DateDetector`).
//!
//! ```python
//! dd = DateDetector(datepattern=None, logtimezone=None, created_at=None)
//! dd.find(line: str, now: float) -> tuple[float | None, int, int] | None
//! ```
//! `find` returns `None` when no date template matches (nothing to cut), or
//! `(epoch, start, end)` where `line[start:end]` (character offsets) is the
//! text fail2ban removes before running `failregex`.  `epoch` is `None` when
//! the matched text is empty (`{NONE}`-like patterns: use the previous date or
//! now, remove nothing) or is not a valid date (still removed; the line has
//! no date).  `ValueError` is raised when fail2ban itself would fail on the
//! line's date and skip the line.  Constructor errors are `ValueError`s naming
//! the bad value.
//!
//! `created_at` (epoch seconds, default: the system clock) fixes the `%ExY`
//! year window as fail2ban does at start-up.  The local zone for dates
//! without zone information is read from `TZ` / `/etc/localtime` when the
//! detector is created.

use crate::date::{DateDetector, DateValue};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// fail2ban-compatible date detection for one filter.
#[pyclass(name = "DateDetector", module = "hyperban._core")]
pub struct PyDateDetector {
    pub(crate) inner: DateDetector,
}

#[pymethods]
impl PyDateDetector {
    #[new]
    #[pyo3(signature = (datepattern=None, logtimezone=None, created_at=None))]
    fn new(
        datepattern: Option<&str>,
        logtimezone: Option<&str>,
        created_at: Option<f64>,
    ) -> PyResult<Self> {
        let created_at = created_at.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64())
        });
        DateDetector::new(datepattern, logtimezone, created_at)
            .map(|inner| PyDateDetector { inner })
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Finds the date of `line` at time `now` (epoch seconds).
    fn find(&mut self, line: &str, now: f64) -> PyResult<Option<(Option<f64>, usize, usize)>> {
        let Some(m) = self.inner.find(line, now) else {
            return Ok(None);
        };
        let (start, end) = m.char_span(line);
        match m.value {
            DateValue::Time(t) => Ok(Some((Some(t), start, end))),
            DateValue::Empty | DateValue::Invalid => Ok(Some((None, start, end))),
            DateValue::Abort => Err(PyValueError::new_err(format!(
                "cannot convert the date {:?} of this line",
                line.get(m.start..m.end).unwrap_or("")
            ))),
        }
    }

    /// Template names in their current (self-reordering) order.
    /// `[(template name, lines it dated)]` in the current template order.
    fn template_hits(&self) -> Vec<(String, u64)> {
        self.inner
            .template_hits()
            .into_iter()
            .map(|(name, hits)| (name.to_string(), hits))
            .collect()
    }

    #[getter]
    fn templates(&self) -> Vec<String> {
        self.inner
            .template_names()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "<DateDetector with {} templates>",
            self.inner.template_names().len()
        )
    }
}

/// Adds `DateDetector` to the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDateDetector>()
}
