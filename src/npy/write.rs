//! Writing .npy files: atomically (a temporary file in the destination's folder, renamed over
//! it only when complete), little-endian, C order.

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::header::encode;
use super::read::{io_err, npy_err};
use crate::device::Storage;
use crate::host::CpuStorage;
use crate::{Result, Tensor};

/// A file written under a temporary name and renamed over its destination by
/// [`AtomicFile::commit`]; dropped uncommitted, the temporary file is removed and the
/// destination is untouched.
///
/// The temporary file is `.ndgpu-tmp-` and 16 random hex digits, in the destination's folder
/// (so a destination name of any length the system allows works). A destination that is a
/// symbolic link is resolved: its target is replaced and the link stays. A destination that
/// exists but is not a regular file (a FIFO, a device, a folder) is refused. A replaced
/// destination keeps its permission bits.
pub struct AtomicFile {
    /// The path as given (for messages).
    shown: PathBuf,
    /// Where the file goes: `shown` with symbolic links resolved.
    dest: PathBuf,
    tmp: PathBuf,
    w: Option<BufWriter<File>>,
}

/// The temporary files of this process that are being written: what
/// [`AtomicFile::remove_all_uncommitted`] removes.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// `path` with symbolic links followed (as opening it for writing would), up to 40 of them.
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other(
        "too many levels of symbolic links in the output path",
    ))
}

/// 64 random bits (std's randomly keyed hasher, the process id, a counter and the time).
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.finish()
}

impl AtomicFile {
    /// Creates the temporary file next to `dest` (next to its target when `dest` is a
    /// symbolic link).
    ///
    /// # Errors
    /// [`crate::Error::Io`] when the folder cannot be written; [`crate::Error::Npy`] when
    /// `dest` exists and is not a regular file.
    pub fn create(dest: impl AsRef<Path>) -> Result<AtomicFile> {
        let shown = dest.as_ref().to_path_buf();
        if shown.file_name().is_none() {
            return Err(npy_err(&shown, "the output path names no file"));
        }
        let dest = resolve_links(&shown).map_err(|e| io_err(&shown, e))?;
        let existing = match std::fs::metadata(&dest) {
            Ok(m) if !m.is_file() => {
                let what = if m.is_dir() {
                    "a folder"
                } else {
                    kind_of(&m.file_type())
                };
                return Err(npy_err(
                    &shown,
                    format!("exists and is {what}, not a regular file: refusing to replace it"),
                ));
            }
            Ok(m) => Some(m.permissions()),
            Err(_) => None,
        };
        let Some(dir) = dest.parent() else {
            return Err(npy_err(&shown, "the output path names no file"));
        };
        let mut tries = 0;
        let (tmp, file) = loop {
            let tmp = dir.join(format!(".ndgpu-tmp-{:016x}", random_u64()));
            // Registered before it exists, so that a signal never misses it.
            live().push(tmp.clone());
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(f) => break (tmp, f),
                Err(e) => {
                    forget(&tmp);
                    tries += 1;
                    if e.kind() != std::io::ErrorKind::AlreadyExists || tries >= 16 {
                        return Err(io_err(&shown, e));
                    }
                }
            }
        };
        let mut out = AtomicFile {
            shown,
            dest,
            tmp,
            w: None,
        };
        if let Some(perm) = existing {
            // Dropping `out` on error removes the temporary file.
            file.set_permissions(perm)
                .map_err(|e| io_err(&out.shown, e))?;
        }
        out.w = Some(BufWriter::with_capacity(1 << 20, file));
        Ok(out)
    }

    /// Removes every temporary file of this process that has not been committed, and keeps
    /// any more from being committed (or created and left behind) until the process ends:
    /// for a program that is about to exit on a signal (SIGINT, SIGTERM, SIGHUP). Safe to call
    /// from any thread; returns when no commit is in progress.
    pub fn remove_all_uncommitted() {
        let mut live = live();
        for p in live.drain(..) {
            let _ = std::fs::remove_file(p);
        }
        // Hold the lock for good: a commit (or a new temporary file) would wait on it.
        std::mem::forget(live);
    }

    /// Appends bytes.
    ///
    /// # Errors
    /// [`crate::Error::Io`] on a write failure (e.g. a full disk).
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        let Some(w) = self.w.as_mut() else {
            return Err(npy_err(&self.shown, "written after commit"));
        };
        w.write_all(bytes).map_err(|e| io_err(&self.shown, e))
    }

    /// Flushes the file and renames it over the destination.
    ///
    /// # Errors
    /// [`crate::Error::Io`] when the flush or the rename fails (the temporary file is removed);
    /// an error when an input file changed while being read (see `npy::stream`).
    pub fn commit(mut self) -> Result<()> {
        let Some(w) = self.w.take() else {
            return Err(npy_err(&self.shown, "committed twice"));
        };
        let file = w
            .into_inner()
            .map_err(|e| io_err(&self.shown, e.into_error()))?;
        file.sync_data().map_err(|e| io_err(&self.shown, e))?;
        drop(file);
        if let Some(e) = super::map::take_unreported_change() {
            return Err(e);
        }
        let mut live = live();
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| io_err(&self.shown, e))?;
        live.retain(|p| p != &self.tmp);
        self.tmp = PathBuf::new();
        Ok(())
    }
}

fn forget(tmp: &Path) {
    live().retain(|p| p != tmp);
}

#[cfg(unix)]
fn kind_of(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn kind_of(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        self.w.take();
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
            forget(&self.tmp);
        }
    }
}

/// The elements of a tensor in host memory (borrowed on the CPU, read back from a GPU).
pub(crate) fn host(t: &Tensor) -> Result<Cow<'_, CpuStorage>> {
    Ok(match &*t.storage {
        Storage::Cpu(s) => Cow::Borrowed(s),
        Storage::Gpu(_) => Cow::Owned(t.device.download(&t.storage)?),
    })
}

/// Writes `tensor` as a .npy file (version 1.0, or 2.0 for very long headers), atomically:
/// on error an existing file at `path` is left as it was.
///
/// # Errors
/// [`crate::Error::Npy`] for bfloat16 (no .npy type code: cast first); [`crate::Error::Io`].
pub fn write(path: impl AsRef<Path>, tensor: &Tensor) -> Result<()> {
    let path = path.as_ref();
    let header = encode(tensor.dtype(), tensor.shape(), false).map_err(|m| npy_err(path, m))?;
    let data = host(tensor)?;
    let mut out = AtomicFile::create(path)?;
    out.write_all(&header)?;
    out.write_all(data.as_bytes())?;
    out.commit()
}

/// Writes `tensor` in .npy format to a stream.
///
/// # Errors
/// As [`write()`].
pub fn write_to(mut writer: impl Write, tensor: &Tensor) -> Result<()> {
    let path = Path::new("<stream>");
    let header = encode(tensor.dtype(), tensor.shape(), false).map_err(|m| npy_err(path, m))?;
    let data = host(tensor)?;
    writer
        .write_all(&header)
        .and_then(|_| writer.write_all(data.as_bytes()))
        .and_then(|_| writer.flush())
        .map_err(|e| io_err(path, e))
}

/// Writes a header and then the given little-endian data chunks to an atomic file.
pub(crate) fn write_parts(
    out: &mut AtomicFile,
    dtype: crate::DType,
    shape: &[usize],
    fortran: bool,
) -> Result<()> {
    let header =
        encode(dtype, shape, fortran && shape.len() > 1).map_err(|m| npy_err(&out.shown, m))?;
    out.write_all(&header)
}
