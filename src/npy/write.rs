//! Writing .npy files: atomically (a temporary file in the destination's folder, renamed over
//! it only when complete), little-endian, C order.

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::header::encode;
use super::read::{io_err, npy_err};
use crate::cpu::CpuStorage;
use crate::device::Storage;
use crate::{Result, Tensor};

/// A file written under a temporary name and renamed over its destination by
/// [`AtomicFile::commit`]; dropped uncommitted, the temporary file is removed and the
/// destination is untouched.
pub struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    w: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Creates the temporary file next to `dest`.
    ///
    /// # Errors
    /// [`crate::Error::Io`] when the folder cannot be written.
    pub fn create(dest: impl AsRef<Path>) -> Result<AtomicFile> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dest = dest.as_ref().to_path_buf();
        let name = dest
            .file_name()
            .ok_or_else(|| npy_err(&dest, "the output path names no file"))?;
        let tmp = dest.with_file_name(format!(
            ".{}.ndgpu-tmp-{}-{}",
            name.to_string_lossy(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| io_err(&dest, e))?;
        Ok(AtomicFile {
            dest,
            tmp,
            w: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    /// Appends bytes.
    ///
    /// # Errors
    /// [`crate::Error::Io`] on a write failure (e.g. a full disk).
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        let w = self.w.as_mut().expect("present until commit");
        w.write_all(bytes).map_err(|e| io_err(&self.dest, e))
    }

    /// Flushes the file and renames it over the destination.
    ///
    /// # Errors
    /// [`crate::Error::Io`] when the flush or the rename fails (the temporary file is removed).
    pub fn commit(mut self) -> Result<()> {
        let w = self.w.take().expect("present until commit");
        let file = w
            .into_inner()
            .map_err(|e| io_err(&self.dest, e.into_error()))?;
        file.sync_data().map_err(|e| io_err(&self.dest, e))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| io_err(&self.dest, e))?;
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        self.w.take();
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The elements of a tensor in host memory (borrowed on the CPU, read back from a GPU).
pub(crate) fn host(t: &Tensor) -> Result<Cow<'_, CpuStorage>> {
    Ok(match &*t.storage {
        Storage::Cpu(s) => Cow::Borrowed(s),
        Storage::Gpu(_) => Cow::Owned(t.device.download(&t.storage, t.dtype, t.len())?),
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
/// As [`write`].
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
        encode(dtype, shape, fortran && shape.len() > 1).map_err(|m| npy_err(&out.dest, m))?;
    out.write_all(&header)
}
