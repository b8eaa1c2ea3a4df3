//! Whole-array reading: a .npy file or stream into a C-order tensor.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::decode::{fortran_to_c, to_le};
use super::header::{Header, header_len, parse};
use crate::host::CpuStorage;
use crate::{Device, Error, Result, Tensor};

/// `s` with control characters (newlines from a hostile header or file name) escaped, so
/// that every error stays on one line.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

pub(crate) fn npy_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Npy {
        path: one_line(&path.display().to_string()),
        message: one_line(&message.into()),
    }
}

pub(crate) fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: one_line(&path.display().to_string()),
        message: one_line(&e.to_string()),
    }
}

/// Reads a header from the start of `r`, leaving `r` at the first data byte.
pub(crate) fn header_from(r: &mut impl Read) -> std::result::Result<Header, String> {
    let mut buf = vec![0u8; 12];
    let got = read_full(r, &mut buf[..10]).map_err(|e| e.to_string())?;
    if got < 10 {
        return Err(if got < 6 || buf[..got] != b"\x93NUMPY"[..got.min(6)] {
            "not a .npy file (bad magic string)".into()
        } else {
            "truncated .npy header".into()
        });
    }
    if matches!(buf[6], 2 | 3) {
        if read_full(r, &mut buf[10..12]).map_err(|e| e.to_string())? < 2 {
            return Err("truncated .npy header".into());
        }
    } else {
        buf.truncate(10);
    }
    let total = header_len(&buf)?;
    let have = buf.len();
    buf.resize(total, 0);
    if read_full(r, &mut buf[have..]).map_err(|e| e.to_string())? < total - have {
        return Err("truncated .npy header".into());
    }
    parse(&buf)
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Opens a .npy file and checks its header against the file's size.
pub(crate) fn open(path: &Path) -> Result<(File, Header)> {
    // Checked before opening: opening a FIFO would wait for a writer.
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() && !meta.is_dir() {
            return Err(npy_err(
                path,
                "is not a regular file (a FIFO, socket or device): save the .npy to a file first",
            ));
        }
    }
    let mut file = File::open(path).map_err(|e| io_err(path, e))?;
    let meta = file.metadata().map_err(|e| io_err(path, e))?;
    if meta.is_dir() {
        return Err(npy_err(path, "is a directory, not a .npy file"));
    }
    let header = header_from(&mut file).map_err(|m| npy_err(path, m))?;
    let want = header.data_offset as u64 + header.data_len() as u64;
    if meta.len() < want {
        return Err(npy_err(
            path,
            format!(
                "truncated data: shape {:?} of {} needs {} bytes, the file holds {}",
                header.shape,
                header.dtype,
                header.data_len(),
                meta.len().saturating_sub(header.data_offset as u64)
            ),
        ));
    }
    if meta.len() > want {
        return Err(npy_err(
            path,
            format!(
                "{} bytes follow the data of shape {:?}: the shape is inconsistent with the file",
                meta.len() - want,
                header.shape
            ),
        ));
    }
    Ok((file, header))
}

/// The header of a .npy file, checked against the file's size.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Npy`] for a malformed or unsupported
/// header (object, string, structured, datetime arrays) or data of the wrong length.
pub fn read_header(path: impl AsRef<Path>) -> Result<Header> {
    open(path.as_ref()).map(|(_, h)| h)
}

/// Reads a .npy file into a CPU tensor (C order, whatever the file's order and byte order).
///
/// # Errors
/// As [`read_header`].
pub fn read(path: impl AsRef<Path>) -> Result<Tensor> {
    read_on(path, &Device::cpu())
}

/// Reads a .npy file into a tensor on `device`.
///
/// # Errors
/// As [`read_header`], or a device error.
pub fn read_on(path: impl AsRef<Path>, device: &Device) -> Result<Tensor> {
    let path = path.as_ref();
    let (file, header) = open(path)?;
    let data = read_data(file, &header).map_err(|e| io_err(path, e))?;
    tensor_from(device, &header, &data)
}

/// Reads a .npy array from a stream (the stream must end where the data ends).
///
/// # Errors
/// [`Error::Npy`] for a malformed header or too little or too much data.
pub fn read_from(mut reader: impl Read, device: &Device) -> Result<Tensor> {
    let path = Path::new("<stream>");
    let header = header_from(&mut reader).map_err(|m| npy_err(path, m))?;
    let data = read_data(&mut reader, &header).map_err(|e| io_err(path, e))?;
    if data.len() < header.data_len() {
        return Err(npy_err(
            path,
            format!(
                "truncated data: shape {:?} needs {} bytes, got {}",
                header.shape,
                header.data_len(),
                data.len()
            ),
        ));
    }
    let mut extra = [0u8; 1];
    if read_full(&mut reader, &mut extra).map_err(|e| io_err(path, e))? > 0 {
        return Err(npy_err(
            path,
            "bytes follow the data: the shape is inconsistent with the stream",
        ));
    }
    tensor_from(device, &header, &data)
}

/// Up to `data_len` bytes; the buffer grows as data arrives, so a lying header cannot make
/// it allocate more than the stream holds.
fn read_data(r: impl Read, header: &Header) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::with_capacity(header.data_len().min(1 << 26));
    r.take(header.data_len() as u64).read_to_end(&mut data)?;
    Ok(data)
}

fn tensor_from(device: &Device, header: &Header, data: &[u8]) -> Result<Tensor> {
    let dtype = header.dtype;
    let n = header.len();
    let storage = if header.fortran_order && header.shape.len() > 1 {
        let mut le = vec![0u8; data.len()];
        to_le(dtype, header.big_endian, data, &mut le);
        CpuStorage::from_bytes(dtype, &fortran_to_c(&le, &header.shape, dtype.itemsize()))
    } else {
        CpuStorage::from_fn(dtype, n, |dst| to_le(dtype, header.big_endian, data, dst))
    };
    Tensor::from_host(device, storage, header.shape.clone())
}
