//! Where a file's bytes come from, chunk by chunk: a fresh read-only mapping of just that chunk
//! (unmapped when the chunk is done, so resident memory stays bounded by the chunk size), or,
//! for chunks under 64 KiB or when mapping is unavailable or disabled (`NDGPU_NO_MMAP=1`),
//! positioned reads into one reused 8-byte-aligned buffer.
//!
//! A file truncated while it is read is an error ("changed while being read"), never a crash
//! (SIGBUS) and never silently wrong: see [`Source::read`].
//!
//! The mapping itself is made in `crate::platform`, with the crate's other `unsafe`. The bench
//! report measures both paths.

use std::cell::Cell;
use std::fs::File;
use std::ops::Deref;
use std::sync::Mutex;

use crate::platform::FileMap;

/// The bytes of one chunk.
pub(crate) enum Chunk<'a> {
    /// A mapping, and the source's flag to raise if part of it was gone from the file.
    Map(FileMap, &'a Cell<bool>),
    Buf(&'a [u8]),
}

impl Deref for Chunk<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Chunk::Map(m, _) => m,
            Chunk::Buf(b) => b,
        }
    }
}

impl Drop for Chunk<'_> {
    fn drop(&mut self) {
        if let Chunk::Map(m, changed) = self {
            if m.faulted() {
                changed.set(true);
            }
        }
    }
}

/// The error for a file that shrank while it was read: what was read from it is not the
/// array its header describes.
pub(crate) fn changed_error() -> std::io::Error {
    std::io::Error::other(
        "the file changed while being read (it was truncated or shrunk): \
         read it again once it is complete",
    )
}

/// Changes that a source saw but could not report (it was dropped first), for
/// [`take_unreported_change`].
static UNREPORTED: Mutex<Option<String>> = Mutex::new(None);

/// The error for a file that changed while being read and whose reader ended without
/// reporting it; taken, so it is reported once. An output is never committed while one is
/// pending (see `AtomicFile::commit`).
pub(crate) fn take_unreported_change() -> Option<crate::Error> {
    let name = UNREPORTED.lock().ok().and_then(|mut u| u.take())?;
    Some(crate::Error::Io {
        path: name,
        message: changed_error().to_string(),
    })
}

/// Smaller chunks are read, not mapped: a mapping's set-up, page-table walk and unmapping
/// (a TLB shootdown on every core) cost more than copying that much (streams of tiny chunks
/// spent most of their time in mmap and munmap).
const MAP_MIN_BYTES: usize = 64 << 10;

/// A file read in chunks.
pub(crate) struct Source {
    file: File,
    use_map: bool,
    buf: Vec<u64>,
    /// The file's length when the source was made.
    len: u64,
    /// A mapped chunk held bytes that were gone from the file (read as zeros).
    changed: Cell<bool>,
    reported: bool,
}

impl Source {
    pub(crate) fn new(file: File) -> Source {
        let use_map = std::env::var("NDGPU_NO_MMAP").map_or(true, |v| v != "1");
        let len = file.metadata().map_or(0, |m| m.len());
        Source {
            file,
            use_map,
            buf: Vec::new(),
            len,
            changed: Cell::new(false),
            reported: false,
        }
    }

    /// An error if bytes of an earlier chunk were gone from the file when they were used.
    /// Call it after the last chunk; `read` calls it before each chunk.
    pub(crate) fn check(&mut self) -> std::io::Result<()> {
        if self.changed.get() {
            self.reported = true;
            return Err(changed_error());
        }
        Ok(())
    }

    /// `len` bytes at `offset`. The caller has checked that the file held them when opened.
    ///
    /// A mapped chunk whose file is truncated while it is used reads as zeros past the new end
    /// and the next `read` (or `check`) fails. The chunk that ends the file is always read
    /// into the buffer, never mapped: the stream reads in file order, so a change during the
    /// last chunk it uses is caught all the same.
    pub(crate) fn read(&mut self, offset: u64, len: usize) -> std::io::Result<Chunk<'_>> {
        self.check()?;
        let end = offset + len as u64;
        if self.file.metadata()?.len() < end {
            self.reported = true;
            return Err(changed_error());
        }
        if self.use_map && len >= MAP_MIN_BYTES && end < self.len {
            match crate::platform::map_file_range(&self.file, offset, len) {
                Ok(m) => return Ok(Chunk::Map(m, &self.changed)),
                // No guard slot free: read this chunk.
                Err(e) if e.kind() == std::io::ErrorKind::ResourceBusy => {}
                // Fall back for good (e.g. a file system without mmap support).
                Err(_) => self.use_map = false,
            }
        }
        let words = len.div_ceil(8);
        if self.buf.len() < words {
            self.buf.resize(words, 0);
        }
        let bytes = &mut bytemuck::cast_slice_mut::<u64, u8>(&mut self.buf)[..len];
        read_exact_at(&self.file, bytes, offset).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                self.reported = true;
                changed_error()
            } else {
                e
            }
        })?;
        Ok(Chunk::Buf(bytes))
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        if self.changed.get() && !self.reported {
            let name = file_name(&self.file).unwrap_or_else(|| "an input file".into());
            if let Ok(mut u) = UNREPORTED.lock() {
                *u = Some(name);
            }
        }
    }
}

/// The path a file was opened by, where the system says (Linux).
fn file_name(file: &File) -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let p = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()?;
        Some(super::read::one_line(&p.display().to_string()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        None
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(mut file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_of(len: usize, tag: &str) -> (std::path::PathBuf, File) {
        let path = std::env::temp_dir().join(format!("ndgpu-map-{tag}-{}", std::process::id()));
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8 | 1).collect();
        std::fs::write(&path, &bytes).unwrap();
        let f = File::open(&path).unwrap();
        (path, f)
    }

    /// A file truncated while a mapped chunk of it is in use: no SIGBUS, the missing bytes
    /// read as zeros, and the source reports the change before anything else is read.
    #[cfg(target_os = "linux")]
    #[test]
    fn truncated_under_a_mapping_is_an_error_not_a_crash() {
        let (path, f) = file_of(4 << 20, "bus");
        let mut src = Source::new(f);
        src.use_map = true;
        let chunk = src.read(0, 1 << 20).unwrap();
        assert!(
            matches!(chunk, Chunk::Map(..)),
            "the chunk should be mapped"
        );
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(8192)
            .unwrap();
        let nonzero = chunk.iter().filter(|&&b| b != 0).count();
        assert_eq!(nonzero, 8192, "bytes past the new end read as zeros");
        drop(chunk);
        let e = src.check().unwrap_err();
        assert!(e.to_string().contains("changed while being read"), "{e}");
        assert!(src.read(1 << 20, 1 << 20).is_err());
        drop(src);
        std::fs::remove_file(&path).unwrap();
    }

    /// A change nobody checked for is kept for the next commit, naming the file.
    #[cfg(target_os = "linux")]
    #[test]
    fn an_unchecked_change_is_kept_for_the_commit() {
        let (path, f) = file_of(1 << 20, "unchecked");
        let mut src = Source::new(f);
        src.use_map = true;
        let chunk = src.read(0, 64 << 10).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        assert!(chunk.iter().all(|&b| b == 0));
        drop(chunk);
        drop(src);
        // (AtomicFile::commit takes it; taken here so that no other test's commit fails.)
        let e = take_unreported_change().unwrap().to_string();
        assert!(e.contains("changed while being read"), "{e}");
        assert!(e.contains("ndgpu-map-unchecked"), "names the file: {e}");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn truncated_before_a_read_is_an_error() {
        for map in [true, false] {
            let (path, f) = file_of(1 << 20, if map { "short-map" } else { "short-read" });
            let mut src = Source::new(f);
            src.use_map = map;
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(1000)
                .unwrap();
            let e = src.read(0, 4096).err().unwrap().to_string();
            assert!(e.contains("changed while being read"), "{e}");
            std::fs::remove_file(&path).unwrap();
        }
    }
}
