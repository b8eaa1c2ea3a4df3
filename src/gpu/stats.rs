//! Transfer accounting and the guard against implicit device-to-host copies.

use std::sync::atomic::{AtomicU64, Ordering};

/// What to do when a tensor is copied from a GPU to the host implicitly (passed to an operation
/// on another device through `IntoTensor`, or `to_device`). Explicit `to_ndarray` is always
/// allowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub enum TransferGuard {
    /// Copy silently (the default).
    #[default]
    Allow = 0,
    /// Copy, and print one line on stderr naming the size.
    Log = 1,
    /// Refuse with [`crate::Error::TransferDenied`].
    Deny = 2,
}

impl TransferGuard {
    pub(crate) fn from_u8(v: u8) -> TransferGuard {
        match v {
            1 => TransferGuard::Log,
            2 => TransferGuard::Deny,
            _ => TransferGuard::Allow,
        }
    }
}

/// Counts since the device was opened (all zero on the CPU device).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransferStats {
    /// Bytes copied from the host to the device.
    pub bytes_uploaded: u64,
    /// Bytes copied from the device to the host.
    pub bytes_read_back: u64,
    /// Readbacks, each a point where the host waited for the device.
    pub readbacks: u64,
    /// Compute dispatches enqueued.
    pub dispatches: u64,
    /// Command buffers submitted to the device's queue by every handle (one per operation:
    /// its passes and its readback's copies are recorded into one encoder).
    pub submits: u64,
    /// Readbacks served by a staging buffer from the pool instead of a new one.
    pub staging_reuses: u64,
    /// Staging buffers created.
    pub staging_allocs: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub uploaded: AtomicU64,
    pub read_back: AtomicU64,
    pub readbacks: AtomicU64,
    pub dispatches: AtomicU64,
    pub staging_reuses: AtomicU64,
    pub staging_allocs: AtomicU64,
}

impl Counters {
    pub fn add_upload(&self, n: u64) {
        self.uploaded.fetch_add(n, Ordering::Relaxed);
    }

    pub fn add_readback(&self, n: u64) {
        self.read_back.fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> TransferStats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        TransferStats {
            bytes_uploaded: g(&self.uploaded),
            bytes_read_back: g(&self.read_back),
            readbacks: g(&self.readbacks),
            dispatches: g(&self.dispatches),
            submits: 0,
            staging_reuses: g(&self.staging_reuses),
            staging_allocs: g(&self.staging_allocs),
        }
    }
}
