//! From file bytes to the little-endian C-order layout of `CpuStorage::from_bytes`: byte swaps
//! for big-endian files, bool bytes normalised to 0/1, Fortran order transposed.

use crate::DType;

/// Copies `src` (elements of `dtype` as stored in the file) into `dst` as little-endian
/// elements. Complex values swap each of their two 4-byte halves.
pub(crate) fn to_le(dtype: DType, big_endian: bool, src: &[u8], dst: &mut [u8]) {
    debug_assert_eq!(src.len(), dst.len());
    let unit = match dtype {
        DType::Complex64 => 4,
        d => d.itemsize(),
    };
    if dtype == DType::Bool {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = u8::from(s != 0);
        }
    } else if !big_endian || unit == 1 {
        dst.copy_from_slice(src);
    } else {
        for (d, s) in dst.chunks_exact_mut(unit).zip(src.chunks_exact(unit)) {
            for (i, b) in d.iter_mut().enumerate() {
                *b = s[unit - 1 - i];
            }
        }
    }
}

/// True when `to_le` would only copy: the bytes can be used as they are.
pub(crate) fn is_native(dtype: DType, big_endian: bool) -> bool {
    dtype != DType::Bool && (!big_endian || dtype.itemsize() == 1)
}

/// Reorders Fortran-order elements of `shape` (each `item` bytes) into C order.
pub(crate) fn fortran_to_c(src: &[u8], shape: &[usize], item: usize) -> Vec<u8> {
    let n: usize = shape.iter().product();
    let mut out = vec![0u8; n * item];
    if n == 0 {
        return out;
    }
    let nd = shape.len();
    // Fortran strides, in elements.
    let mut fstride = vec![1usize; nd];
    for k in 1..nd {
        fstride[k] = fstride[k - 1] * shape[k - 1];
    }
    let mut idx = vec![0usize; nd];
    let mut off = 0usize;
    for dst in out.chunks_exact_mut(item) {
        dst.copy_from_slice(&src[off * item..(off + 1) * item]);
        // Advance the C-order odometer, keeping the Fortran offset in step.
        for k in (0..nd).rev() {
            idx[k] += 1;
            off += fstride[k];
            if idx[k] < shape[k] {
                break;
            }
            off -= fstride[k] * shape[k];
            idx[k] = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposes_fortran() {
        // [[0, 1, 2], [3, 4, 5]] stored column-major: 0 3 1 4 2 5.
        let f = [0u8, 3, 1, 4, 2, 5];
        assert_eq!(fortran_to_c(&f, &[2, 3], 1), [0, 1, 2, 3, 4, 5]);
        assert_eq!(fortran_to_c(&[], &[0, 3], 4), Vec::<u8>::new());
    }

    #[test]
    fn swaps_big_endian() {
        let mut d = [0u8; 8];
        to_le(DType::Complex64, true, &[1, 2, 3, 4, 5, 6, 7, 8], &mut d);
        assert_eq!(d, [4, 3, 2, 1, 8, 7, 6, 5]);
        to_le(DType::Bool, false, &[0, 2, 1, 0, 0, 0, 0, 9], &mut d);
        assert_eq!(d, [0, 1, 1, 0, 0, 0, 0, 1]);
    }
}
