//! The only `unsafe` of the crate (everywhere else `unsafe_code` is denied): x86-64 AVX2/F16C
//! kernels chosen at run time, each with a portable caller-side fallback; one memory-advice
//! call; and the read-only file mapping the .npy stream reads chunks through, with the SIGBUS
//! guard that turns a file truncated under the mapping into an error. Every kernel
//! computes exactly what the scalar code it replaces computes (the same operations in the same
//! order), which the tests in `sum`, `argmax` and `cast` check bit for bit. Each was kept only
//! for a measured win (the bench report shows them: e.g. the mapped stream against reads).
#![allow(unsafe_code)]

/// True when the AVX2 kernels may run (checked once by std, then a cached load).
#[inline]
pub(crate) fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// True when the F16C conversion kernel may run.
#[inline]
pub(crate) fn f16c() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("f16c")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Bytes ahead of a reduction loop's position that [`prefetch_ahead`] asks the cache for.
const PREFETCH_BYTES: usize = 4096;

/// Hints the processor to fetch the cache lines `PREFETCH_BYTES` past `chunk` (which the loop
/// reads next) into cache: the reductions' loops do enough work per byte that, without it,
/// too few loads are in flight to reach the memory bandwidth (max of float32 on one thread:
/// 6.4 GB/s without, 11 with, the read kernel's speed). A no-op off x86_64.
#[inline(always)]
pub(crate) fn prefetch_ahead<T>(chunk: &[T]) {
    #[cfg(target_arch = "x86_64")]
    for line in (0..std::mem::size_of_val(chunk)).step_by(64) {
        let p = chunk
            .as_ptr()
            .cast::<i8>()
            .wrapping_add(PREFETCH_BYTES + line);
        // SAFETY: a prefetch never faults (any address is allowed, none is read) and SSE is
        // baseline on x86_64.
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p) };
    }
}

/// Bytes ahead in a row that the exact column kernels prefetch.
pub(crate) const COLUMN_PREFETCH_BYTES: usize = 512;

/// Runs `f` compiled for AVX2 when the CPU has it, else as is. The same source either way, so
/// the same results: integer code is exact, and Rust never reassociates or contracts float
/// operations, so only the vector width changes. (Without this, the default x86-64 target
/// vectorises with SSE2 only: no unsigned max or compare, half-width registers.) `f` should
/// call `#[inline(always)]` kernels so that they are compiled inside the AVX2 function.
#[inline(always)]
pub(crate) fn avx2_or<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        #[target_feature(enable = "avx2")]
        fn run<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        // SAFETY: AVX2 is present (checked above), the only requirement of `run`.
        return unsafe { run(f) };
    }
    f()
}

/// Sums of consecutive 256-element blocks of `x` into `out` (one per block), each exactly as
/// `fold::fold_block` computes it: 32 lanes starting at +0.0, element `k` added to lane
/// `k % 32` in order, then lanes halved pairwise (`lane[i] + lane[i + w]`, w = 16, 8, 4, 2,
/// 1); 32 lanes are eight 4-wide registers. Returns false (and does nothing) when AVX2 is
/// missing. (The float64 sums of integer means use it; float sums are exact, `exact`.)
pub(crate) fn block_sums_f64(x: &[f64], out: &mut [f64]) -> bool {
    assert_eq!(x.len(), out.len() * 256, "whole blocks only");
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: AVX2 is present; the kernel reads exactly `out.len() * 256` elements of `x`.
        unsafe { x86::block_sums_f64(x, out) };
        return true;
    }
    false
}

/// Products of consecutive 256-element blocks of `x` into `out` (one per block), each exactly
/// as `fold::fold_block` computes it: 32 lanes starting at 1.0, element `k` multiplied into
/// lane `k % 32` in order, then lanes halved pairwise (`lane[i] * lane[i + w]`, w = 16, 8, 4,
/// 2, 1); 32 lanes are four 8-wide registers. Returns false (and does nothing) without AVX2.
/// (The generic loop's horizontal halving and lack of software prefetch held float32 prod to
/// 0.63-0.69 of the read kernel.)
/// With `skip_nan` (nanprod) a NaN element is taken as 1.0.
pub(crate) fn block_prods_f32(x: &[f32], out: &mut [f32], skip_nan: bool) -> bool {
    assert_eq!(x.len(), out.len() * 256, "whole blocks only");
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: AVX2 is present; the kernel reads exactly `out.len() * 256` elements of `x`.
        unsafe {
            if skip_nan {
                x86::block_prods_f32::<true>(x, out);
            } else {
                x86::block_prods_f32::<false>(x, out);
            }
        }
        return true;
    }
    let _ = skip_nan;
    false
}

/// f32 -> f16, round to nearest even, NaNs quieted keeping sign and top payload bits: the same
/// bits as `bits::f32_to_f16` (F16C's `vcvtps2ph` with round-to-nearest does exactly this).
/// `stream`: write with non-temporal stores. Returns false when F16C is missing.
pub(crate) fn f32_to_f16(src: &[f32], dst: &mut [u16], stream: bool) -> bool {
    assert_eq!(src.len(), dst.len());
    #[cfg(target_arch = "x86_64")]
    if f16c() {
        // SAFETY: AVX2 and F16C are present; lengths are equal (asserted) and the kernel stays
        // within them.
        unsafe { x86::f32_to_f16(src, dst, stream) };
        return true;
    }
    false
}

/// The float16 lane pass of the exact sums (`exact::block`) with F16C: adds the float16
/// values with bits `blk` (a multiple of 16 of them) to the 16 f64 lanes `sums`, element `k`
/// to lane `k % 16`, each converted to f64 as the portable loop does, so the lanes get the
/// same bits (every addition is exact: see `exact::block`); an infinity or NaN leaves its
/// lane infinite or NaN, as there, which the caller sees (it then takes the per-value path).
/// False (and nothing done) without F16C.
pub(crate) fn f16_lane_sums(blk: &[u16], sums: &mut [f64; 16]) -> bool {
    assert!(blk.len().is_multiple_of(16), "whole lane rows only");
    #[cfg(target_arch = "x86_64")]
    if f16c() {
        // SAFETY: AVX2 and F16C are present; the kernel reads only within `blk` (whole
        // 16-element rows, asserted) and writes only `sums`.
        unsafe { x86::f16_lane_sums(blk, sums) };
        return true;
    }
    let _ = sums;
    false
}

/// The float16 column pass of the exact sums (`exact::columns`) with F16C: for the first
/// `sums.len() / 8 * 8` columns, adds each row of `rows` (each at least `sums.len()` long)
/// into the f64 lane `sums[j]`. For finite values the lanes equal the portable loop's bit for
/// bit, since every addition is exact either way; a lane that met an infinity or NaN ends
/// infinite or NaN, as there. Returns the number of columns done (0 without F16C).
///
/// Each 8 rows are first added in float32, split exactly into a part on the grid of 2^-2
/// (`(x + 1.5 * 2^21) - 1.5 * 2^21`: that constant's binade has unit 2^-2 and holds it plus
/// any finite float16) and the rest (at most 2^-3 in size, a multiple of 2^-24): 8 grid parts
/// sum below 2^19 on the grid, 8 rests to at most 1 in multiples of 2^-24, both exact in
/// float32's 24 bits (an infinity makes the grid part infinite and the rest NaN). Two f64
/// conversions and adds per 8 rows, instead of one per row, and no tracking of the largest
/// value: the conversions and the tracking were most of the kernel's work.
pub(crate) fn f16_columns<const R: usize>(rows: &[&[u16]; R], sums: &mut [f64]) -> usize {
    let w = sums.len() / 8 * 8;
    assert!(rows.iter().all(|r| r.len() >= sums.len()));
    #[cfg(target_arch = "x86_64")]
    if f16c() && w > 0 {
        let at = rows.map(<[u16]>::as_ptr);
        // SAFETY: AVX2 and F16C are present; columns below w lie inside every row and `sums`
        // (asserted above).
        unsafe { x86::f16_columns(&at, &mut sums[..w]) };
        return w;
    }
    let _ = rows;
    0
}

/// The float64 lane pass of the exact sums (`exact::block::f64_lanes`, which it replaces
/// operation for operation): element `k` of `blk` (a multiple of 8 elements) into lane
/// `k % 8` of `[hi, lo, max, min]`: `h = (x + big) - big` added to `hi`, `x - h` to `lo`,
/// `|x|` into `max` and `|x|` less one unit in the last place (as bits) into `min`, with the
/// portable code's comparisons (`a > m ? a : m` is maxpd, `a < m ? a : m` is minpd). False
/// (and nothing done) without AVX2.
pub(crate) fn f64_lanes(blk: &[f64], big: f64, lanes: [&mut [f64; 8]; 4]) -> bool {
    assert!(blk.len().is_multiple_of(8), "whole lane rows only");
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: AVX2 is present; the kernel reads whole 8-element rows within `blk`
        // (asserted) and writes only the four 8-element lane arrays.
        unsafe { x86::f64_lanes(blk, big, lanes) };
        return true;
    }
    let _ = (big, lanes);
    false
}

/// The float64 column pass of the exact sums (`exact::columns`, replaced operation for
/// operation): for the first `big.len() / 4 * 4` columns, each row of `rows` (each at least
/// `big.len()` long) into that column's `[hi, lo, max, min]` state as [`f64_lanes`] does for a
/// lane, with the column's grid constant `big[j]`, rows in order. Returns the number of
/// columns done (0 without AVX2).
pub(crate) fn f64_columns(rows: &[&[f64]], big: &[f64], state: [&mut [f64]; 4]) -> usize {
    let w = big.len() / 4 * 4;
    assert!(
        state.iter().all(|s| s.len() == big.len()) && rows.iter().all(|r| r.len() >= big.len())
    );
    #[cfg(target_arch = "x86_64")]
    if avx2() && w > 0 {
        // SAFETY: AVX2 is present; columns below w lie inside every row, `big` and the four
        // state slices (asserted above).
        unsafe { x86::f64_columns(rows, &big[..w], state) };
        return w;
    }
    let _ = (rows, state);
    0
}

/// The float32-range column pass of the exact sums (`exact::columns`, replaced operation for
/// operation) over float32 or bfloat16 rows (each at least `sums.len()` long): for the first
/// `sums.len() / 8 * 8` columns, each value as float32 bits `b` in row order: its exact f64
/// value added to `sums[j]`, `b & 0x7fff_ffff` into `max[j]` (unsigned) and that minus one
/// (wrapping) into `min[j]`. Returns the number of columns done (0 without AVX2).
pub(crate) fn narrow_columns<T: Copy, const R: usize>(
    rows: &[&[T]; R],
    sums: &mut [f64],
    max: &mut [u32],
    min: &mut [u32],
) -> usize {
    let w = sums.len() / 8 * 8;
    let size = size_of::<T>();
    assert!(size == 2 || size == 4, "float32 or bfloat16 bits");
    assert!(max.len() == sums.len() && min.len() == sums.len());
    assert!(rows.iter().all(|r| r.len() >= sums.len()));
    #[cfg(target_arch = "x86_64")]
    if avx2() && w > 0 {
        let at = rows.map(|r| r.as_ptr().cast::<u8>());
        // SAFETY: AVX2 is present; every row holds at least w elements of `size` bytes, and
        // the state slices at least w (asserted above).
        unsafe {
            if size == 2 {
                // 16 columns a step where there are 16 (the extremes on 16-bit lanes), then
                // the last 8 if any.
                let w16 = w / 16 * 16;
                x86::bf16_columns::<R>(&at, &mut sums[..w16], &mut max[..w16], &mut min[..w16]);
                let at = at.map(|p| p.wrapping_add(2 * w16));
                let (s, m, n) = (&mut sums[w16..w], &mut max[w16..w], &mut min[w16..w]);
                x86::narrow_columns::<true, R>(&at, s, m, n);
            } else {
                x86::narrow_columns::<false, R>(&at, &mut sums[..w], &mut max[..w], &mut min[..w]);
            }
        }
        return w;
    }
    let _ = (rows, max, min);
    0
}

/// The form of a block's column extremes around its [`narrow_columns`] passes: before the
/// first (`kernel_form`) from the caller's u32 form into the one that pass keeps between
/// passes, after the last back. Only bfloat16 rows (`T` of 2 bytes) on AVX2 have a form of
/// their own: 16-bit lanes in the first half of each leading 16-column group's slots (see
/// `x86::bf16_columns`; converting them on every pass was 15 % of a bfloat16 column sum).
pub(crate) fn narrow_columns_form<T>(max: &mut [u32], min: &mut [u32], kernel_form: bool) {
    #[cfg(target_arch = "x86_64")]
    if size_of::<T>() == 2 && avx2() {
        let w16 = max.len().min(min.len()) / 16 * 16;
        // SAFETY: AVX2 is present; both slices hold at least w16 values.
        unsafe { x86::bf16_extremes_pack(&mut max[..w16], &mut min[..w16], kernel_form) };
    }
    let _ = (max, min, kernel_form);
}

/// The float32-range lane pass of the exact sums (`exact::block::narrow_pass`, replaced
/// operation for operation) over float32 or bfloat16 values (a multiple of 16 of them):
/// element `k`, as float32 bits `b`, into lane `k % 16`: its exact f64 value added to `sums`,
/// `b & 0x7fff_ffff` into `max` (unsigned) and that minus one (wrapping) into `min`. False
/// (and nothing done) without AVX2. (The portable loop, vectorised, held bfloat16 to a
/// quarter of the read bandwidth with its widening, shifts and inserts, and float32 rows of
/// 10000 to 0.81-0.90 of it with fewer loads in flight.)
pub(crate) fn narrow_lanes<T: Copy>(
    blk: &[T],
    sums: &mut [f64; 16],
    max: &mut [u32; 16],
    min: &mut [u32; 16],
) -> bool {
    assert!(blk.len().is_multiple_of(16), "whole lane rows only");
    let size = size_of::<T>();
    assert!(size == 2 || size == 4, "float32 or bfloat16 bits");
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        let p = blk.as_ptr().cast::<u8>();
        // SAFETY: AVX2 is present; `blk` holds blk.len() values of `size` bytes, read as
        // whole 16-element rows (asserted), and the kernels write only the three lane arrays.
        unsafe {
            if size == 2 {
                x86::bf16_lanes(
                    std::slice::from_raw_parts(p.cast(), blk.len()),
                    sums,
                    max,
                    min,
                );
            } else {
                x86::f32_lanes(
                    std::slice::from_raw_parts(p.cast(), blk.len()),
                    sums,
                    max,
                    min,
                );
            }
        }
        return true;
    }
    let _ = (sums, max, min);
    false
}

/// What one block of [`bf16_window_lanes`] saw: the largest magnitude's bits, and how many
/// non-zero values below the window it left out of the sums and wrote to `small` (None: more
/// than `BF16_SMALL`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlockWindow {
    pub(crate) max: u16,
    pub(crate) small: Option<usize>,
}

/// The most values below the window that one block of [`bf16_window_lanes`] collects.
pub(crate) const BF16_SMALL: usize = 64;

/// Values per float32 lane group of [`bf16_window_lanes`]: each float32 lane takes 8 values
/// of a group before it is added to the f64 lanes.
pub(crate) const BF16_GROUP: usize = 256;

/// The windowed bfloat16 pass of the exact sums (`exact::block::sum_bf16_kernel`) over
/// `blk`, bfloat16 bits (a multiple of 16 of them, at most 32 groups): the values whose
/// magnitude's bits are at least `low` (a field shifted into place, at least 1 << 7) are
/// added in float32 lanes, 8 values to a lane, and each group's lanes then into the 16 f64
/// `sums`; the others are only seen, and the non-zero ones written to `small` (see
/// [`BlockWindow`]). Which lane a value goes to is left to the kernel: only the total of the
/// lanes is defined, and it is exact when the caller's bound holds. None (and nothing done)
/// without AVX2.
pub(crate) fn bf16_window_lanes(
    blk: &[u16],
    low: u16,
    sums: &mut [f64; 16],
    small: &mut [u16; BF16_SMALL],
) -> Option<BlockWindow> {
    assert!(blk.len().is_multiple_of(16) && blk.len() <= 32 * BF16_GROUP);
    assert!(low >= 1 << 7, "a window above the subnormals");
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: AVX2 is present; the kernel reads `blk` in whole 16-value rows (asserted)
        // and writes only `sums` and `small`.
        return Some(unsafe { x86::bf16_window_lanes(blk, low, sums, small) });
    }
    let _ = (sums, small);
    None
}

/// The windowed bfloat16 column pass of the exact sums (`exact::columns`,
/// `columns_bf16_window`) over `rows` of bfloat16 bits (at most 16 rows, each at least
/// `sums.len()` long: even and odd rows go to separate float32 sums, 8 to a lane), for the
/// first `sums.len() / 16 * 16` columns: each value's magnitude
/// bits into `max[j]`; the values at least `low[j]` in magnitude added in float32 (exact for
/// the caller's window), then into `sums[j]`; the others added to `sums[j]` as they are, their
/// magnitude bits minus one (wrapping) into `out_min[j]`. Returns the number of columns done
/// (0 without AVX2).
pub(crate) fn bf16_window_columns<const R: usize>(
    rows: &[&[u16]; R],
    low: &[u16],
    sums: &mut [f64],
    max: &mut [u16],
    out_min: &mut [u16],
) -> usize {
    assert!(R <= 16, "8 values to a float32 lane");
    let w = sums.len() / 16 * 16;
    assert!(low.len() == sums.len() && max.len() == sums.len() && out_min.len() == sums.len());
    assert!(rows.iter().all(|r| r.len() >= sums.len()));
    #[cfg(target_arch = "x86_64")]
    if avx2() && w > 0 {
        let at = rows.map(|r| r.as_ptr());
        // SAFETY: AVX2 is present; every row holds at least w values and the state slices
        // at least w (asserted above).
        unsafe {
            x86::bf16_window_columns(
                &at,
                &low[..w],
                &mut sums[..w],
                &mut max[..w],
                &mut out_min[..w],
            )
        };
        return w;
    }
    let _ = (low, max, out_min);
    0
}

/// f32 -> i32 truncating toward zero, saturating, NaN -> 0 (Rust's `as`). Returns false when
/// AVX2 is missing.
pub(crate) fn f32_to_i32(src: &[f32], dst: &mut [i32], stream: bool) -> bool {
    assert_eq!(src.len(), dst.len());
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: AVX2 is present; lengths are equal (asserted) and the kernel stays within them.
        unsafe { x86::f32_to_i32(src, dst, stream) };
        return true;
    }
    false
}

/// i64 -> f32 with Rust's `as` (round to nearest even), written with streaming stores. Returns
/// false when AVX2 is missing.
pub(crate) fn i64_to_f32_stream(src: &[i64], dst: &mut [f32]) -> bool {
    assert_eq!(src.len(), dst.len());
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: AVX2 is present; lengths are equal (asserted) and the kernel stays within them.
        unsafe { x86::i64_to_f32_stream(src, dst) };
        return true;
    }
    false
}

/// Outputs of at least this many bytes are written with streaming (non-temporal) stores: they
/// would not stay in cache anyway, and skipping the read-for-ownership of every destination
/// line saves a third of the memory traffic of a cast.
pub(crate) const STREAM_BYTES: usize = 16 << 20;

/// The largest `bits::f32_key(b ^ flip)` over the bits `b` of the elements of `x` (non-empty),
/// or None without AVX2. `flip` = the sign bit gives argmin's keys (those of -x).
pub(crate) fn max_key_f32(x: &[f32], flip: u32) -> Option<u32> {
    assert!(!x.is_empty());
    if !avx2() {
        return None;
    }
    let n = x.len() / 32 * 32;
    let best = match n {
        0 => 0, // below every key, so the tail decides
        _ => match largest_f32(&x[..n], flip, false)? {
            Largest::Bits(b) => crate::bits::f32_key(b),
            Largest::Nan | Largest::AllNan => u32::MAX,
        },
    };
    let tail = x[n..]
        .iter()
        .map(|v| crate::bits::f32_key(v.to_bits() ^ flip));
    Some(tail.fold(best, u32::max))
}

/// The largest of a run of float32 elements (see [`largest_f32`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Largest {
    /// The bits (`bits ^ flip`) of the largest element.
    Bits(u32),
    /// A NaN was among them (only without `skip_nan`).
    Nan,
    /// Every element was NaN (only with `skip_nan`).
    AllNan,
}

/// The largest of the elements of `x` (a non-zero multiple of 32 of them) seen as the floats of
/// bits `bits ^ flip`, in the total order (-0.0 below +0.0); with `skip_nan` NaNs are left out.
/// None without AVX2.
///
/// No per-element key: the kernel keeps three running extremes of the bits, three instructions
/// per eight elements (a block holding a NaN is redone with four more when `skip_nan`). As
/// signed integers the largest non-negative float has the largest bits and the negative float
/// nearest zero the smallest; as unsigned integers negative NaNs lie above -inf; with
/// `skip_nan` a NaN reads as all ones, below every non-negative and above every negative.
pub(crate) fn largest_f32(x: &[f32], flip: u32, skip_nan: bool) -> Option<Largest> {
    assert!(!x.is_empty() && x.len().is_multiple_of(32));
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: AVX2 is present; the kernel reads only within `x`.
        let (h, l, u) = unsafe {
            if skip_nan {
                x86::extremes_f32::<true>(x, flip)
            } else {
                x86::extremes_f32::<false>(x, flip)
            }
        };
        return Some(if !skip_nan && (h > 0x7f80_0000 || u > 0xff80_0000) {
            Largest::Nan
        } else if h >= 0 {
            Largest::Bits(h as u32)
        } else if skip_nan && l == -1 {
            Largest::AllNan
        } else {
            Largest::Bits(l as u32)
        });
    }
    let _ = (flip, skip_nan);
    None
}

/// For float32 `any` / `all`: the bitwise OR and the unsigned minimum of every element's bits
/// without the sign (`x.len()` a multiple of 32). An element is true (non-zero or NaN) exactly
/// when those bits are not 0, so `any` is `or != 0` and `all` is `min != 0`. None without AVX2.
///
/// The generic fold's loop (compare, mask, OR) kept fewer loads in flight: 0.70 of the read
/// kernel along axis 1 of 10000x10000, where the extremes kernel, shaped like this one, ran
/// at 1.08.
pub(crate) fn truth_f32(x: &[f32]) -> Option<(u32, u32)> {
    assert!(x.len().is_multiple_of(32));
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: AVX2 is present; the kernel reads only within `x`.
        return Some(unsafe { x86::truth_f32(x) });
    }
    None
}

/// Σx as wrapping i64, or None without AVX2.
pub(crate) fn sum_i32(x: &[i32]) -> Option<i64> {
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: AVX2 is present; the kernel reads only within `x`.
        return Some(unsafe { x86::sum_i32(x) });
    }
    let _ = x;
    None
}

/// Column argmax of f32 over `rows` for the first `cols.len() / 8 * 8` columns of `cols`:
/// pushes each column's largest `bits::f32_key(b ^ flip)` and the first row holding it onto
/// `keys` and `at`; with `nan_low`, NaNs have the lowest key, 0 (the nan-variants). Returns
/// the number of columns done (0 without AVX2 or past `i32::MAX` rows).
#[allow(clippy::too_many_arguments)]
pub(crate) fn argmax_columns_f32(
    slab: &[f32],
    inner: usize,
    cols: std::ops::Range<usize>,
    rows: std::ops::Range<usize>,
    flip: u32,
    nan_low: bool,
    keys: &mut Vec<u32>,
    at: &mut Vec<usize>,
) -> usize {
    let w = cols.len() / 8 * 8;
    assert!(cols.end <= inner && rows.end * inner <= slab.len() && !rows.is_empty());
    #[cfg(target_arch = "x86_64")]
    if avx2() && w > 0 && rows.end <= i32::MAX as usize {
        let (mut best, mut rows_at) = (vec![0i32; w], vec![0i32; w]);
        // SAFETY: AVX2 is present; rows below rows.end and columns cols.start..cols.start + w
        // lie inside `slab` (asserted above), and both buffers have w elements.
        unsafe {
            let (best, rows_at) = (&mut best, &mut rows_at);
            let first = cols.start;
            if nan_low {
                x86::argmax_columns_f32::<true>(slab, inner, first, rows, flip, best, rows_at)
            } else {
                x86::argmax_columns_f32::<false>(slab, inner, first, rows, flip, best, rows_at)
            }
        };
        // The kernel's keys of negative floats are one above `bits::f32_key`'s; its NaN key
        // i32::MIN (with `nan_low`) is key 0.
        keys.extend(best.iter().map(|&k| match k {
            i32::MIN => 0,
            k => (k - i32::from(k < 0)) as u32 ^ 0x8000_0000,
        }));
        at.extend(rows_at.iter().map(|&r| r as usize));
        return w;
    }
    let _ = (slab, keys, at, flip, nan_low);
    0
}

/// Asks Linux to back the 2 MiB-aligned interior of `v` with huge pages. Only a hint: fresh
/// outputs then fault in 512 times fewer pages (page faults cost more than the casts).
/// Call it before the first write.
pub(crate) fn advise_huge_pages<T>(v: &[T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        const MADV_HUGEPAGE: i32 = 14;
        unsafe extern "C" {
            fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
        }
        let start = v.as_ptr() as usize;
        let end = start + std::mem::size_of_val(v);
        let lo = start.div_ceil(HUGE) * HUGE;
        let hi = end / HUGE * HUGE;
        if hi > lo {
            // SAFETY: [lo, hi) lies inside the allocation of `v`, which we borrow; MADV_HUGEPAGE
            // changes how later faults are served, never the contents or the mapping. A
            // failure (e.g. THP disabled) only leaves 4 KiB pages, so the result is ignored.
            unsafe { madvise(lo as *mut std::ffi::c_void, hi - lo, MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// A read-only mapping of part of a file (see [`map_file_range`]).
pub(crate) struct FileMap {
    map: memmap2::Mmap,
    /// The guard slot watching this mapping (None where no guard exists: not Linux).
    slot: Option<usize>,
}

impl FileMap {
    /// True when some of the mapped bytes were gone from the file (truncated while mapped):
    /// they read as zeros, so whatever was computed from them is wrong.
    pub(crate) fn faulted(&self) -> bool {
        self.slot.is_some_and(|i| {
            guard::SLOTS[i]
                .faulted
                .load(std::sync::atomic::Ordering::Acquire)
        })
    }
}

impl std::ops::Deref for FileMap {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.map
    }
}

impl Drop for FileMap {
    fn drop(&mut self) {
        // Unwatched before `map` is unmapped (the fields drop after this body).
        if let Some(i) = self.slot {
            guard::release(i);
        }
    }
}

/// A read-only mapping of `len` bytes of `file` at `offset`.
///
/// Not pre-faulted: MAP_POPULATE faults the whole chunk in on the calling thread before any of
/// it is read, while faults taken during the read are spread over the reading threads (and the
/// kernel maps 16 pages around each). Streaming a 4 GiB file in the page cache in 32 MiB
/// chunks: 19.0 GB/s with MAP_POPULATE, 23.4 without (medians of 8, alternating).
///
/// If the file is truncated while the mapping lives, touching a page past the new end of the
/// file would raise SIGBUS and kill the process. On Linux every mapping is watched by a SIGBUS
/// handler (installed once) that maps a zero page over the missing part and marks the mapping
/// [`FileMap::faulted`]: the reader must check that flag after using the bytes and turn it
/// into an error. Errors of kind `ResourceBusy` mean "no guard slot free now: read this chunk
/// instead"; any other error means mapping does not work for this file.
pub(crate) fn map_file_range(
    file: &std::fs::File,
    offset: u64,
    len: usize,
) -> std::io::Result<FileMap> {
    #[cfg(target_os = "linux")]
    guard::install()?;
    // SAFETY: the mapping is read-only and private to this process; the caller checked its range
    // against the file's length. If the file is truncated while we read it, touching a page past
    // its end raises SIGBUS: on Linux the guard below serves such a fault with zeros and flags
    // the mapping (registered before any byte of it is read), which the reader reports as an
    // error. Elsewhere the fault ends the process, as it would for NumPy's memmap.
    let map = unsafe {
        memmap2::MmapOptions::new()
            .offset(offset)
            .len(len)
            .map(file)
    }?;
    #[cfg(target_os = "linux")]
    {
        let Some(slot) = guard::claim(map.as_ptr() as usize, map.len()) else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ResourceBusy,
                "every mapping guard slot is in use",
            ));
        };
        Ok(FileMap {
            map,
            slot: Some(slot),
        })
    }
    #[cfg(not(target_os = "linux"))]
    Ok(FileMap { map, slot: None })
}

/// The SIGBUS guard of file mappings: a fixed table of watched address ranges (lock-free, so
/// the handler may read it) and the handler.
mod guard {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    pub(super) struct Slot {
        start: AtomicUsize,
        end: AtomicUsize,
        pub(super) faulted: AtomicBool,
    }

    /// Mappings watched at once (one per chunk being read; a reader past this reads instead).
    pub(super) static SLOTS: [Slot; 64] = [const {
        Slot {
            start: AtomicUsize::new(0),
            end: AtomicUsize::new(0),
            faulted: AtomicBool::new(false),
        }
    }; 64];

    /// Watches `[start, start + len)`; None when every slot is taken.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(super) fn claim(start: usize, len: usize) -> Option<usize> {
        for (i, s) in SLOTS.iter().enumerate() {
            let free = s
                .start
                .compare_exchange(0, start, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok();
            if free {
                s.faulted.store(false, Ordering::Release);
                s.end.store(start + len, Ordering::Release);
                return Some(i);
            }
        }
        None
    }

    pub(super) fn release(i: usize) {
        let s = &SLOTS[i];
        s.end.store(0, Ordering::Release);
        s.start.store(0, Ordering::Release);
    }

    #[cfg(target_os = "linux")]
    pub(super) use linux::install;

    #[cfg(target_os = "linux")]
    mod linux {
        use super::SLOTS;
        use std::sync::OnceLock;
        use std::sync::atomic::{AtomicUsize, Ordering};

        /// The action SIGBUS had before ours: restored for a fault that is not ours.
        static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();
        static PAGE: AtomicUsize = AtomicUsize::new(4096);
        static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

        /// Installs the handler once per process.
        pub(in super::super) fn install() -> std::io::Result<()> {
            INSTALLED
                .get_or_init(|| {
                    // SAFETY: sysconf has no preconditions.
                    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
                    if page > 0 {
                        PAGE.store(page as usize, Ordering::Relaxed);
                    }
                    // SAFETY: an all-zero sigaction is a valid value (SIG_DFL, empty mask);
                    // every field we rely on is set below.
                    let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
                    new.sa_sigaction = on_sigbus as *const () as usize;
                    new.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESTART;
                    // SAFETY: as above.
                    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
                    // SAFETY: sa_mask is a valid sigset_t to initialise and `old` is valid
                    // for writes; this only reads the current action.
                    let rc = unsafe {
                        libc::sigemptyset(&mut new.sa_mask);
                        libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut old)
                    };
                    if rc != 0 {
                        return Err(std::io::Error::last_os_error().to_string());
                    }
                    let _ = PREVIOUS.set(old);
                    // SAFETY: `new` is a valid action whose handler only does async-signal-safe
                    // things (atomic loads and stores, mmap, sigaction); PREVIOUS is set
                    // before it can run.
                    if unsafe { libc::sigaction(libc::SIGBUS, &new, std::ptr::null_mut()) } != 0 {
                        return Err(std::io::Error::last_os_error().to_string());
                    }
                    Ok(())
                })
                .clone()
                .map_err(std::io::Error::other)
        }

        /// A fault inside a watched mapping: map zeros over the rest of it (from the faulting
        /// page on) and flag it. Any other fault: put the previous action back and return, so
        /// that the access faults again and is handled as it would have been without us.
        extern "C" fn on_sigbus(
            _sig: libc::c_int,
            info: *mut libc::siginfo_t,
            _ctx: *mut libc::c_void,
        ) {
            // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
            let addr = unsafe { (*info).si_addr() } as usize;
            let page = PAGE.load(Ordering::Relaxed);
            for s in &SLOTS {
                let start = s.start.load(Ordering::Acquire);
                let end = s.end.load(Ordering::Acquire);
                if start == 0 || addr < start || addr >= end {
                    continue;
                }
                let lo = addr / page * page;
                let hi = end.div_ceil(page) * page;
                // SAFETY: [lo, hi) lies inside the live read-only mapping of this slot (the
                // slot is released only before that mapping is unmapped, and memmap2 maps
                // whole pages), so replacing those pages with anonymous zero pages touches
                // no other memory; the mapping's owner unmaps the whole range later.
                let p = unsafe {
                    libc::mmap(
                        lo as *mut libc::c_void,
                        hi - lo,
                        libc::PROT_READ,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                        -1,
                        0,
                    )
                };
                if p != libc::MAP_FAILED {
                    s.faulted.store(true, Ordering::Release);
                    return;
                }
                break;
            }
            let previous = PREVIOUS
                .get()
                .map_or(std::ptr::null(), |p| p as *const libc::sigaction);
            // SAFETY: `previous` is null or the action saved at install; sigaction is
            // async-signal-safe. With null, set SIG_DFL instead.
            unsafe {
                if previous.is_null() {
                    libc::signal(libc::SIGBUS, libc::SIG_DFL);
                } else {
                    libc::sigaction(libc::SIGBUS, previous, std::ptr::null_mut());
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn block_prods_f32<const SKIP_NAN: bool>(x: &[f32], out: &mut [f32]) {
        for (o, blk) in out.iter_mut().zip(x.chunks_exact(256)) {
            // SAFETY: AVX2 is present (this function's contract); `blk` is 256 elements.
            *o = unsafe { block_prod_f32::<false>(blk) };
            if SKIP_NAN && o.is_nan() {
                // A NaN product: redo the block with NaNs as 1.0 (without a NaN element the
                // two ways are the same operations, so the same bits).
                // SAFETY: as above.
                *o = unsafe { block_prod_f32_nan_as_one(blk) };
            }
        }
    }

    /// The redo of [`block_prods_f32`], out of line: inlined, it let the compiler keep the
    /// block's 32 loaded registers alive for it and spill them on every block, which cost
    /// nanprod a third of its speed (float32 from cache, 2048x2048: 37-44 against prod's
    /// 49-72 GB/s).
    #[cold]
    #[inline(never)]
    #[target_feature(enable = "avx2")]
    unsafe fn block_prod_f32_nan_as_one(blk: &[f32]) -> f32 {
        // SAFETY: as in `block_prods_f32`, whose contract this function has.
        unsafe { block_prod_f32::<true>(blk) }
    }

    /// One 256-element block of [`super::block_prods_f32`].
    #[target_feature(enable = "avx2")]
    unsafe fn block_prod_f32<const MASK_NAN: bool>(blk: &[f32]) -> f32 {
        let one = _mm256_set1_ps(1.0);
        let p = blk.as_ptr();
        let mut a = [one; 4];
        for r in 0..8 {
            // Hints only (never fault): both lines of this row's 128 bytes, ahead.
            let ahead = p
                .wrapping_add(r * 32 + super::PREFETCH_BYTES / 4)
                .cast::<i8>();
            _mm_prefetch::<_MM_HINT_T0>(ahead);
            _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(64));
            for (j, a) in a.iter_mut().enumerate() {
                // SAFETY: r * 32 + j * 8 + 8 <= 256 = blk.len() (the caller's contract).
                let mut v = unsafe { _mm256_loadu_ps(p.add(r * 32 + j * 8)) };
                if MASK_NAN {
                    v = _mm256_blendv_ps(v, one, _mm256_cmp_ps::<_CMP_UNORD_Q>(v, v));
                }
                *a = _mm256_mul_ps(*a, v);
            }
        }
        // Lanes 8j..8j+7 are a[j]; halve 32 -> 16 -> 8 -> 4 -> 2 -> 1, the lower lane first
        // as in fold_block.
        let b0 = _mm256_mul_ps(a[0], a[2]);
        let b1 = _mm256_mul_ps(a[1], a[3]);
        let c = _mm256_mul_ps(b0, b1);
        let d = _mm_mul_ps(_mm256_castps256_ps128(c), _mm256_extractf128_ps::<1>(c));
        let e = _mm_mul_ps(d, _mm_movehl_ps(d, d));
        _mm_cvtss_f32(_mm_mul_ss(e, _mm_movehdup_ps(e)))
    }

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn block_sums_f64(x: &[f64], out: &mut [f64]) {
        for (o, blk) in out.iter_mut().zip(x.chunks_exact(256)) {
            let p = blk.as_ptr();
            let mut a = [_mm256_setzero_pd(); 8];
            for r in 0..8 {
                for (j, a) in a.iter_mut().enumerate() {
                    // SAFETY: r * 32 + j * 4 + 4 <= 256 = blk.len().
                    *a = _mm256_add_pd(*a, unsafe { _mm256_loadu_pd(p.add(r * 32 + j * 4)) });
                }
            }
            // Lanes 4j..4j+3 are a[j]; halve 32 -> 16 -> 8 -> 4 -> 2 -> 1.
            let b = [
                _mm256_add_pd(a[0], a[4]),
                _mm256_add_pd(a[1], a[5]),
                _mm256_add_pd(a[2], a[6]),
                _mm256_add_pd(a[3], a[7]),
            ];
            let c0 = _mm256_add_pd(b[0], b[2]);
            let c1 = _mm256_add_pd(b[1], b[3]);
            let d = _mm256_add_pd(c0, c1);
            let e = _mm_add_pd(_mm256_castpd256_pd128(d), _mm256_extractf128_pd::<1>(d));
            let f = _mm_add_sd(e, _mm_unpackhi_pd(e, e));
            *o = _mm_cvtsd_f64(f);
        }
    }

    /// Keys as signed integers in the order of `bits::f32_key` (xor the sign bit), made of the
    /// magnitude's bits, negated for negative floats (so -0.0 -> +0.0), NaNs -> `nan_key`
    /// (i32::MAX, or i32::MIN for the nan-variants): that key exactly, but one above it for
    /// negative floats (see [`super::argmax_columns_f32`]). `vpsignd` does the negation in one
    /// instruction.
    #[inline(always)]
    unsafe fn skey(b: __m256i, nan_key: __m256i) -> __m256i {
        // SAFETY: register-only AVX2 operations; every caller is an AVX2 function, entered
        // only after runtime detection.
        unsafe {
            let low = _mm256_set1_epi32(i32::MAX);
            let a = _mm256_and_si256(b, low);
            let nan = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7f80_0000));
            _mm256_blendv_epi8(_mm256_sign_epi32(a, b), nan_key, nan)
        }
    }

    /// The running extremes behind [`super::largest_f32`]: signed max, signed min and unsigned
    /// max of `bits ^ flip`; `x.len()` a multiple of 32. With `SKIP_NAN`, blocks of
    /// `NAN_BLOCK` elements take the plain three instructions and only a block that held a NaN
    /// (its plain extremes tell) is redone with the NaNs masked, while it is in L1.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn extremes_f32<const SKIP_NAN: bool>(
        x: &[f32],
        flip: u32,
    ) -> (i32, i32, u32) {
        const NAN_BLOCK: usize = 1024;
        let n = x.len() / 32 * 32;
        let mut ext = [
            _mm256_set1_epi32(i32::MIN),
            _mm256_set1_epi32(i32::MAX),
            _mm256_setzero_si256(),
        ];
        let block = if SKIP_NAN { NAN_BLOCK } else { n.max(32) };
        let mut start = 0;
        while start < n {
            let blk = &x[start..(start + block).min(n)];
            // SAFETY: AVX2 is present (this function's contract); `blk` is whole 32-element
            // steps.
            let mut e = unsafe { extremes_block::<false>(blk, flip) };
            if SKIP_NAN {
                let pos_nan = _mm256_cmpgt_epi32(e[0], _mm256_set1_epi32(0x7f80_0000));
                let top = _mm256_max_epu32(e[2], _mm256_set1_epi32(0xff80_0000u32 as i32));
                let neg_nan = _mm256_xor_si256(
                    _mm256_cmpeq_epi32(top, _mm256_set1_epi32(0xff80_0000u32 as i32)),
                    _mm256_set1_epi32(-1),
                );
                if _mm256_movemask_epi8(_mm256_or_si256(pos_nan, neg_nan)) != 0 {
                    // SAFETY: as above.
                    e = unsafe { extremes_block::<true>(blk, flip) };
                }
            }
            ext = [
                _mm256_max_epi32(ext[0], e[0]),
                _mm256_min_epi32(ext[1], e[1]),
                _mm256_max_epu32(ext[2], e[2]),
            ];
            start += block;
        }
        let (mut hs, mut ls, mut us) = ([0i32; 8], [0i32; 8], [0u32; 8]);
        // SAFETY: the arrays hold 8 32-bit lanes each.
        unsafe {
            _mm256_storeu_si256(hs.as_mut_ptr().cast(), ext[0]);
            _mm256_storeu_si256(ls.as_mut_ptr().cast(), ext[1]);
            _mm256_storeu_si256(us.as_mut_ptr().cast(), ext[2]);
        }
        let h = hs.into_iter().max().unwrap_or(i32::MIN);
        let l = ls.into_iter().min().unwrap_or(i32::MAX);
        let u = us.into_iter().max().unwrap_or(0);
        (h, l, u)
    }

    /// The lanes of [`extremes_f32`] over `x` (whole 32-element steps): signed maximum,
    /// signed minimum, unsigned maximum of `bits ^ flip` (NaNs as all ones with `MASK_NAN`).
    #[target_feature(enable = "avx2")]
    unsafe fn extremes_block<const MASK_NAN: bool>(x: &[f32], flip: u32) -> [__m256i; 3] {
        let n = x.len() / 32 * 32;
        let fl = _mm256_set1_epi32(flip as i32);
        let (abs, inf) = (_mm256_set1_epi32(i32::MAX), _mm256_set1_epi32(0x7f80_0000));
        let p = x.as_ptr().cast::<__m256i>();
        let mut hi = [_mm256_set1_epi32(i32::MIN); 4];
        let mut lo = [_mm256_set1_epi32(i32::MAX); 4];
        let mut hu = [_mm256_setzero_si256(); 4];
        let mut i = 0;
        while i < n / 8 {
            // Hints only (never fault), so addresses past the end are harmless: both lines
            // of this step's 128 bytes, PREFETCH_BYTES ahead.
            let ahead = p.wrapping_add(i + super::PREFETCH_BYTES / 32).cast::<i8>();
            _mm_prefetch::<_MM_HINT_T0>(ahead);
            _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(64));
            for j in 0..4 {
                // SAFETY: (i + j + 1) * 8 <= n <= x.len().
                let mut b = _mm256_xor_si256(unsafe { _mm256_loadu_si256(p.add(i + j)) }, fl);
                if MASK_NAN {
                    b = _mm256_or_si256(b, _mm256_cmpgt_epi32(_mm256_and_si256(b, abs), inf));
                }
                hi[j] = _mm256_max_epi32(hi[j], b);
                lo[j] = _mm256_min_epi32(lo[j], b);
                hu[j] = _mm256_max_epu32(hu[j], b);
            }
            i += 4;
        }
        [
            _mm256_max_epi32(
                _mm256_max_epi32(hi[0], hi[1]),
                _mm256_max_epi32(hi[2], hi[3]),
            ),
            _mm256_min_epi32(
                _mm256_min_epi32(lo[0], lo[1]),
                _mm256_min_epi32(lo[2], lo[3]),
            ),
            _mm256_max_epu32(
                _mm256_max_epu32(hu[0], hu[1]),
                _mm256_max_epu32(hu[2], hu[3]),
            ),
        ]
    }

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn truth_f32(x: &[f32]) -> (u32, u32) {
        let abs = _mm256_set1_epi32(i32::MAX);
        let p = x.as_ptr().cast::<__m256i>();
        let mut or = [_mm256_setzero_si256(); 4];
        let mut min = [_mm256_set1_epi32(-1); 4];
        let mut i = 0;
        while i < x.len() / 8 {
            // Hints only (never fault), so addresses past the end are harmless: both lines
            // of this step's 128 bytes, PREFETCH_BYTES ahead.
            let ahead = p.wrapping_add(i + super::PREFETCH_BYTES / 32).cast::<i8>();
            _mm_prefetch::<_MM_HINT_T0>(ahead);
            _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(64));
            for j in 0..4 {
                // SAFETY: (i + j + 1) * 8 <= x.len() (a multiple of 32).
                let b = _mm256_and_si256(unsafe { _mm256_loadu_si256(p.add(i + j)) }, abs);
                or[j] = _mm256_or_si256(or[j], b);
                min[j] = _mm256_min_epu32(min[j], b);
            }
            i += 4;
        }
        let or = _mm256_or_si256(_mm256_or_si256(or[0], or[1]), _mm256_or_si256(or[2], or[3]));
        let min = _mm256_min_epu32(
            _mm256_min_epu32(min[0], min[1]),
            _mm256_min_epu32(min[2], min[3]),
        );
        let (mut o, mut m) = ([0u32; 8], [0u32; 8]);
        // SAFETY: the arrays hold 8 32-bit lanes each.
        unsafe {
            _mm256_storeu_si256(o.as_mut_ptr().cast(), or);
            _mm256_storeu_si256(m.as_mut_ptr().cast(), min);
        }
        (
            o.into_iter().fold(0, |a, b| a | b),
            m.into_iter().min().unwrap_or(u32::MAX),
        )
    }

    /// `n` i32 summed as i64 (wrapping): 16-bit halves in 32-bit lanes, which cannot overflow
    /// within `CHUNK` elements, widened once per chunk.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn sum_i32(x: &[i32]) -> i64 {
        const CHUNK: usize = 1 << 16;
        let mut total = 0i64;
        for chunk in x.chunks(CHUNK) {
            let n = chunk.len() / 32 * 32;
            let p = chunk.as_ptr().cast::<__m256i>();
            let mask = _mm256_set1_epi32(0xffff);
            let mut lo = [_mm256_setzero_si256(); 4];
            let mut hi = [_mm256_setzero_si256(); 4];
            let mut i = 0;
            while i < n / 8 {
                // Hints only, as in `max_key_f32`.
                let ahead = p.wrapping_add(i + super::PREFETCH_BYTES / 32).cast::<i8>();
                _mm_prefetch::<_MM_HINT_T0>(ahead);
                _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(64));
                for j in 0..4 {
                    // SAFETY: (i + j + 1) * 8 <= n <= chunk.len().
                    let v = unsafe { _mm256_loadu_si256(p.add(i + j)) };
                    lo[j] = _mm256_add_epi32(lo[j], _mm256_and_si256(v, mask));
                    hi[j] = _mm256_add_epi32(hi[j], _mm256_srai_epi32::<16>(v));
                }
                i += 4;
            }
            let (mut los, mut his) = ([0u32; 32], [0i32; 32]);
            for j in 0..4 {
                // SAFETY: each array holds 32 lanes; j * 8 + 8 <= 32.
                unsafe {
                    _mm256_storeu_si256(los.as_mut_ptr().add(j * 8).cast(), lo[j]);
                    _mm256_storeu_si256(his.as_mut_ptr().add(j * 8).cast(), hi[j]);
                }
            }
            let lo: i64 = los.iter().map(|&v| i64::from(v)).sum();
            let hi: i64 = his.iter().map(|&v| i64::from(v)).sum();
            let rest: i64 = chunk[n..].iter().map(|&v| i64::from(v)).sum();
            total = total
                .wrapping_add(hi.wrapping_mul(1 << 16))
                .wrapping_add(lo)
                .wrapping_add(rest);
        }
        total
    }

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn argmax_columns_f32<const NAN_LOW: bool>(
        slab: &[f32],
        inner: usize,
        start: usize,
        rows: std::ops::Range<usize>,
        flip: u32,
        best: &mut [i32],
        at: &mut [i32],
    ) {
        // SAFETY: the caller guarantees the slab holds rows `rows` of `inner` columns from
        // `start`, `at` and `best` have `w` (a multiple of 8) elements, and AVX2 is present;
        // every pointer below stays inside those slices.
        unsafe {
            let (w, len) = (at.len(), rows.end);
            let base = slab.as_ptr().add(start);
            let fl = _mm256_set1_epi32(flip as i32);
            let nan_key = _mm256_set1_epi32(if NAN_LOW { i32::MIN } else { i32::MAX });
            // Called with r < len and c + 8 <= w: inside the slab.
            let load = |r: usize, c: usize| {
                skey(
                    _mm256_xor_si256(_mm256_loadu_si256(base.add(r * inner + c).cast()), fl),
                    nan_key,
                )
            };
            let first = _mm256_set1_epi32(rows.start as i32);
            let mut c = 0;
            while c < w {
                _mm256_storeu_si256(best.as_mut_ptr().add(c).cast(), load(rows.start, c));
                _mm256_storeu_si256(at.as_mut_ptr().add(c).cast(), first);
                c += 8;
            }
            let mut r = rows.start + 1;
            while r < len {
                let group = (len - r).min(8);
                let mut c = 0;
                while c < w {
                    let bp = best.as_mut_ptr().add(c).cast::<__m256i>();
                    let ap = at.as_mut_ptr().add(c).cast::<__m256i>();
                    let (mut b, mut a) = (_mm256_loadu_si256(bp), _mm256_loadu_si256(ap));
                    let prefetch = c % 16 == 0;
                    for k in 0..group {
                        if prefetch {
                            // A hint only (never faults), so an address past the row is
                            // harmless.
                            let at = base.wrapping_add((r + k) * inner + c).cast::<i8>();
                            _mm_prefetch::<_MM_HINT_T0>(
                                at.wrapping_add(super::COLUMN_PREFETCH_BYTES),
                            );
                        }
                        let key = load(r + k, c);
                        let gt = _mm256_cmpgt_epi32(key, b);
                        b = _mm256_max_epi32(b, key);
                        // Rows only grow and are never negative: where the key is a new
                        // maximum, the row is the larger (cheaper than a blend).
                        let row = _mm256_set1_epi32((r + k) as i32);
                        a = _mm256_max_epi32(a, _mm256_and_si256(gt, row));
                    }
                    _mm256_storeu_si256(bp, b);
                    _mm256_storeu_si256(ap, a);
                    c += 8;
                }
                r += group;
            }
        }
    }

    /// Elements to convert one by one before `dst + i` is `align`-byte aligned (all of them
    /// when that never happens within `n`).
    fn head(dst: usize, size: usize, align: usize, n: usize) -> usize {
        let k = (align - dst % align) % align / size;
        if (dst + k * size).is_multiple_of(align) {
            k.min(n)
        } else {
            n
        }
    }

    #[target_feature(enable = "avx2,f16c")]
    pub(super) unsafe fn f32_to_f16(src: &[f32], dst: &mut [u16], stream: bool) {
        let one = |d: &mut u16, s: &f32| *d = crate::bits::f32_to_f16(s.to_bits());
        let h = if stream {
            head(dst.as_ptr() as usize, 2, 16, src.len())
        } else {
            0
        };
        dst[..h]
            .iter_mut()
            .zip(&src[..h])
            .for_each(|(d, s)| one(d, s));
        let n = h + (src.len() - h) / 8 * 8;
        let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
        let mut i = h;
        while i < n {
            // SAFETY: i + 8 <= n <= len of both slices; when streaming, d + i is 16-byte
            // aligned (i - h is a multiple of 8 two-byte elements).
            unsafe {
                let v = _mm256_loadu_ps(s.add(i));
                let x = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(v);
                if stream {
                    _mm_stream_si128(d.add(i).cast(), x);
                } else {
                    _mm_storeu_si128(d.add(i).cast(), x);
                }
            }
            i += 8;
        }
        if stream {
            _mm_sfence();
        }
        dst[n..]
            .iter_mut()
            .zip(&src[n..])
            .for_each(|(d, s)| one(d, s));
    }

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn bf16_lanes(
        blk: &[u16],
        sums: &mut [f64; 16],
        max: &mut [u32; 16],
        min: &mut [u32; 16],
    ) {
        // Unpacking 16 bfloat16 below zeros gives their float32 bits in two registers, lanes
        // [0-3 | 8-11] and [4-7 | 12-15], whose sums go to four registers of lanes 0-3, 4-7,
        // 8-11, 12-15; the extremes are kept on the 16-bit lanes of the raw bits (in order,
        // four instructions per 16 values instead of eight).
        // SAFETY (every block below): the lane arrays hold 16 elements, read and written in
        // groups of 4 or 8; `i + 16 <= blk.len()` for every row read.
        let mut s = [0, 4, 8, 12].map(|o| unsafe { _mm256_loadu_pd(sums.as_ptr().add(o)) });
        let state = |p: *const u32| unsafe {
            [0, 8].map(|o| _mm256_loadu_si256(p.add(o).cast::<__m256i>()))
        };
        let ([m0, m1], [n0, n1]) = (state(max.as_ptr()), state(min.as_ptr()));
        let mut mx = bf16_extremes_to16(m0, m1, false);
        let mut mn = bf16_extremes_to16(n0, n1, true);
        let p = blk.as_ptr();
        let mut i = 0;
        while i + 16 <= blk.len() {
            // A hint only (never faults), so an address past the end is harmless.
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(i + super::PREFETCH_BYTES / 2).cast());
            let v = unsafe { _mm256_loadu_si256(p.add(i).cast()) };
            // SAFETY: register-only AVX2 operations in an AVX2 function.
            unsafe { bf16_step(v, &mut mx, &mut mn, &mut s) };
            i += 16;
        }
        unsafe {
            for (o, v) in [0, 4, 8, 12].into_iter().zip(s) {
                _mm256_storeu_pd(sums.as_mut_ptr().add(o), v);
            }
            let ends = [
                (max.as_mut_ptr(), bf16_extremes_to32(mx, false)),
                (min.as_mut_ptr(), bf16_extremes_to32(mn, true)),
            ];
            for (p, v) in ends {
                _mm256_storeu_si256(p.cast(), v[0]);
                _mm256_storeu_si256(p.add(8).cast(), v[1]);
            }
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn bf16_window_lanes(
        blk: &[u16],
        low: u16,
        sums: &mut [f64; 16],
        small: &mut [u16; super::BF16_SMALL],
    ) -> super::BlockWindow {
        let zero = _mm256_setzero_si256();
        // Magnitudes are below 2^15, so the signed compare `a > low - 1` is `a >= low`.
        let below = _mm256_set1_epi16((low - 1) as i16);
        // SAFETY (every block below): `sums` holds 16 f64, read and written as four groups
        // of 4; every row read lies within `blk` (`i + 16 <= blk.len()`).
        let mut s = [0, 4, 8, 12].map(|o| unsafe { _mm256_loadu_pd(sums.as_ptr().add(o)) });
        let mut mx = zero;
        let p = blk.as_ptr();
        let mut n_small = Some(0);
        let mut i = 0;
        while i < blk.len() {
            let (start, end) = (i, (i + super::BF16_GROUP).min(blk.len()));
            // Rows alternate between two pairs of float32 sums (8 rows each at most), which
            // halves the chains of dependent adds.
            let mut f = [_mm256_setzero_ps(); 4];
            let mut out = zero;
            let (f01, f23) = f.split_at_mut(2);
            while i < end {
                // A hint only (never faults), so an address past the end is harmless.
                _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(i + super::PREFETCH_BYTES / 2).cast());
                let v = unsafe { _mm256_loadu_si256(p.add(i).cast()) };
                // SAFETY: register-only AVX2 operations in an AVX2 function.
                unsafe { bf16_window_step(v, below, &mut mx, &mut out, f01) };
                if i + 16 < end {
                    let v = unsafe { _mm256_loadu_si256(p.add(i + 16).cast()) };
                    unsafe { bf16_window_step(v, below, &mut mx, &mut out, f23) };
                }
                i += 32;
            }
            i = end;
            for (j, f) in f.into_iter().enumerate() {
                let lo = _mm256_cvtps_pd(_mm256_castps256_ps128(f));
                let hi = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(f));
                s[j] = _mm256_add_pd(_mm256_add_pd(s[j], lo), hi);
            }
            if _mm256_testz_si256(out, out) == 0 {
                // SAFETY: the group's rows lie within `blk`, as above.
                n_small =
                    n_small.and_then(|n| unsafe { bf16_collect(blk, start..end, below, small, n) });
            }
        }
        let mut xs = [0u16; 16];
        unsafe {
            for (o, v) in [0, 4, 8, 12].into_iter().zip(s) {
                _mm256_storeu_pd(sums.as_mut_ptr().add(o), v);
            }
            _mm256_storeu_si256(xs.as_mut_ptr().cast(), mx);
        }
        super::BlockWindow {
            max: xs.into_iter().max().unwrap_or(0),
            small: n_small,
        }
    }

    /// The rows `rows` of `blk` (16-value rows within it) again, for [`bf16_window_lanes`]:
    /// the non-zero values at most `below` in magnitude go to `small` after its first `n`.
    /// The new count, None when `small` is full.
    #[target_feature(enable = "avx2")]
    unsafe fn bf16_collect(
        blk: &[u16],
        rows: std::ops::Range<usize>,
        below: __m256i,
        small: &mut [u16; super::BF16_SMALL],
        mut n: usize,
    ) -> Option<usize> {
        for r in rows.step_by(16) {
            // SAFETY: the caller's rows lie within `blk`.
            let v = unsafe { _mm256_loadu_si256(blk.as_ptr().add(r).cast()) };
            let a = _mm256_and_si256(v, _mm256_set1_epi16(0x7fff));
            let out = _mm256_andnot_si256(_mm256_cmpgt_epi16(a, below), a);
            // Two mask bits per 16-bit lane, set where the lane was left out.
            let zero = _mm256_cmpeq_epi16(out, _mm256_setzero_si256());
            let mut m = !(_mm256_movemask_epi8(zero) as u32);
            while m != 0 {
                let lane = (m.trailing_zeros() / 2) as usize;
                *small.get_mut(n)? = blk[r + lane];
                n += 1;
                m &= !(3 << (2 * lane));
            }
        }
        Some(n)
    }

    /// One row of 16 bfloat16 bits `v` in [`bf16_window_lanes`]: `|b|` into the largest
    /// `mx` (16-bit lanes), the values at least `below + 1` in magnitude, as float32, into the
    /// sums `f`, and the others' `|b|` OR-ed into `out` (non-zero when one was not zero).
    #[inline(always)]
    unsafe fn bf16_window_step(
        v: __m256i,
        below: __m256i,
        mx: &mut __m256i,
        out: &mut __m256i,
        f: &mut [__m256],
    ) {
        // SAFETY: register-only AVX2 operations; every caller is an AVX2 function, entered
        // only after runtime detection.
        unsafe {
            let a = _mm256_and_si256(v, _mm256_set1_epi16(0x7fff));
            *mx = _mm256_max_epu16(*mx, a);
            let inside = _mm256_cmpgt_epi16(a, below);
            *out = _mm256_or_si256(*out, _mm256_andnot_si256(inside, a));
            let kept = _mm256_and_si256(v, inside);
            // Unpacking below zeros gives float32 bits (the bfloat16 in the high half).
            let zero = _mm256_setzero_si256();
            let lo = _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, kept));
            let hi = _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, kept));
            f[0] = _mm256_add_ps(f[0], lo);
            f[1] = _mm256_add_ps(f[1], hi);
        }
    }

    /// [`super::bf16_window_columns`], 16 columns a step (`sums.len()` a multiple of 16).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn bf16_window_columns<const R: usize>(
        rows: &[*const u16; R],
        low: &[u16],
        sums: &mut [f64],
        max: &mut [u16],
        out_min: &mut [u16],
    ) {
        let (abs, one, zero) = (
            _mm256_set1_epi16(0x7fff),
            _mm256_set1_epi16(1),
            _mm256_setzero_si256(),
        );
        let mut c = 0;
        while c + 16 <= sums.len() {
            // SAFETY (every block below): c + 16 <= sums.len(), the length of every state
            // slice, and every row holds at least that many values (the caller's contract).
            let (s, m, o) = (sums.as_mut_ptr(), max.as_mut_ptr(), out_min.as_mut_ptr());
            let below = unsafe { _mm256_loadu_si256(low.as_ptr().add(c).cast()) };
            // Magnitudes are below 2^15, so the signed compare `a > low - 1` is `a >= low`.
            let below = _mm256_sub_epi16(below, one);
            let mut mx = unsafe { _mm256_loadu_si256(m.add(c).cast()) };
            // Even and odd rows in two pairs of float32 sums, 8 rows each at most (named,
            // not indexed: an indexed array of sums was kept on the stack).
            let (mut f0, mut f1, mut f2, mut f3) = (
                _mm256_setzero_ps(),
                _mm256_setzero_ps(),
                _mm256_setzero_ps(),
                _mm256_setzero_ps(),
            );
            let mut out = zero;
            let prefetch = (c * 2).is_multiple_of(64);
            let step = |p: *const u16,
                        mx: &mut __m256i,
                        out: &mut __m256i,
                        lo: &mut __m256,
                        hi: &mut __m256| {
                let at = p.wrapping_add(c);
                if prefetch {
                    // A hint only (never faults), so an address past the row is harmless.
                    let ahead = at.cast::<u8>().wrapping_add(super::COLUMN_PREFETCH_BYTES);
                    _mm_prefetch::<_MM_HINT_T0>(ahead.cast());
                }
                let v = unsafe { _mm256_loadu_si256(at.cast()) };
                let a = _mm256_and_si256(v, abs);
                *mx = _mm256_max_epu16(*mx, a);
                let inside = _mm256_cmpgt_epi16(a, below);
                *out = _mm256_or_si256(*out, _mm256_andnot_si256(inside, a));
                let kept = _mm256_and_si256(v, inside);
                // Columns [0-3 | 8-11] and [4-7 | 12-15] as float32.
                *lo = _mm256_add_ps(*lo, _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, kept)));
                *hi = _mm256_add_ps(*hi, _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, kept)));
            };
            let mut k = 0;
            while k + 2 <= R {
                step(rows[k], &mut mx, &mut out, &mut f0, &mut f1);
                step(rows[k + 1], &mut mx, &mut out, &mut f2, &mut f3);
                k += 2;
            }
            if k < R {
                step(rows[k], &mut mx, &mut out, &mut f0, &mut f1);
            }
            let mut sv = [0, 4, 8, 12].map(|k| unsafe { _mm256_loadu_pd(s.add(c + k)) });
            let add = |sv: &mut [__m256d; 4], f0: __m256, f1: __m256| {
                for (k, f) in [(0, f0), (1, f1)] {
                    sv[k] = _mm256_add_pd(sv[k], _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
                    let hi = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(f));
                    sv[k + 2] = _mm256_add_pd(sv[k + 2], hi);
                }
            };
            add(&mut sv, f0, f1);
            if R > 1 {
                add(&mut sv, f2, f3);
            }
            if _mm256_testz_si256(out, out) == 0 {
                // Values below some column's window: again, straight into f64 (rare).
                let mut om = unsafe { _mm256_loadu_si256(o.add(c).cast()) };
                for &p in rows {
                    let v = unsafe { _mm256_loadu_si256(p.add(c).cast()) };
                    let a = _mm256_and_si256(v, abs);
                    let inside = _mm256_cmpgt_epi16(a, below);
                    let left = _mm256_andnot_si256(inside, a);
                    om = _mm256_min_epu16(om, _mm256_sub_epi16(left, one));
                    let left = _mm256_andnot_si256(inside, v);
                    let g0 = _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, left));
                    let g1 = _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, left));
                    add(&mut sv, g0, g1);
                }
                unsafe { _mm256_storeu_si256(o.add(c).cast(), om) };
            }
            unsafe {
                for (k, v) in [0, 4, 8, 12].into_iter().zip(sv) {
                    _mm256_storeu_pd(s.add(c + k), v);
                }
                _mm256_storeu_si256(m.add(c).cast(), mx);
            }
            c += 16;
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn f32_lanes(
        blk: &[f32],
        sums: &mut [f64; 16],
        max: &mut [u32; 16],
        min: &mut [u32; 16],
    ) {
        let (abs, one) = (_mm256_set1_epi32(i32::MAX), _mm256_set1_epi32(1));
        // SAFETY (every block below): the lane arrays hold 16 elements, read and written in
        // groups of 4 or 8; `i + 16 <= blk.len()` for every row read.
        let mut s = [0, 4, 8, 12].map(|o| unsafe { _mm256_loadu_pd(sums.as_ptr().add(o)) });
        let state = |p: *const u32| unsafe {
            [0, 8].map(|o| _mm256_loadu_si256(p.add(o).cast::<__m256i>()))
        };
        let (mut mx, mut mn) = (state(max.as_ptr()), state(min.as_ptr()));
        let p = blk.as_ptr();
        let mut i = 0;
        while i + 16 <= blk.len() {
            // A hint only (never faults), so an address past the end is harmless.
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(i + super::PREFETCH_BYTES / 4).cast());
            for h in 0..2 {
                let a =
                    _mm256_and_si256(unsafe { _mm256_loadu_si256(p.add(i + 8 * h).cast()) }, abs);
                mx[h] = _mm256_max_epu32(mx[h], a);
                mn[h] = _mm256_min_epu32(mn[h], _mm256_sub_epi32(a, one));
            }
            for (j, s) in s.iter_mut().enumerate() {
                let f = _mm256_cvtps_pd(unsafe { _mm_loadu_ps(p.add(i + 4 * j)) });
                *s = _mm256_add_pd(*s, f);
            }
            i += 16;
        }
        unsafe {
            for (o, v) in [0, 4, 8, 12].into_iter().zip(s) {
                _mm256_storeu_pd(sums.as_mut_ptr().add(o), v);
            }
            for (p, v) in [(max.as_mut_ptr(), mx), (min.as_mut_ptr(), mn)] {
                _mm256_storeu_si256(p.cast(), v[0]);
                _mm256_storeu_si256(p.add(8).cast(), v[1]);
            }
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn f64_lanes(blk: &[f64], big: f64, lanes: [&mut [f64; 8]; 4]) {
        let [hi, lo, max, min] = lanes;
        let abs = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let one = _mm256_set1_epi64x(1);
        let big = _mm256_set1_pd(big);
        // SAFETY (every block below): the lane arrays hold 8 f64, read and written as two
        // groups of 4; `i + 8 <= blk.len()` for every row read.
        let (mut h, mut l, mut mx, mut mn) = unsafe {
            (
                [
                    _mm256_loadu_pd(hi.as_ptr()),
                    _mm256_loadu_pd(hi.as_ptr().add(4)),
                ],
                [
                    _mm256_loadu_pd(lo.as_ptr()),
                    _mm256_loadu_pd(lo.as_ptr().add(4)),
                ],
                [
                    _mm256_loadu_pd(max.as_ptr()),
                    _mm256_loadu_pd(max.as_ptr().add(4)),
                ],
                [
                    _mm256_loadu_pd(min.as_ptr()),
                    _mm256_loadu_pd(min.as_ptr().add(4)),
                ],
            )
        };
        let p = blk.as_ptr();
        let mut i = 0;
        while i + 8 <= blk.len() {
            // A hint only (never faults), so an address past the end is harmless.
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(i + super::PREFETCH_BYTES / 8).cast());
            for g in 0..2 {
                let x = unsafe { _mm256_loadu_pd(p.add(i + 4 * g)) };
                let a = _mm256_and_pd(x, abs);
                mx[g] = _mm256_max_pd(a, mx[g]);
                let a1 = _mm256_castsi256_pd(_mm256_sub_epi64(_mm256_castpd_si256(a), one));
                mn[g] = _mm256_min_pd(a1, mn[g]);
                let hh = _mm256_sub_pd(_mm256_add_pd(x, big), big);
                h[g] = _mm256_add_pd(h[g], hh);
                l[g] = _mm256_add_pd(l[g], _mm256_sub_pd(x, hh));
            }
            i += 8;
        }
        for (dst, v) in [(hi, h), (lo, l), (max, mx), (min, mn)] {
            for (g, v) in v.into_iter().enumerate() {
                unsafe { _mm256_storeu_pd(dst.as_mut_ptr().add(4 * g), v) };
            }
        }
    }

    /// `rows`: pointers to rows of float32 (`BF16` false) or bfloat16 bits, each holding at
    /// least `sums.len()` values; `sums.len()` a multiple of 8, `max` and `min` as long.
    /// One step of the bfloat16 kernels over 16 values `v` (raw bits): their `|b|` and
    /// `|b| - 1` into the 16-bit extremes `mx`, `mn` (see [`bf16_extremes_to16`]), and their
    /// float32 forms, from unpacking below zeros (lanes [0-3 | 8-11] and [4-7 | 12-15]), into
    /// the f64 sums `s` of lanes 0-3, 4-7, 8-11 and 12-15.
    #[inline(always)]
    unsafe fn bf16_step(v: __m256i, mx: &mut __m256i, mn: &mut __m256i, s: &mut [__m256d; 4]) {
        // SAFETY: register-only AVX2 operations; every caller is an AVX2 function, entered
        // only after runtime detection.
        unsafe {
            let a = _mm256_and_si256(v, _mm256_set1_epi16(0x7fff));
            *mx = _mm256_max_epu16(*mx, a);
            *mn = _mm256_min_epu16(*mn, _mm256_sub_epi16(a, _mm256_set1_epi16(1)));
            let zero = _mm256_setzero_si256();
            let b = [
                _mm256_unpacklo_epi16(zero, v),
                _mm256_unpackhi_epi16(zero, v),
            ];
            for g in 0..2 {
                let f = _mm256_castsi256_ps(b[g]);
                s[g] = _mm256_add_pd(s[g], _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
                let hi = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(f));
                s[g + 2] = _mm256_add_pd(s[g + 2], hi);
            }
        }
    }

    /// The bfloat16 extremes' u32 forms (`|b| << 16` for the largest, that minus one for the
    /// smallest, zeros wrapping to u32::MAX) of 16 lanes, as 16-bit lanes: `|b|` and `|b| - 1`
    /// (zeros wrapping to 0xffff), which order the same way.
    #[target_feature(enable = "avx2")]
    fn bf16_extremes_to16(lo: __m256i, hi: __m256i, smallest: bool) -> __m256i {
        let (one, low16) = (_mm256_set1_epi32(1), _mm256_set1_epi32(0xffff));
        let down = |x: __m256i| {
            let y = if smallest {
                _mm256_sub_epi32(_mm256_srli_epi32::<16>(_mm256_add_epi32(x, one)), one)
            } else {
                _mm256_srli_epi32::<16>(x)
            };
            // A zero's smallest is -1 here, which packing would saturate to 0.
            _mm256_and_si256(y, low16)
        };
        // Packing works per 128-bit half ([lo 0-3, hi 0-3 | lo 4-7, hi 4-7]): reorder.
        _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packus_epi32(down(lo), down(hi)))
    }

    /// The inverse of [`bf16_extremes_to16`]: 16 lanes of 16 bits to two registers of u32.
    #[target_feature(enable = "avx2")]
    fn bf16_extremes_to32(x: __m256i, smallest: bool) -> [__m256i; 2] {
        let one = _mm256_set1_epi32(1);
        [_mm256_castsi256_si128(x), _mm256_extracti128_si256::<1>(x)].map(|h| {
            let w = _mm256_cvtepu16_epi32(h);
            if smallest {
                _mm256_sub_epi32(_mm256_slli_epi32::<16>(_mm256_add_epi32(w, one)), one)
            } else {
                _mm256_slli_epi32::<16>(w)
            }
        })
    }

    /// The extremes of 16-column groups (`max.len()`, `min.len()` multiples of 16) between
    /// their u32 form and [`bf16_columns`]' (`pack`): each group's 16 values as 16-bit lanes
    /// ([`bf16_extremes_to16`]) in its first 8 slots.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn bf16_extremes_pack(max: &mut [u32], min: &mut [u32], pack: bool) {
        for (v, smallest) in [(max, false), (min, true)] {
            for g in v.chunks_exact_mut(16) {
                let p = g.as_mut_ptr();
                // SAFETY: the group holds 16 u32, read and written as two halves of 8.
                unsafe {
                    if pack {
                        let lo = _mm256_loadu_si256(p.cast());
                        let hi = _mm256_loadu_si256(p.add(8).cast());
                        _mm256_storeu_si256(p.cast(), bf16_extremes_to16(lo, hi, smallest));
                    } else {
                        let [lo, hi] = bf16_extremes_to32(_mm256_loadu_si256(p.cast()), smallest);
                        _mm256_storeu_si256(p.cast(), lo);
                        _mm256_storeu_si256(p.add(8).cast(), hi);
                    }
                }
            }
        }
    }

    /// [`super::narrow_columns`] for bfloat16, 16 columns a step (`sums.len()` a multiple of
    /// 16): the extremes kept on 16-bit lanes of the raw bits (four instructions per 16
    /// values instead of eight), in the form [`bf16_extremes_pack`] gives them, and the sums
    /// unpacked as in `bf16_lanes` ([`bf16_step`]).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn bf16_columns<const R: usize>(
        rows: &[*const u8; R],
        sums: &mut [f64],
        max: &mut [u32],
        min: &mut [u32],
    ) {
        let mut c = 0;
        while c + 16 <= sums.len() {
            // SAFETY (every block below): c + 16 <= sums.len() == max.len() == min.len(),
            // and every row holds at least that many bfloat16 (the caller's contract).
            let (s, m, n) = (sums.as_mut_ptr(), max.as_mut_ptr(), min.as_mut_ptr());
            let mut sv = [0, 4, 8, 12].map(|o| unsafe { _mm256_loadu_pd(s.add(c + o)) });
            let mut mx = unsafe { _mm256_loadu_si256(m.add(c).cast()) };
            let mut mn = unsafe { _mm256_loadu_si256(n.add(c).cast()) };
            let prefetch = (c * 2).is_multiple_of(64);
            for &p in rows {
                let at = p.wrapping_add(c * 2);
                if prefetch {
                    // A hint only (never faults), so an address past the row is harmless.
                    let ahead = at.wrapping_add(super::COLUMN_PREFETCH_BYTES);
                    _mm_prefetch::<_MM_HINT_T0>(ahead.cast());
                }
                let v = unsafe { _mm256_loadu_si256(at.cast()) };
                // SAFETY: register-only AVX2 operations in an AVX2 function.
                unsafe { bf16_step(v, &mut mx, &mut mn, &mut sv) };
            }
            unsafe {
                for (o, v) in [0, 4, 8, 12].into_iter().zip(sv) {
                    _mm256_storeu_pd(s.add(c + o), v);
                }
                _mm256_storeu_si256(m.add(c).cast(), mx);
                _mm256_storeu_si256(n.add(c).cast(), mn);
            }
            c += 16;
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn narrow_columns<const BF16: bool, const R: usize>(
        rows: &[*const u8; R],
        sums: &mut [f64],
        max: &mut [u32],
        min: &mut [u32],
    ) {
        let size = if BF16 { 2 } else { 4 };
        let abs = _mm256_set1_epi32(i32::MAX);
        let one = _mm256_set1_epi32(1);
        let mut c = 0;
        while c + 8 <= sums.len() {
            // SAFETY (every block below): c + 8 <= sums.len() == max.len() == min.len(),
            // and every row holds at least that many values (the caller's contract).
            let (s, m, n) = (sums.as_mut_ptr(), max.as_mut_ptr(), min.as_mut_ptr());
            let (mut s0, mut s1, mut mx, mut mn) = unsafe {
                (
                    _mm256_loadu_pd(s.add(c)),
                    _mm256_loadu_pd(s.add(c + 4)),
                    _mm256_loadu_si256(m.add(c).cast()),
                    _mm256_loadu_si256(n.add(c).cast()),
                )
            };
            let prefetch = (c * size).is_multiple_of(64);
            for &p in rows {
                let at = p.wrapping_add(c * size);
                if prefetch {
                    // A hint only (never faults), so an address past the row is harmless.
                    let ahead = at.wrapping_add(super::COLUMN_PREFETCH_BYTES);
                    _mm_prefetch::<_MM_HINT_T0>(ahead.cast());
                }
                let b = unsafe {
                    if BF16 {
                        _mm256_slli_epi32::<16>(_mm256_cvtepu16_epi32(_mm_loadu_si128(at.cast())))
                    } else {
                        _mm256_loadu_si256(at.cast())
                    }
                };
                let a = _mm256_and_si256(b, abs);
                mx = _mm256_max_epu32(mx, a);
                mn = _mm256_min_epu32(mn, _mm256_sub_epi32(a, one));
                let f = _mm256_castsi256_ps(b);
                s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
                s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(f)));
            }
            unsafe {
                _mm256_storeu_pd(s.add(c), s0);
                _mm256_storeu_pd(s.add(c + 4), s1);
                _mm256_storeu_si256(m.add(c).cast(), mx);
                _mm256_storeu_si256(n.add(c).cast(), mn);
            }
            c += 8;
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn f64_columns(rows: &[&[f64]], big: &[f64], state: [&mut [f64]; 4]) {
        let [hi, lo, max, min] = state;
        let abs = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let one = _mm256_set1_epi64x(1);
        let mut c = 0;
        while c + 4 <= big.len() {
            // SAFETY (every block below): c + 4 <= big.len(), which is at most the length of
            // every state slice and every row (the caller's contract).
            let at = |v: &[f64]| unsafe { _mm256_loadu_pd(v.as_ptr().add(c)) };
            let b = at(big);
            let (mut h, mut l, mut mx, mut mn) = (at(hi), at(lo), at(max), at(min));
            let ahead = c * 8 + super::COLUMN_PREFETCH_BYTES;
            for row in rows {
                if c % 8 == 0 {
                    // A hint only (never faults), so an address past the row is harmless.
                    _mm_prefetch::<_MM_HINT_T0>(row.as_ptr().cast::<i8>().wrapping_add(ahead));
                }
                let x = at(row);
                let a = _mm256_and_pd(x, abs);
                mx = _mm256_max_pd(a, mx);
                let a1 = _mm256_castsi256_pd(_mm256_sub_epi64(_mm256_castpd_si256(a), one));
                mn = _mm256_min_pd(a1, mn);
                let hh = _mm256_sub_pd(_mm256_add_pd(x, b), b);
                h = _mm256_add_pd(h, hh);
                l = _mm256_add_pd(l, _mm256_sub_pd(x, hh));
            }
            for (dst, v) in [
                (&mut *hi, h),
                (&mut *lo, l),
                (&mut *max, mx),
                (&mut *min, mn),
            ] {
                unsafe { _mm256_storeu_pd(dst.as_mut_ptr().add(c), v) };
            }
            c += 4;
        }
    }

    #[target_feature(enable = "avx2,f16c")]
    pub(super) unsafe fn f16_lane_sums(blk: &[u16], sums: &mut [f64; 16]) {
        // Rows take no float32 split (see `f16_columns`): its five adds per value cost more
        // here than three conversions and an add (float16 rows from cache, 2 threads:
        // 20-22 GB/s with the split, 23-25 without); on columns the two ran the same.
        // SAFETY (every block below): sums has 16 elements, read and written as four groups
        // of 4; `i + 16 <= blk.len()` for every row read.
        let mut s: [__m256d; 4] =
            std::array::from_fn(|j| unsafe { _mm256_loadu_pd(sums.as_ptr().add(4 * j)) });
        let p = blk.as_ptr();
        let mut i = 0;
        while i < blk.len() {
            // A hint only (never faults), so an address past the end is harmless.
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(i + super::PREFETCH_BYTES / 2).cast());
            let v = unsafe { _mm256_loadu_si256(p.add(i).cast()) };
            // Lanes 0-7, then 8-15.
            let f = [
                _mm256_cvtph_ps(_mm256_castsi256_si128(v)),
                _mm256_cvtph_ps(_mm256_extracti128_si256::<1>(v)),
            ];
            for h in 0..2 {
                let (lo, hi) = (
                    _mm256_castps256_ps128(f[h]),
                    _mm256_extractf128_ps::<1>(f[h]),
                );
                s[2 * h] = _mm256_add_pd(s[2 * h], _mm256_cvtps_pd(lo));
                s[2 * h + 1] = _mm256_add_pd(s[2 * h + 1], _mm256_cvtps_pd(hi));
            }
            i += 16;
        }
        for (j, v) in s.iter().enumerate() {
            unsafe { _mm256_storeu_pd(sums.as_mut_ptr().add(4 * j), *v) };
        }
    }

    #[target_feature(enable = "avx2,f16c")]
    pub(super) unsafe fn f16_columns<const R: usize>(rows: &[*const u16; R], sums: &mut [f64]) {
        let big = _mm256_set1_ps(3_145_728.0); // 1.5 * 2^21
        let mut c = 0;
        while c + 8 <= sums.len() {
            // SAFETY (every block below): c + 8 <= sums.len() <= each row's length (the
            // caller's contract).
            let s = sums.as_mut_ptr();
            let (mut s0, mut s1) =
                unsafe { (_mm256_loadu_pd(s.add(c)), _mm256_loadu_pd(s.add(c + 4))) };
            let prefetch = (c * 2).is_multiple_of(64);
            for group in rows.chunks(8) {
                let (mut grid, mut rest) = (_mm256_setzero_ps(), _mm256_setzero_ps());
                for &p in group {
                    if prefetch {
                        // A hint only (never faults), so an address past the row is harmless.
                        let ahead = p.wrapping_add(c + super::COLUMN_PREFETCH_BYTES / 2);
                        _mm_prefetch::<_MM_HINT_T0>(ahead.cast());
                    }
                    let f = _mm256_cvtph_ps(unsafe { _mm_loadu_si128(p.add(c).cast()) });
                    let g = _mm256_sub_ps(_mm256_add_ps(f, big), big);
                    grid = _mm256_add_ps(grid, g);
                    rest = _mm256_add_ps(rest, _mm256_sub_ps(f, g));
                }
                for x in [grid, rest] {
                    s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(x)));
                    s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(x)));
                }
            }
            unsafe {
                _mm256_storeu_pd(s.add(c), s0);
                _mm256_storeu_pd(s.add(c + 4), s1);
            }
            c += 8;
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn f32_to_i32(src: &[f32], dst: &mut [i32], stream: bool) {
        let h = if stream {
            head(dst.as_ptr() as usize, 4, 32, src.len())
        } else {
            0
        };
        dst[..h]
            .iter_mut()
            .zip(&src[..h])
            .for_each(|(d, &s)| *d = s as i32);
        let n = h + (src.len() - h) / 8 * 8;
        let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
        let two31 = _mm256_set1_ps(2_147_483_648.0);
        let mut i = h;
        while i < n {
            // SAFETY: i + 8 <= n <= len of both slices; when streaming, d + i is 32-byte
            // aligned (i - h is a multiple of 8 four-byte elements).
            unsafe {
                let v = _mm256_loadu_ps(s.add(i));
                // vcvttps2dq gives i32::MIN for NaN and every out-of-range value; that is right
                // below -2^31 only, so flip it to i32::MAX at or above 2^31 and zero NaNs.
                let t = _mm256_cvttps_epi32(v);
                let big = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_GE_OQ>(v, two31));
                let ord = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_ORD_Q>(v, v));
                let r = _mm256_and_si256(_mm256_xor_si256(t, big), ord);
                if stream {
                    _mm256_stream_si256(d.add(i).cast(), r);
                } else {
                    _mm256_storeu_si256(d.add(i).cast(), r);
                }
            }
            i += 8;
        }
        if stream {
            _mm_sfence();
        }
        for (d, &s) in dst[n..].iter_mut().zip(&src[n..]) {
            *d = s as i32;
        }
    }

    /// Rust's `as` (round to nearest even, like `bits::i64_to_f32`) one element at a time, as
    /// AVX2 has no such vector conversion, but written eight at a time with streaming stores.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn i64_to_f32_stream(src: &[i64], dst: &mut [f32]) {
        let h = head(dst.as_ptr() as usize, 4, 32, src.len());
        dst[..h]
            .iter_mut()
            .zip(&src[..h])
            .for_each(|(d, &s)| *d = s as f32);
        let n = h + (src.len() - h) / 8 * 8;
        let d = dst.as_mut_ptr();
        let mut i = h;
        while i < n {
            let c = &src[i..i + 8];
            let v: [f32; 8] = std::array::from_fn(|k| c[k] as f32);
            // SAFETY: i + 8 <= n <= dst.len(), and d + i is 32-byte aligned (i - h is a
            // multiple of 8 four-byte elements); `v` holds 8 f32.
            unsafe { _mm256_stream_ps(d.add(i), _mm256_loadu_ps(v.as_ptr())) };
            i += 8;
        }
        _mm_sfence();
        for (d, &s) in dst[n..].iter_mut().zip(&src[n..]) {
            *d = s as f32;
        }
    }
}
