//! `hyperban._core`: the PyO3 layer. Each file binds one Rust type and does
//! nothing but convert arguments, results and errors; the logic lives in the
//! modules it wraps, where `cargo test` reaches it.

mod date_detector;
mod filter_program;
mod matches;
mod outcome;
mod pattern_set;
mod tally;
mod timer_wheel;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("HYPERSCAN_VERSION", crate::hyperscan::version())?;
    pattern_set::register(m)?;
    date_detector::register(m)?;
    filter_program::register(m)?;
    timer_wheel::register(m)?;
    tally::register(m)?;
    Ok(())
}
