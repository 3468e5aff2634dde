//! Compiling patterns into a Hyperscan block-mode database and scanning with it.

use std::ffi::{CStr, CString};
use std::fmt;
use std::os::raw::{c_int, c_uint, c_ulonglong, c_void};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU64, Ordering};

use super::ffi;
use super::scratch::Scratch;

/// Compile flags for one expression (a safe view of `HS_FLAG_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    pub caseless: bool,
    pub dotall: bool,
    pub multiline: bool,
    pub utf8: bool,
    pub ucp: bool,
    /// Prefilter mode: Hyperscan may replace constructs it cannot run
    /// (back-references, some large repeats) by looser ones. Matches then form
    /// a superset of the true matches.
    pub prefilter: bool,
}

impl Flags {
    fn bits(self) -> c_uint {
        let mut bits = 0;
        for (on, bit) in [
            (self.caseless, ffi::HS_FLAG_CASELESS),
            (self.dotall, ffi::HS_FLAG_DOTALL),
            (self.multiline, ffi::HS_FLAG_MULTILINE),
            (self.utf8, ffi::HS_FLAG_UTF8),
            (self.ucp, ffi::HS_FLAG_UCP),
            (self.prefilter, ffi::HS_FLAG_PREFILTER),
        ] {
            if on {
                bits |= bit;
            }
        }
        bits
    }
}

/// One pattern to compile, already in Hyperscan's dialect.
#[derive(Clone, Debug)]
pub struct Expression {
    pub pattern: String,
    pub id: u32,
    pub flags: Flags,
}

/// Hyperscan refused a pattern set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
    /// Index into the expression slice of the pattern at fault, when known.
    pub expression: Option<usize>,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expression {
            Some(i) => write!(f, "expression {i}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CompileError {}

/// A scan could not run (not a "no match": that is an empty result).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanError {
    /// Block mode takes at most `u32::MAX` bytes per call.
    BufferTooLarge(usize),
    /// The scratch was allocated for another database.
    ForeignScratch,
    /// Hyperscan returned this error code.
    Hyperscan(i32),
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanError::BufferTooLarge(n) => {
                write!(f, "buffer of {n} bytes is larger than one scan can take")
            }
            ScanError::ForeignScratch => f.write_str("scratch belongs to another database"),
            ScanError::Hyperscan(code) => write!(f, "hyperscan error {code}"),
        }
    }
}

impl std::error::Error for ScanError {}

/// A match as Hyperscan reports it: the pattern id and the offset one past the
/// match's last byte (no start offset: asking for it costs speed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RawMatch {
    pub end: u64,
    pub id: u32,
}

/// Distinguishes databases so a scratch cannot be used with the wrong one.
static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

/// A compiled, immutable block-mode database.
pub struct Database {
    raw: NonNull<ffi::HsDatabase>,
    serial: u64,
}

// SAFETY: Hyperscan databases are read-only after compilation and documented
// as safe to share between threads; all mutable state lives in the scratch.
unsafe impl Send for Database {}
// SAFETY: as above.
unsafe impl Sync for Database {}

impl Database {
    /// Compiles every expression into one database.
    pub fn compile(expressions: &[Expression]) -> Result<Database, CompileError> {
        let patterns = expressions
            .iter()
            .enumerate()
            .map(|(i, e)| {
                CString::new(e.pattern.as_bytes()).map_err(|_| CompileError {
                    message: "pattern contains a NUL byte".into(),
                    expression: Some(i),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let pointers: Vec<_> = patterns.iter().map(|p| p.as_ptr()).collect();
        let flags: Vec<c_uint> = expressions.iter().map(|e| e.flags.bits()).collect();
        let ids: Vec<c_uint> = expressions.iter().map(|e| e.id).collect();
        let count = c_uint::try_from(expressions.len()).map_err(|_| CompileError {
            message: "too many expressions".into(),
            expression: None,
        })?;

        let mut db: *mut ffi::HsDatabase = ptr::null_mut();
        let mut err: *mut ffi::HsCompileError = ptr::null_mut();
        // SAFETY: the three arrays hold `count` valid elements and outlive the
        // call; `patterns` keeps every C string alive; db/err are out-pointers.
        let rc = unsafe {
            ffi::hs_compile_multi(
                pointers.as_ptr(),
                flags.as_ptr(),
                ids.as_ptr(),
                count,
                ffi::HS_MODE_BLOCK,
                ptr::null(),
                &mut db,
                &mut err,
            )
        };
        if rc != ffi::HS_SUCCESS {
            return Err(take_compile_error(err, rc));
        }
        let raw = NonNull::new(db).ok_or_else(|| CompileError {
            message: "hyperscan returned no database".into(),
            expression: None,
        })?;
        Ok(Database {
            raw,
            serial: NEXT_SERIAL.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// Bytes of memory the compiled database occupies.
    pub fn size(&self) -> usize {
        let mut size = 0usize;
        // SAFETY: valid database, out-pointer to a local.
        unsafe { ffi::hs_database_size(self.raw.as_ptr(), &mut size) };
        size
    }

    pub(super) fn raw(&self) -> *const ffi::HsDatabase {
        self.raw.as_ptr()
    }

    pub(super) fn serial(&self) -> u64 {
        self.serial
    }

    /// Scans `data` once and appends every match to `out`.
    ///
    /// Hyperscan reports a match at every end offset where a pattern matches,
    /// in increasing order of end offset.
    pub fn scan(
        &self,
        scratch: &mut Scratch,
        data: &[u8],
        out: &mut Vec<RawMatch>,
    ) -> Result<(), ScanError> {
        if scratch.database_serial() != self.serial {
            return Err(ScanError::ForeignScratch);
        }
        let length =
            c_uint::try_from(data.len()).map_err(|_| ScanError::BufferTooLarge(data.len()))?;
        // SAFETY: database and scratch are valid and paired (checked above),
        // `data` is readable for `length` bytes, and `out` outlives the call;
        // the callback only pushes into it.
        let rc = unsafe {
            ffi::hs_scan(
                self.raw.as_ptr(),
                data.as_ptr().cast(),
                length,
                0,
                scratch.raw(),
                Some(collect_match),
                (out as *mut Vec<RawMatch>).cast::<c_void>(),
            )
        };
        match rc {
            ffi::HS_SUCCESS => Ok(()),
            code => Err(ScanError::Hyperscan(code)),
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // SAFETY: we own the database and drop it once.
        unsafe { ffi::hs_free_database(self.raw.as_ptr()) };
    }
}

/// The match callback: records the match and lets the scan go on.
unsafe extern "C" fn collect_match(
    id: c_uint,
    _from: c_ulonglong,
    to: c_ulonglong,
    _flags: c_uint,
    context: *mut c_void,
) -> c_int {
    // SAFETY: `context` is the `&mut Vec<RawMatch>` passed by `Database::scan`,
    // alive and not aliased for the whole scan.
    let out = unsafe { &mut *context.cast::<Vec<RawMatch>>() };
    out.push(RawMatch { end: to, id });
    0
}

fn take_compile_error(err: *mut ffi::HsCompileError, rc: ffi::HsError) -> CompileError {
    if err.is_null() {
        return CompileError {
            message: format!("hyperscan error {rc}"),
            expression: None,
        };
    }
    // SAFETY: non-null error from hs_compile_multi: a valid struct with a
    // NUL-terminated message, freed exactly once below.
    let (message, expression) = unsafe {
        let e = &*err;
        let message = if e.message.is_null() {
            format!("hyperscan error {rc}")
        } else {
            CStr::from_ptr(e.message).to_string_lossy().into_owned()
        };
        (message, usize::try_from(e.expression).ok())
    };
    // SAFETY: `err` came from hs_compile_multi and is freed once.
    unsafe { ffi::hs_free_compile_error(err) };
    CompileError {
        message,
        expression,
    }
}
