//! Exact float sums on the GPU (issue 8): passes of `exact_fold.wgsl` turn elements into
//! exact accumulators (canonical words, see `shaders/common/exact.wgsl`) and merge them along
//! the reduced axis; `exact_round.wgsl` rounds them once to the output format. Integer
//! operations only, so adapters without f64 / i64 give the same words and bytes.

use super::kernels::{self, Side};
use super::{GpuDevice, GpuStorage, PassBlocks, WG};
#[cfg(test)]
use crate::backend::Backend;
#[cfg(test)]
use crate::exact::{Acc32, Acc64, Fmt};
use crate::plan::Reduce3;
use crate::{DType, Error, Result};

/// What an exact rounding divides by.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Divisor<'a> {
    /// The same count for every element (1 for sums; 0 gives NaN).
    All(usize),
    /// An int64 count per element (nanmean).
    Each(&'a GpuStorage),
}

impl GpuDevice {
    /// The exact accumulators (`kernels::exact_words(dtype)` u32 words per output element) of
    /// the sums of float `dtype` elements over `passes`; `nan` leaves NaN elements out.
    pub(crate) fn exact_fold(
        &self,
        x: &GpuStorage,
        dtype: DType,
        nan: bool,
        passes: &[Reduce3],
    ) -> Result<GpuStorage> {
        self.ctx.scoped(|| {
            let mut cur: Option<GpuStorage> = None;
            for &r in passes {
                let src = cur.as_ref().unwrap_or(x);
                cur = Some(self.exact_axis(src, dtype, cur.is_none(), nan, r)?);
            }
            cur.ok_or_else(|| Error::Internal("an exact sum without passes".into()))
        })
    }

    /// The passes of one exact sum over the middle axis of `r`, until one block is left.
    fn exact_axis(
        &self,
        x: &GpuStorage,
        dtype: DType,
        elements: bool,
        nan: bool,
        r: Reduce3,
    ) -> Result<GpuStorage> {
        let words = kernels::exact_words(dtype);
        self.check_len(if elements {
            r.input_len()
        } else {
            r.input_len() * words
        })?;
        let mut elements = elements;
        let mut len = r.len;
        let mut cur: Option<GpuStorage> = None;
        loop {
            let src = cur.as_ref().unwrap_or(x);
            let (dst, nblocks) = self.exact_pass(src, dtype, elements, nan, r, len)?;
            if nblocks == 1 {
                return Ok(dst);
            }
            cur = Some(dst);
            elements = false;
            len = nblocks;
        }
    }

    /// One pass of `exact_axis` over rows of `len` items: the accumulators of its blocks, and
    /// how many blocks there are per slot.
    pub(super) fn exact_pass(
        &self,
        src: &GpuStorage,
        dtype: DType,
        elements: bool,
        nan: bool,
        r: Reduce3,
        len: usize,
    ) -> Result<(GpuStorage, usize)> {
        let words = kernels::exact_words(dtype);
        let shift = self.chunk_shift();
        let w = kernels::exact_width(dtype, r.inner, len) as usize;
        let b = PassBlocks::new(r, len, w, kernels::EXACT_K);
        let nblocks = b.nblocks;
        let out_words = r.outer * nblocks * r.inner * words;
        self.check_len(out_words)?;
        let dst = self.alloc(DType::UInt32, out_words)?;
        let packed = kernels::packed(elements.then_some(dtype), r.inner);
        let (s, d) = (
            Side::words(src.chunks.len(), shift),
            Side::words(dst.chunks.len(), shift),
        );
        let vars = kernels::exact_fold_vars(dtype, nan, elements, w as u32, packed, s, d);
        self.run_pass("exact_fold", &vars, src, &dst, &b)?;
        Ok((dst, nblocks))
    }

    /// `n` elements of `dtype` rounded once from their exact accumulators divided by `div`.
    pub(crate) fn exact_round(
        &self,
        acc: &GpuStorage,
        dtype: DType,
        div: Divisor<'_>,
        n: usize,
    ) -> Result<GpuStorage> {
        self.ctx.scoped(|| {
            let values = n * kernels::exact_parts(dtype);
            self.check_len(n * kernels::exact_words(dtype))?;
            let out_bytes = (n * dtype.itemsize()) as u64;
            let dst = self.alloc(dtype, n)?;
            if n == 0 {
                return Ok(dst);
            }
            let shift = self.chunk_shift();
            let out_words = out_bytes.div_ceil(4) as usize;
            // One invocation per output word (float64: per value, two words).
            let inv = if dtype == DType::Float64 {
                values
            } else {
                out_words
            };
            let src = Side::words(acc.chunks.len(), shift);
            let d = Side::words(dst.chunks.len(), shift);
            let (cnt, count) = match div {
                Divisor::All(c) => (None, c),
                Divisor::Each(c) => (Some(c), 1),
            };
            if count >= 1 << 31 {
                return Err(Error::Unsupported(
                    "a mean over 2^31 or more elements on the GPU".into(),
                ));
            }
            let cnt_side = cnt.map(|c| Side::words(c.chunks.len(), shift));
            let vars = kernels::exact_round_vars(dtype, src, cnt_side, d);
            let grid = self.fold_grid(inv.div_ceil(WG));
            let p = [
                values as u32,
                inv as u32,
                count as u32,
                grid[0],
                grid[1],
                0,
                0,
                0,
            ];
            let mut srcs = vec![acc];
            srcs.extend(cnt);
            self.run_with("exact_round", &vars, &srcs, &dst, &p, grid)?;
            Ok(dst)
        })
    }

    /// Test hook: the exact accumulator words of `bytes` (elements of float `dtype`) summed
    /// over `passes` on this device.
    #[cfg(test)]
    pub(crate) fn exact_sum_words(
        &self,
        dtype: DType,
        bytes: &[u8],
        nan: bool,
        passes: &[Reduce3],
    ) -> Result<Vec<u32>> {
        let x = self.upload(dtype, bytes)?;
        let acc = self.exact_fold(&x, dtype, nan, passes)?;
        let n = passes.last().map_or(0, Reduce3::output_len) * kernels::exact_words(dtype);
        debug_assert_eq!((acc.dtype, acc.len), (DType::UInt32, n));
        let host = self.download(&acc)?;
        Ok(bytemuck::pod_collect_to_vec(host.as_bytes()))
    }

    /// Test hook: `words` (exact accumulators of `n` elements of `dtype`) rounded on this
    /// device, divided by `count`, or by `counts[i]` when given.
    #[cfg(test)]
    pub(crate) fn exact_round_bytes(
        &self,
        dtype: DType,
        words: &[u32],
        count: usize,
        counts: Option<&[i64]>,
    ) -> Result<Vec<u8>> {
        let n = words.len() / kernels::exact_words(dtype);
        let acc = self.upload(DType::UInt32, bytemuck::cast_slice::<u32, u8>(words))?;
        let cnt = counts
            .map(|c| self.upload(DType::Int64, bytemuck::cast_slice::<i64, u8>(c)))
            .transpose()?;
        let div = cnt.as_ref().map_or(Divisor::All(count), Divisor::Each);
        let out = self.exact_round(&acc, dtype, div, n)?;
        Ok(self.download(&out)?.as_bytes().to_vec())
    }
}

/// Test hook: the CPU's exact accumulator words of `bytes` (elements of float `dtype`) over
/// one `Reduce3`, from `src/exact`'s `SuperAcc::to_words`.
#[cfg(test)]
pub(crate) fn exact_reference_words(dtype: DType, bytes: &[u8], nan: bool, r: Reduce3) -> Vec<u32> {
    let isz = dtype.itemsize();
    let bits = |e: usize| -> u64 {
        let mut b = [0u8; 8];
        b[..isz].copy_from_slice(&bytes[e * isz..(e + 1) * isz]);
        u64::from_le_bytes(b)
    };
    let f32_of = |b: u32| f32::from_bits(b);
    let mut out = Vec::new();
    for o in 0..r.outer {
        for c in 0..r.inner {
            let mut a32 = [Acc32::new(), Acc32::new()];
            let mut a64 = Acc64::new();
            for k in 0..r.len {
                let v = bits((o * r.len + k) * r.inner + c);
                match dtype {
                    DType::Float64 => {
                        let x = f64::from_bits(v);
                        if !(nan && x.is_nan()) {
                            a64.add_f64(x);
                        }
                    }
                    DType::Complex64 => {
                        let (re, im) = (f32_of(v as u32), f32_of((v >> 32) as u32));
                        if !(nan && (re.is_nan() || im.is_nan())) {
                            a32[0].add_f32(re);
                            a32[1].add_f32(im);
                        }
                    }
                    _ => {
                        let x = match dtype {
                            DType::Float16 => half::f16::from_bits(v as u16).to_f32(),
                            DType::BFloat16 => half::bf16::from_bits(v as u16).to_f32(),
                            _ => f32_of(v as u32),
                        };
                        if !(nan && x.is_nan()) {
                            a32[0].add_f32(x);
                        }
                    }
                }
            }
            match dtype {
                DType::Float64 => out.extend(a64.to_words()),
                DType::Complex64 => {
                    out.extend(a32[0].to_words());
                    out.extend(a32[1].to_words());
                }
                _ => out.extend(a32[0].to_words()),
            }
        }
    }
    out
}

/// Test hook: the CPU's rounding of exact accumulator words (see [`exact_reference_words`]),
/// each element divided by `count`, or by `counts[i]` when given.
#[cfg(test)]
pub(crate) fn exact_reference_round(
    dtype: DType,
    words: &[u32],
    count: usize,
    counts: Option<&[i64]>,
) -> Vec<u8> {
    let per = kernels::exact_words(dtype) / kernels::exact_parts(dtype);
    let fmt = Fmt::of(dtype).expect("a float dtype");
    let size = dtype.itemsize() / kernels::exact_parts(dtype);
    let mut out = Vec::new();
    for (i, acc) in words.chunks_exact(per).enumerate() {
        let e = i / kernels::exact_parts(dtype);
        let c = counts.map_or(count, |c| c[e] as usize) as u64;
        let bits = crate::exact::round_words(acc, fmt, c);
        out.extend_from_slice(&bits.to_le_bytes()[..size]);
    }
    out
}
