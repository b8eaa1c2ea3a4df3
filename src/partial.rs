//! Mergeable partial results of the value-reductions: reduce each block of an array where it
//! lies (another device, process or machine), merge the blocks' partials in any grouping and
//! finish once. A partial holds the engine's own fold accumulators (the ones the .npy stream
//! merges between chunks), so finishing the merge of a split gives what the whole array's
//! reduction gives; for the exact float sums and means, whose accumulators are integers,
//! that holds bit for bit whatever the split, the merge order and the devices.

use ndarray::{ArrayD, ArrayView, ArrayViewD, Dimension, IxDyn, Slice};

use crate::convert::IntoTensor;
use crate::cpu::{finish_host, fold_slice, identity_accumulators, merge};
use crate::exact::{Acc32, Acc64, WORDS32, WORDS64};
use crate::host::CpuStorage;
use crate::plan::{Axes, axes_mask, fold_passes, numel, reduced_count, reduced_shape};
use crate::reduce::{Empty, FoldKind};
use crate::{DType, Device, Element, Error, ReduceOp, Result, Tensor};

/// The partial result of a value-reduction ([`ReduceOp::Sum`] .. [`ReduceOp::NanMax`]) of one
/// block of an array: made by [`Tensor::partial`] (or [`Device::partial`]), merged with the
/// partials of the other blocks by [`Partial::merge`], turned into the result by
/// [`Partial::finish`], and moved between processes as a plain `u32` array
/// ([`Partial::to_words`] / [`Partial::from_words`]).
///
/// Blocks split the reduced axes; a partial keeps the kept axes whole (the partials of
/// blocks that split a kept axis are separate results, concatenated after finishing).
///
/// What a partial holds, per output element: the operation's accumulators (for float sums
/// and means of float16, bfloat16, float32, float64 and complex64 the exact sum as integer
/// words, see [`Partial::to_words`]; for the others their sum, product, extreme or flag), and
/// the number of elements reduced. Merges of exact sums are integer additions, so every
/// grouping and order gives the same words, on every device; see [`Partial::is_order_free`]
/// for the others.
///
/// ```
/// use ndgpu::{Device, Partial, ReduceOp, Tensor};
///
/// let cpu = Device::cpu();
/// let x = ndarray::array![[1e8f32, 1.0, -1e8], [0.5, 3.0, 1e-8]];
/// let whole = cpu.sum(&x, 1, false)?;
/// // Two blocks along the reduced axis, merged in either order.
/// let a = cpu.partial(x.slice(ndarray::s![.., ..2]), ReduceOp::Sum, 1)?;
/// let b = cpu.partial(x.slice(ndarray::s![.., 2..]), ReduceOp::Sum, 1)?;
/// let merged = b.merge(&a)?.finish(false)?;
/// assert_eq!(merged.to_ndarray::<f32>()?, whole.to_ndarray::<f32>()?);
/// // Through another process: a u32 array and back.
/// let words = a.to_words();
/// let again = Partial::from_words(ReduceOp::Sum, a.dtype(), 1, words.view())?;
/// assert_eq!(again, a);
/// # Ok::<(), ndgpu::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Partial {
    op: ReduceOp,
    /// The dtype of the reduced elements.
    dtype: DType,
    /// The result's shape with the reduced axes kept as length 1.
    shape: Vec<usize>,
    /// The reduced axes.
    mask: Vec<bool>,
    /// Elements each output has reduced so far.
    count: u64,
    /// One host storage per fold of `op.plan()`, `acc_len` elements of `acc_dtype` per output.
    accs: Vec<CpuStorage>,
}

/// Words that carry the element count at the end of every record.
const COUNT_WORDS: usize = 2;

impl Partial {
    /// `u32` words per output element of a partial of `op` over elements of `dtype` (the
    /// last axis of [`Partial::to_words`]).
    ///
    /// # Errors
    /// [`Error::Unsupported`] for an arg-reduction.
    pub fn record_len(op: ReduceOp, dtype: DType) -> Result<usize> {
        let kinds = value_kinds(op)?;
        Ok(kinds.iter().map(|&k| acc_words(k, dtype)).sum::<usize>() + COUNT_WORDS)
    }

    /// The reduction.
    pub fn op(&self) -> ReduceOp {
        self.op
    }

    /// The dtype of the reduced elements (the result's is `op().out_dtype(dtype())`).
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The result's shape with the reduced axes kept, as length 1 (`keepdims=True`).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The reduced axes, in increasing order.
    pub fn axes(&self) -> Vec<usize> {
        (0..self.mask.len()).filter(|&i| self.mask[i]).collect()
    }

    /// How many elements each output element has reduced so far (NaN included).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// True when merging gives the same result in every grouping and order: every reduction
    /// except the float products and the means of integers (whose partial sums are float64),
    /// whose merges round.
    pub fn is_order_free(&self) -> bool {
        value_kinds(self.op).is_ok_and(|kinds| {
            kinds.iter().all(|k| {
                let acc = k.acc_dtype(self.dtype);
                !(acc.is_float() || acc == DType::Complex64)
            })
        })
    }

    /// The partial of the elements of `self` and of `other` together: two blocks of the same
    /// reduction (same operation, dtype, axes and result shape).
    ///
    /// # Errors
    /// [`Error::Unsupported`] when the two partials are of different reductions.
    pub fn merge(&self, other: &Partial) -> Result<Partial> {
        let mut out = self.clone();
        out.merge_in(other)?;
        Ok(out)
    }

    /// [`Partial::merge`] in place.
    ///
    /// # Errors
    /// As [`Partial::merge`].
    pub fn merge_in(&mut self, other: &Partial) -> Result<()> {
        if (self.op, self.dtype, &self.mask, &self.shape)
            != (other.op, other.dtype, &other.mask, &other.shape)
        {
            return Err(Error::Unsupported(format!(
                "cannot merge a partial {} of {} over axes {:?} of shape {:?} with one of {} over axes {:?} of shape {:?}: merge blocks of one reduction",
                self.op,
                self.dtype,
                self.axes(),
                self.shape,
                other.dtype,
                other.axes(),
                other.shape
            )));
        }
        self.count = self
            .count
            .checked_add(other.count)
            .ok_or_else(|| Error::Unsupported("a partial of 2^64 elements or more".into()))?;
        for ((a, b), &k) in self.accs.iter_mut().zip(&other.accs).zip(self.op.plan().0) {
            merge(k, self.dtype, a, b);
        }
        Ok(())
    }

    /// The reduction's result from the merged partials of every block: what the same
    /// reduction of the whole array gives (bit for bit for the order-free ones, see
    /// [`Partial::is_order_free`]), with the reduced axes kept (as length 1) when
    /// `keepdims`. The result is a CPU tensor (finishing reads a few words per element).
    ///
    /// # Errors
    /// [`Error::EmptyReduction`] for min/max when output elements reduced no element (a
    /// partial without output elements finishes to an empty result: its words carry no
    /// count).
    pub fn finish(&self, keepdims: bool) -> Result<Tensor> {
        if self.count == 0 && self.outputs() > 0 && self.op.empty() == Empty::Error {
            return Err(Error::EmptyReduction(self.op.name()));
        }
        let out_shape: Vec<usize> = if keepdims {
            self.shape.clone()
        } else {
            reduced_shape(&self.shape, &self.mask, false)
        };
        let out_dtype = self.op.out_dtype(self.dtype);
        let host = if self.outputs() == 0 {
            CpuStorage::zeros(out_dtype, 0)
        } else {
            let count = usize::try_from(self.count)
                .map_err(|_| Error::Unsupported("a partial too large for this platform".into()))?;
            finish_host(self.accs.clone(), self.op, self.dtype, count)?
        };
        Tensor::from_host(&Device::cpu(), host, out_shape)
    }

    /// The partial as a `u32` array of shape `shape() + [record_len(op, dtype)]`: one record
    /// per output element, in C order. A record is the operation's accumulators, in the
    /// order of its folds, each as its little-endian bytes read as little-endian `u32`
    /// words, then the element count as a `u64` (low word first):
    ///
    /// - sum, nansum, mean, nanmean of float16, bfloat16, float32 (13 words) and complex64
    ///   (26: real part, then imaginary part): the canonical exact accumulator: word 0 flags
    ///   (bit 0: a NaN was added, bit 1: +inf, bit 2: -inf), words 1..=12 the exact total as
    ///   a two's-complement integer in little-endian base-2^32 digits, digit 0 weighing
    ///   2^-160; of float64 (70 words): 69 digits from 2^-1088;
    /// - nanmean: then the count of elements that are not NaN, as an int64 (2 words);
    /// - every other reduction: its accumulator in the engine's dtype (int64 / uint64 sums
    ///   and products, float32 / float64 / complex64 products, float64 sums of integer
    ///   means, u32 flags of any/all, int64 counts), and for min/max the element's order
    ///   key (u32 for elements up to 4 bytes, else u64; an encoding private to ndgpu).
    ///
    /// Equal partials give equal words; [`Partial::from_words`] reads them back.
    pub fn to_words(&self) -> ArrayD<u32> {
        let kinds = self.op.plan().0;
        let per: Vec<usize> = kinds.iter().map(|&k| acc_words(k, self.dtype)).collect();
        let record: usize = per.iter().sum::<usize>() + COUNT_WORDS;
        let n = self.outputs();
        let mut words = Vec::with_capacity(n * record);
        for i in 0..n {
            for (acc, &w) in self.accs.iter().zip(&per) {
                let bytes = &acc.as_bytes()[i * 4 * w..(i + 1) * 4 * w];
                words.extend(
                    bytes
                        .chunks_exact(4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
            }
            words.extend([self.count as u32, (self.count >> 32) as u32]);
        }
        let mut shape = self.shape.clone();
        shape.push(record);
        ArrayD::from_shape_vec(IxDyn(&shape), words).expect("records fill the shape")
    }

    /// Reads partials of `op` over elements of `dtype`, reduced over `axes`, back from words
    /// laid out as [`Partial::to_words`] writes them (the last axis holds the records; `axes`
    /// count over the others). A reduced axis may hold several partials, one after another
    /// (the blocks' words concatenated along it, as Dask's combine step receives them): they
    /// are merged, in C order, into one partial whose reduced axes have length 1.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for an arg-reduction, words whose last axis is not
    /// [`Partial::record_len`] long, records whose counts disagree, or exact accumulators no
    /// sum reaches; the axis errors of [`Tensor::reduce`].
    pub fn from_words(
        op: ReduceOp,
        dtype: DType,
        axes: impl Into<Axes>,
        words: ArrayViewD<'_, u32>,
    ) -> Result<Partial> {
        let record = Partial::record_len(op, dtype)?;
        let Some((&last, lead)) = words.shape().split_last() else {
            return Err(Error::Unsupported(
                "partial words need an axis of records".into(),
            ));
        };
        if last != record {
            return Err(Error::Unsupported(format!(
                "a partial {op} of {dtype} has records of {record} words, not {last}"
            )));
        }
        let mask = axes_mask(&axes.into(), lead.len())?;
        // One partial per position along the reduced axes, merged in C order.
        let stacked: Vec<usize> = (0..lead.len())
            .map(|i| if mask[i] { lead[i] } else { 1 })
            .collect();
        let mut merged: Option<Partial> = None;
        for at in ndarray::indices(IxDyn(&stacked)) {
            let one = words.slice_each_axis(|ax| {
                let i = ax.axis.index();
                if i < mask.len() && mask[i] {
                    Slice::from(at[i]..at[i] + 1)
                } else {
                    Slice::from(..)
                }
            });
            let p = Partial::from_records(op, dtype, &mask, one)?;
            match merged.as_mut() {
                Some(m) => m.merge_in(&p)?,
                None => merged = Some(p),
            }
        }
        match merged {
            Some(p) => Ok(p),
            // A reduced axis of length 0 holds no partial: the partial of nothing.
            None => {
                let mut shape = lead.to_vec();
                for (d, &m) in shape.iter_mut().zip(&mask) {
                    if m {
                        *d = 1;
                    }
                }
                Partial::of_nothing(op, dtype, shape, mask)
            }
        }
    }

    /// One partial from records whose reduced axes have length 1.
    fn from_records(
        op: ReduceOp,
        dtype: DType,
        mask: &[bool],
        words: ArrayViewD<'_, u32>,
    ) -> Result<Partial> {
        let kinds = op.plan().0;
        let per: Vec<usize> = kinds.iter().map(|&k| acc_words(k, dtype)).collect();
        let record = words.shape()[words.ndim() - 1];
        let shape = words.shape()[..words.ndim() - 1].to_vec();
        let flat = words.as_standard_layout();
        let flat = flat.as_slice().expect("standard layout");
        let mut bytes: Vec<Vec<u8>> = vec![Vec::new(); kinds.len()];
        let mut count = None;
        for rec in flat.chunks_exact(record) {
            let mut at = 0;
            for ((b, &w), &k) in bytes.iter_mut().zip(&per).zip(kinds) {
                let acc = &rec[at..at + w];
                if k.is_exact(dtype) && !valid_exact(acc, dtype) {
                    return Err(Error::Unsupported(format!(
                        "partial {op} words hold an exact accumulator no sum of {dtype} reaches"
                    )));
                }
                b.extend(acc.iter().flat_map(|x| x.to_le_bytes()));
                at += w;
            }
            let c = u64::from(rec[at]) | u64::from(rec[at + 1]) << 32;
            if count.is_some_and(|n| n != c) {
                return Err(Error::Unsupported(format!(
                    "partial {op} records disagree on their element count ({} and {c})",
                    count.unwrap_or_default()
                )));
            }
            count = Some(c);
        }
        let accs = bytes
            .iter()
            .zip(kinds)
            .map(|(b, &k)| CpuStorage::from_bytes(k.acc_dtype(dtype), b))
            .collect();
        Ok(Partial {
            op,
            dtype,
            shape,
            mask: mask.to_vec(),
            // Records carry the count; a partial with no output element has none to carry.
            count: count.unwrap_or(0),
            accs,
        })
    }

    /// The partial of no element (the identity of the merge).
    fn of_nothing(op: ReduceOp, dtype: DType, shape: Vec<usize>, mask: Vec<bool>) -> Result<Self> {
        let n = numel(&shape, 1)?;
        Ok(Partial {
            accs: identity_accumulators(op, dtype, n),
            op,
            dtype,
            shape,
            mask,
            count: 0,
        })
    }

    /// Output elements.
    fn outputs(&self) -> usize {
        self.shape.iter().product()
    }
}

/// The folds of a value-reduction; an error for an arg-reduction.
fn value_kinds(op: ReduceOp) -> Result<&'static [FoldKind]> {
    if op.is_arg() {
        return Err(Error::Unsupported(format!(
            "{op} has no mergeable partial: merge (value, index) pairs"
        )));
    }
    Ok(op.plan().0)
}

/// `u32` words one output's accumulator of `kind` takes.
fn acc_words(kind: FoldKind, dtype: DType) -> usize {
    kind.acc_len(dtype) * kind.acc_dtype(dtype).itemsize() / 4
}

/// True when every accumulator in `words` (one output's, of an exact sum of `dtype`) is one a
/// sum of fewer than 2^64 elements can reach, which keeps the integer merges from wrapping.
fn valid_exact(words: &[u32], dtype: DType) -> bool {
    if dtype == DType::Float64 {
        words
            .chunks_exact(WORDS64)
            .all(|w| Acc64::from_words(w).is_some())
    } else {
        words
            .chunks_exact(WORDS32)
            .all(|w| Acc32::from_words(w).is_some())
    }
}

/// The plan of a block's partial: reduced axes, the result's shape (reduced axes kept as 1),
/// elements per output.
struct Plan {
    mask: Vec<bool>,
    shape: Vec<usize>,
    count: usize,
    outputs: usize,
}

impl Plan {
    fn new(op: ReduceOp, shape: &[usize], axes: Axes) -> Result<Plan> {
        value_kinds(op)?;
        let mask = axes_mask(&axes, shape.len())?;
        let out = reduced_shape(shape, &mask, true);
        Ok(Plan {
            outputs: numel(&out, 1)?,
            count: reduced_count(shape, &mask),
            mask,
            shape: out,
        })
    }

    /// The partial from the folds' host accumulators, or of nothing when nothing is read.
    fn partial(
        self,
        op: ReduceOp,
        dtype: DType,
        fold: impl FnOnce(&[crate::plan::Reduce3]) -> Result<Vec<CpuStorage>>,
        input: &[usize],
    ) -> Result<Partial> {
        if self.outputs == 0 || self.count == 0 {
            let mut p = Partial::of_nothing(op, dtype, self.shape, self.mask)?;
            p.count = self.count as u64;
            return Ok(p);
        }
        let accs = fold(&fold_passes(input, &self.mask))?;
        Ok(Partial {
            op,
            dtype,
            shape: self.shape,
            mask: self.mask,
            count: self.count as u64,
            accs,
        })
    }
}

impl Tensor {
    /// This tensor's partial result of the value-reduction `op` over `axes`: reduce each
    /// block of a larger array with it, merge the blocks' partials ([`Partial::merge`]) and
    /// finish once ([`Partial::finish`]). The folds run on the tensor's device; the partial
    /// is read back to host memory (a few words per output element).
    ///
    /// # Errors
    /// [`Error::Unsupported`] for an arg-reduction; the axis errors of [`Tensor::reduce`]; a
    /// device error. An empty block is no error: its partial is that of nothing.
    pub fn partial(&self, op: ReduceOp, axes: impl Into<Axes>) -> Result<Partial> {
        let plan = Plan::new(op, &self.shape, axes.into())?;
        let dev = &self.device;
        plan.partial(
            op,
            self.dtype,
            |passes| dev.fold_to_host(&self.storage, op.plan().0, passes),
            &self.shape,
        )
    }
}

impl Device {
    /// [`Tensor::partial`] of anything convertible to a tensor on this device.
    ///
    /// # Errors
    /// As [`Tensor::partial`], or a conversion error.
    pub fn partial(
        &self,
        x: impl IntoTensor,
        op: ReduceOp,
        axes: impl Into<Axes>,
    ) -> Result<Partial> {
        x.into_tensor(self)?.partial(op, axes)
    }

    /// [`Tensor::partial`] of a borrowed array: on the CPU a standard-layout view is read
    /// where it lies (no copy in), as [`Device::reduce_view`] does.
    ///
    /// # Errors
    /// As [`Tensor::partial`].
    pub fn partial_view<T: Element, D: Dimension>(
        &self,
        x: ArrayView<'_, T, D>,
        op: ReduceOp,
        axes: impl Into<Axes>,
    ) -> Result<Partial> {
        let slice = match x.as_slice() {
            Some(s) if self.is_cpu() => s,
            _ => return Tensor::from_ndarray(self, x)?.partial(op, axes),
        };
        let shape = x.shape();
        let plan = Plan::new(op, shape, axes.into())?;
        plan.partial(
            op,
            T::DTYPE,
            |passes| {
                Ok(op
                    .plan()
                    .0
                    .iter()
                    .map(|&k| fold_slice(T::borrow_slice(slice), k, passes))
                    .collect())
            },
            shape,
        )
    }
}
