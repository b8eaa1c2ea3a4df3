//! Where a file's bytes come from, chunk by chunk: a fresh read-only mapping of just that chunk
//! (pre-faulted with MAP_POPULATE and unmapped when the chunk is done, so resident memory stays
//! bounded by the chunk size), or, when mapping is unavailable or disabled
//! (`NDGPU_NO_MMAP=1`), positioned reads into one reused 8-byte-aligned buffer.
//!
//! The mapping itself is made in `crate::platform`, with the crate's other `unsafe`. The bench
//! report measures both paths.

use std::fs::File;
use std::ops::Deref;

use memmap2::Mmap;

/// The bytes of one chunk.
pub(crate) enum Chunk<'a> {
    Map(Mmap),
    Buf(&'a [u8]),
}

impl Deref for Chunk<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Chunk::Map(m) => m,
            Chunk::Buf(b) => b,
        }
    }
}

/// A file read in chunks.
pub(crate) struct Source {
    file: File,
    use_map: bool,
    buf: Vec<u64>,
}

impl Source {
    pub(crate) fn new(file: File) -> Source {
        let use_map = std::env::var("NDGPU_NO_MMAP").map_or(true, |v| v != "1");
        Source {
            file,
            use_map,
            buf: Vec::new(),
        }
    }

    /// `len` bytes at `offset`. The caller has checked that the file holds them.
    pub(crate) fn read(&mut self, offset: u64, len: usize) -> std::io::Result<Chunk<'_>> {
        if self.use_map && len > 0 {
            match crate::platform::map_file_range(&self.file, offset, len) {
                Ok(m) => return Ok(Chunk::Map(m)),
                // Fall back for good (e.g. a file system without mmap support).
                Err(_) => self.use_map = false,
            }
        }
        let words = len.div_ceil(8);
        if self.buf.len() < words {
            self.buf.resize(words, 0);
        }
        let bytes = &mut bytemuck::cast_slice_mut::<u64, u8>(&mut self.buf)[..len];
        read_exact_at(&self.file, bytes, offset)?;
        Ok(Chunk::Buf(bytes))
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
