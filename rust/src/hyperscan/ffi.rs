//! The raw Hyperscan/Vectorscan C API, from `vectorscan-rs-sys`.
//!
//! That crate builds Vectorscan from vendored source with cmake and links it
//! statically, so the extension needs no libhs at run time. Only
//! `super::database` and `super::scratch` use these items; everything above
//! them is safe Rust.

pub use vectorscan_rs_sys::{
    hs_alloc_scratch, hs_compile_error_t as HsCompileError, hs_compile_multi, hs_database_size,
    hs_database_t as HsDatabase, hs_error_t as HsError, hs_free_compile_error, hs_free_database,
    hs_free_scratch, hs_scan, hs_scratch_t as HsScratch, hs_valid_platform, hs_version,
};

// The header's constants are plain `#define`s, typed `u32` by bindgen.
pub const HS_SUCCESS: HsError = vectorscan_rs_sys::HS_SUCCESS as HsError;
pub const HS_FLAG_CASELESS: u32 = vectorscan_rs_sys::HS_FLAG_CASELESS;
pub const HS_FLAG_DOTALL: u32 = vectorscan_rs_sys::HS_FLAG_DOTALL;
pub const HS_FLAG_MULTILINE: u32 = vectorscan_rs_sys::HS_FLAG_MULTILINE;
pub const HS_FLAG_UTF8: u32 = vectorscan_rs_sys::HS_FLAG_UTF8;
pub const HS_FLAG_UCP: u32 = vectorscan_rs_sys::HS_FLAG_UCP;
pub const HS_FLAG_PREFILTER: u32 = vectorscan_rs_sys::HS_FLAG_PREFILTER;
pub const HS_MODE_BLOCK: u32 = vectorscan_rs_sys::HS_MODE_BLOCK;
