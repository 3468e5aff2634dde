//! A safe wrapper over Hyperscan (the only place in hyperban with `unsafe`).
//!
//! Hyperscan answers one question very fast: *which patterns match somewhere in
//! this buffer, and where do those matches end?* hyperban uses it purely as a
//! candidate finder; exact semantics and captures come from the exact engine
//! (`crate::exact`). So a Hyperscan database here may over-approximate (report a
//! match that the exact engine rejects) but must never miss one.
//!
//! Invariants kept by this module:
//! * a [`Database`] is immutable after compilation and may be shared by threads;
//! * a [`Scratch`] is used by one scan at a time (`&mut`), and was allocated for
//!   the database it scans with (checked at run time, see [`Database::scan`]);
//! * no Rust panic unwinds through Hyperscan: the match callback only pushes to
//!   a `Vec`.

mod database;
mod ffi;
mod scratch;

pub use database::{CompileError, Database, Expression, Flags, RawMatch, ScanError};
pub use scratch::Scratch;

/// The linked Hyperscan/Vectorscan version string, e.g. `"5.4.0 2023-01-01"`.
pub fn version() -> String {
    // SAFETY: hs_version returns a pointer to a static NUL-terminated string.
    let ptr = unsafe { ffi::hs_version() };
    if ptr.is_null() {
        return String::from("unknown");
    }
    // SAFETY: non-null, static and NUL-terminated per the Hyperscan docs.
    unsafe { std::ffi::CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

/// Whether this CPU can run Hyperscan (it needs SSSE3 on x86).
pub fn platform_supported() -> bool {
    // SAFETY: no arguments; pure query.
    unsafe { ffi::hs_valid_platform() == ffi::HS_SUCCESS }
}
