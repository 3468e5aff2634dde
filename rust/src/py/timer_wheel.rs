//! `hyperban._core.TimerWheel`: a thin binding of [`crate::timer::TimerWheel`].
//!
//! It only converts types and maps [`TimerError`] to Python exceptions; all
//! behaviour (and its documentation) lives in `crate::timer`. No method can
//! panic on any input: every refusal is a `TimerError`, raised as
//! `ValueError` (or `OverflowError` for a full wheel).
//!
//! The GIL is held for the whole of every call (including a large `advance`):
//! releasing it would let another Python thread reach the same object while it
//! is mutably borrowed, which PyO3 reports as an error instead of waiting.

use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use crate::timer::{TimerError, TimerWheel};

/// Hierarchical timer wheel: string keys with absolute deadlines (epoch
/// seconds); ``advance(now)`` returns the keys with ``deadline <= now``.
#[pyclass(name = "TimerWheel", module = "hyperban._core")]
pub struct PyTimerWheel {
    inner: TimerWheel,
}

const _: () = assert!(TimerWheel::DEFAULT_RESOLUTION == 0.001);

fn to_py_err(err: TimerError) -> PyErr {
    match err {
        TimerError::CapacityExceeded => PyOverflowError::new_err(err.to_string()),
        _ => PyValueError::new_err(err.to_string()),
    }
}

#[pymethods]
impl PyTimerWheel {
    /// ``resolution`` is the tick length in seconds; it affects speed only,
    /// never which keys are returned.
    #[new]
    // A literal (shown as such in `__text_signature__`), tied to
    // `TimerWheel::DEFAULT_RESOLUTION` by the `const` assertion below.
    #[pyo3(signature = (*, resolution = 0.001))]
    fn new(resolution: f64) -> PyResult<Self> {
        let inner = TimerWheel::with_resolution(resolution).map_err(to_py_err)?;
        Ok(PyTimerWheel { inner })
    }

    /// Schedule ``key`` at ``deadline`` (epoch seconds); moves an existing key.
    fn schedule(&mut self, key: &str, deadline: f64) -> PyResult<()> {
        self.inner.schedule(key, deadline).map_err(to_py_err)
    }

    /// Unschedule ``key``; return whether it was scheduled.
    fn cancel(&mut self, key: &str) -> bool {
        self.inner.cancel(key)
    }

    /// Remove and return every key with ``deadline <= now``.
    fn advance<'py>(&mut self, py: Python<'py>, now: f64) -> PyResult<Bound<'py, PyList>> {
        let fired = self.inner.advance(now).map_err(to_py_err)?;
        PyList::new(py, fired.iter().map(|key| PyString::new(py, key)))
    }

    /// The exact earliest deadline still scheduled, or ``None``.
    fn next_deadline(&mut self) -> Option<f64> {
        self.inner.next_deadline()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// ``key in wheel``; anything that is not a ``str`` is simply absent.
    fn __contains__(&self, key: &Bound<'_, PyAny>) -> bool {
        match key.downcast::<PyString>() {
            Ok(key) => key.to_str().is_ok_and(|key| self.inner.contains(key)),
            Err(_) => false,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "<TimerWheel len={} resolution={}>",
            self.inner.len(),
            self.inner.resolution()
        )
    }
}

/// Adds `TimerWheel` to the `hyperban._core` module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTimerWheel>()
}
