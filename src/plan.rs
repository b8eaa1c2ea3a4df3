//! NumPy's shape and reduction semantics, decided once for every backend: dimension and size
//! limits, axis normalisation, output shapes, and the `[outer, len, inner]` passes a backend executes.

use crate::{Error, Result};

/// The most dimensions an array may have (NumPy's `NPY_MAXDIMS`).
pub(crate) const MAX_DIMS: usize = 64;

/// An error for a shape of more than [`MAX_DIMS`] dimensions.
pub(crate) fn check_ndim(shape: &[usize]) -> Result<()> {
    if shape.len() > MAX_DIMS {
        return Err(Error::TooManyDimensions(shape.len()));
    }
    Ok(())
}

/// Elements of `shape`, or an error if that overflows or has more than [`MAX_DIMS`]
/// dimensions.
pub(crate) fn numel(shape: &[usize], itemsize: usize) -> Result<usize> {
    check_ndim(shape)?;
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|n| {
            n.checked_mul(itemsize)
                .is_some_and(|b| b <= isize::MAX as usize)
        })
        .ok_or_else(|| Error::ShapeTooLarge(shape.to_vec()))
}

/// A reduction viewed as a C-order `[outer, len, inner]` array reduced over its middle axis
/// into an `[outer, inner]` result. Every reduction the front end plans is a list of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reduce3 {
    /// Product of the axes before the reduced run.
    pub outer: usize,
    /// Product of the reduced run of axes.
    pub len: usize,
    /// Product of the axes after the reduced run.
    pub inner: usize,
}

impl Reduce3 {
    /// Elements read.
    pub fn input_len(&self) -> usize {
        self.outer * self.len * self.inner
    }

    /// Elements written.
    pub fn output_len(&self) -> usize {
        self.outer * self.inner
    }
}

/// Which axes a sum reduces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Axes {
    /// Every axis (NumPy's `axis=None`).
    All,
    /// The listed axes; negative ones count from the end. An empty list reduces nothing.
    List(Vec<isize>),
}

macro_rules! axes_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Axes {
            fn from(a: $t) -> Axes {
                Axes::List(vec![a as isize])
            }
        }
        impl<const N: usize> From<[$t; N]> for Axes {
            fn from(a: [$t; N]) -> Axes {
                Axes::List(a.iter().map(|&x| x as isize).collect())
            }
        }
        impl From<&[$t]> for Axes {
            fn from(a: &[$t]) -> Axes {
                Axes::List(a.iter().map(|&x| x as isize).collect())
            }
        }
        impl From<Vec<$t>> for Axes {
            fn from(a: Vec<$t>) -> Axes {
                Axes::List(a.into_iter().map(|x| x as isize).collect())
            }
        }
    )*};
}
axes_from!(i32, isize);

impl<T: Into<Axes>> From<Option<T>> for Axes {
    /// `None` is every axis, as in NumPy.
    fn from(a: Option<T>) -> Axes {
        a.map_or(Axes::All, Into::into)
    }
}

/// `axis` as an index into a shape of rank `ndim`.
pub(crate) fn normalize_axis(axis: isize, ndim: usize) -> Result<usize> {
    let n = ndim as isize;
    if axis < -n || axis >= n {
        return Err(Error::AxisOutOfRange { axis, ndim });
    }
    Ok(if axis < 0 { axis + n } else { axis } as usize)
}

/// A mask of the reduced axes.
pub(crate) fn axes_mask(axes: &Axes, ndim: usize) -> Result<Vec<bool>> {
    let list = match axes {
        Axes::All => return Ok(vec![true; ndim]),
        Axes::List(list) => list,
    };
    let mut mask = vec![false; ndim];
    let mut named: Vec<Option<isize>> = vec![None; ndim];
    for &a in list {
        let i = normalize_axis(a, ndim)?;
        if let Some(first) = named[i] {
            return Err(Error::RepeatedAxis {
                axis: i,
                first,
                second: a,
            });
        }
        named[i] = Some(a);
        mask[i] = true;
    }
    Ok(mask)
}

/// The shape left after reducing the masked axes.
pub(crate) fn reduced_shape(shape: &[usize], mask: &[bool], keepdims: bool) -> Vec<usize> {
    shape
        .iter()
        .zip(mask)
        .filter_map(|(&d, &m)| match (m, keepdims) {
            (false, _) => Some(d),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect()
}

/// The passes that reduce the masked axes of a non-empty C-order array: adjacent axes of the
/// same kind merge, axes of length 1 drop out, and each run of reduced axes becomes one pass,
/// innermost first. When nothing is left to reduce, one pass of length 1 maps the elements
/// into accumulators.
pub(crate) fn fold_passes(shape: &[usize], mask: &[bool]) -> Vec<Reduce3> {
    let passes = sum_passes(shape, mask);
    if passes.is_empty() {
        return vec![Reduce3 {
            outer: shape.iter().product(),
            len: 1,
            inner: 1,
        }];
    }
    passes
}

/// [`fold_passes`] without the mapping pass: no pass at all when nothing is reduced.
pub(crate) fn sum_passes(shape: &[usize], mask: &[bool]) -> Vec<Reduce3> {
    let mut groups: Vec<(usize, bool)> = Vec::new();
    for (&d, &m) in shape.iter().zip(mask) {
        if d == 1 {
            continue;
        }
        match groups.last_mut() {
            Some((size, kind)) if *kind == m => *size *= d,
            _ => groups.push((d, m)),
        }
    }
    let mut passes = Vec::new();
    while let Some(g) = groups.iter().rposition(|&(_, m)| m) {
        let outer: usize = groups[..g].iter().map(|&(d, _)| d).product();
        let inner: usize = groups[g + 1..].iter().map(|&(d, _)| d).product();
        passes.push(Reduce3 {
            outer,
            len: groups[g].0,
            inner,
        });
        groups.remove(g);
        if g > 0 && g < groups.len() && !groups[g - 1].1 && !groups[g].1 {
            groups[g - 1].0 *= groups[g].0;
            groups.remove(g);
        }
    }
    passes
}

/// The number of elements each output of a reduction over the masked axes reduces.
pub(crate) fn reduced_count(shape: &[usize], mask: &[bool]) -> usize {
    shape
        .iter()
        .zip(mask)
        .filter(|(_, m)| **m)
        .map(|(&d, _)| d)
        .product()
}

/// The single pass of an arg-reduction over `axis` (or over the flattened array when `None`).
pub(crate) fn arg_pass(shape: &[usize], axis: Option<usize>) -> Reduce3 {
    match axis {
        None => Reduce3 {
            outer: 1,
            len: shape.iter().product(),
            inner: 1,
        },
        Some(a) => Reduce3 {
            outer: shape[..a].iter().product(),
            len: shape[a],
            inner: shape[a + 1..].iter().product(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(outer: usize, len: usize, inner: usize) -> Reduce3 {
        Reduce3 { outer, len, inner }
    }

    #[test]
    fn axes_normalise_and_reject_repeats() {
        assert_eq!(
            axes_mask(&Axes::from([-1]), 3).unwrap(),
            [false, false, true]
        );
        assert!(matches!(
            axes_mask(&Axes::from([0, -2]), 2),
            Err(Error::RepeatedAxis { axis: 0, .. })
        ));
        assert!(matches!(
            axes_mask(&Axes::from(3), 3),
            Err(Error::AxisOutOfRange { axis: 3, ndim: 3 })
        ));
        assert!(axes_mask(&Axes::from(-4), 3).is_err());
        assert!(axes_mask(&Axes::from(0), 0).is_err());
    }

    #[test]
    fn passes_merge_adjacent_axes() {
        let s = [2, 3, 4, 5];
        assert_eq!(sum_passes(&s, &[true; 4]), [r(1, 120, 1)]);
        assert_eq!(sum_passes(&s, &[false, true, true, false]), [r(2, 12, 5)]);
        assert_eq!(
            sum_passes(&s, &[true, false, true, false]),
            [r(6, 4, 5), r(1, 2, 15)]
        );
        assert_eq!(sum_passes(&[1, 3, 1], &[true, false, true]), []);
        assert_eq!(sum_passes(&[], &[]), []);
    }

    #[test]
    fn shapes_follow_keepdims() {
        assert_eq!(
            reduced_shape(&[2, 3, 4], &[false, true, false], false),
            [2, 4]
        );
        assert_eq!(
            reduced_shape(&[2, 3, 4], &[false, true, false], true),
            [2, 1, 4]
        );
    }
}
