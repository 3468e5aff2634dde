//! Hyperscan scratch space: the mutable working memory of one scan.

use std::ptr::{self, NonNull};

use super::database::Database;
use super::ffi;

/// Working memory for scanning one [`Database`]; one scan at a time.
pub struct Scratch {
    raw: NonNull<ffi::HsScratch>,
    database_serial: u64,
}

// SAFETY: a scratch may move between threads; `&mut` use keeps it to one scan
// at a time, which is all Hyperscan requires.
unsafe impl Send for Scratch {}

impl Scratch {
    /// Allocates scratch sized for `db`.
    pub fn new(db: &Database) -> Result<Scratch, super::ScanError> {
        let mut raw: *mut ffi::HsScratch = ptr::null_mut();
        // SAFETY: valid database; `raw` starts null so Hyperscan allocates.
        let rc = unsafe { ffi::hs_alloc_scratch(db.raw(), &mut raw) };
        if rc != ffi::HS_SUCCESS {
            return Err(super::ScanError::Hyperscan(rc));
        }
        let raw = NonNull::new(raw).ok_or(super::ScanError::Hyperscan(rc))?;
        Ok(Scratch {
            raw,
            database_serial: db.serial(),
        })
    }

    pub(super) fn raw(&mut self) -> *mut ffi::HsScratch {
        self.raw.as_ptr()
    }

    pub(super) fn database_serial(&self) -> u64 {
        self.database_serial
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // SAFETY: we own the scratch and free it once.
        unsafe { ffi::hs_free_scratch(self.raw.as_ptr()) };
    }
}
