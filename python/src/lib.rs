//! `ndgpu._ndgpu`: the compiled half of the `ndgpu` Python package. The pure-Python
//! `ndgpu/__init__.py` on top normalises arguments (axes, dtypes, byte order) and gives the
//! public functions their NumPy signatures; this module only moves memory and runs
//! operations.
//!
//! Memory: a C-contiguous NumPy array is borrowed for the duration of a CPU operation (no
//! copy in) and uploaded straight from its buffer to a GPU; a result's Rust allocation becomes
//! the NumPy array's buffer (no copy out). The GIL is released while an operation runs.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use half::f16;
use ndarray::{ArrayD, ArrayViewD};
use ndgpu::npy::stream::{self, StreamOptions};
use ndgpu::{Axes, DType, Device, Error, Partial, ReduceOp, Tensor};
use num_complex::Complex;
use numpy::{
    PyArray, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

/// ndgpu's error as the Python exception of the matching kind, with its one-line message.
fn py_err(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::AxisOutOfRange { .. }
        | Error::RepeatedAxis { .. }
        | Error::EmptyReduction(_)
        | Error::AllNan(_)
        | Error::ShapeMismatch { .. }
        | Error::ShapeTooLarge(_)
        | Error::TooManyDimensions(_)
        | Error::Npy { .. } => PyValueError::new_err(msg),
        Error::UnknownDType(_) | Error::DTypeMismatch { .. } | Error::DTypeRefused { .. } => {
            PyTypeError::new_err(msg)
        }
        Error::Io { .. } => PyOSError::new_err(msg),
        _ => PyRuntimeError::new_err(msg),
    }
}

/// Runs an ndgpu call, mapping its error.
trait OrPy<T> {
    fn py(self) -> PyResult<T>;
}

impl<T> OrPy<T> for ndgpu::Result<T> {
    fn py(self) -> PyResult<T> {
        self.map_err(py_err)
    }
}

/// The GPU handle of this process, opened once (an error is remembered too).
fn gpu() -> Result<Device, String> {
    static GPU: OnceLock<Result<Device, String>> = OnceLock::new();
    GPU.get_or_init(|| Device::gpu().map_err(|e| e.to_string()))
        .clone()
}

/// What `device="auto"` uses: a hardware adapter if one exists, else the CPU (the CLI's rule:
/// a software adapter is never chosen).
fn auto() -> Device {
    static AUTO: OnceLock<Device> = OnceLock::new();
    AUTO.get_or_init(Device::auto).clone()
}

/// A device by its name: `cpu`, `gpu` or `auto`.
fn device(name: &str) -> PyResult<Device> {
    match name {
        "cpu" => Ok(Device::cpu()),
        "gpu" => gpu().map_err(PyRuntimeError::new_err),
        "auto" => Ok(auto()),
        other => Err(PyValueError::new_err(format!(
            "unknown device `{other}`: use \"cpu\", \"gpu\" or \"auto\""
        ))),
    }
}

fn op_by_name(name: &str) -> PyResult<ReduceOp> {
    ReduceOp::from_name(name)
        .ok_or_else(|| PyValueError::new_err(format!("unknown operation `{name}`")))
}

fn dtype_by_name(name: &str) -> PyResult<DType> {
    let d: DType = name.parse().py()?;
    if d == DType::BFloat16 {
        return Err(PyTypeError::new_err(
            "bfloat16 has no NumPy dtype: cast to float32 or float16",
        ));
    }
    Ok(d)
}

fn axes_of(axis: Option<Vec<isize>>) -> Axes {
    axis.map_or(Axes::All, Axes::List)
}

/// A tensor on a device: `ndgpu.Tensor` (immutable; clones share the elements).
#[pyclass(name = "Tensor", module = "ndgpu", frozen)]
struct PyTensor {
    inner: Tensor,
}

#[pymethods]
impl PyTensor {
    /// The shape, as a tuple.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.shape())
    }

    /// The NumPy name of the element type.
    #[getter]
    fn dtype_name(&self) -> String {
        self.inner.dtype().to_string()
    }

    /// The element type as a `numpy.dtype`.
    #[getter]
    fn dtype<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("numpy")?
            .getattr("dtype")?
            .call1((self.inner.dtype().to_string(),))
    }

    /// `np.asarray(tensor)`: the elements in a new NumPy array (`copy=False` is refused:
    /// the elements are never NumPy's memory).
    #[pyo3(signature = (dtype=None, copy=None))]
    fn __array__<'py>(
        &self,
        py: Python<'py>,
        dtype: Option<Bound<'py, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if copy == Some(false) {
            return Err(PyValueError::new_err(
                "a Tensor cannot be viewed as a NumPy array without a copy: use copy=None or True",
            ));
        }
        let a = numpy_of(py, self.inner.clone(), false)?;
        match dtype {
            Some(d) => a.call_method1("astype", (d,)),
            None => Ok(a),
        }
    }

    /// `cpu`, or the GPU adapter's name and backend.
    #[getter]
    fn device(&self) -> String {
        self.inner.device().name()
    }

    /// True when the tensor lives in host memory.
    #[getter]
    fn is_cpu(&self) -> bool {
        self.inner.device().is_cpu()
    }

    /// The number of axes.
    #[getter]
    fn ndim(&self) -> usize {
        self.inner.ndim()
    }

    /// The number of elements.
    #[getter]
    fn size(&self) -> usize {
        self.inner.len()
    }

    /// The elements as a new NumPy array (a copy on the CPU, a readback from a GPU).
    fn numpy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        numpy_of(py, self.inner.clone(), false)
    }

    /// The same elements on `device` (this tensor if it is already there).
    fn to(&self, py: Python<'_>, device_name: &str) -> PyResult<PyTensor> {
        let d = device(device_name)?;
        let t = self.inner.clone();
        let inner = py.detach(|| t.to_device(&d)).py()?;
        Ok(PyTensor { inner })
    }

    fn __len__(&self) -> PyResult<usize> {
        self.inner
            .shape()
            .first()
            .copied()
            .ok_or_else(|| PyTypeError::new_err("len() of a 0-d tensor"))
    }

    fn __repr__(&self) -> String {
        format!(
            "ndgpu.Tensor(shape={:?}, dtype={}, device={:?})",
            self.inner.shape(),
            self.inner.dtype(),
            self.inner.device().name()
        )
    }
}

/// A tensor's elements handed to NumPy: a CPU tensor that holds the only reference gives its
/// allocation to the array (no copy); a GPU tensor is read back into fresh memory first.
fn to_numpy(py: Python<'_>, t: Tensor) -> PyResult<Bound<'_, PyAny>> {
    numpy_of(py, t, true)
}

/// The elements of `t` as a NumPy array: moved when `owned` and nothing else shares them (a
/// CPU tensor), else copied (CPU) or read back (GPU) into fresh memory that NumPy then owns.
fn numpy_of(py: Python<'_>, t: Tensor, owned: bool) -> PyResult<Bound<'_, PyAny>> {
    fn arr<'py, T: ndgpu::Element + numpy::Element>(
        py: Python<'py>,
        t: Tensor,
        owned: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let a: ArrayD<T> = py
            .detach(|| {
                if owned {
                    t.into_ndarray::<T>()
                } else {
                    t.to_ndarray::<T>()
                }
            })
            .py()?;
        Ok(PyArray::from_owned_array(py, a).into_any())
    }
    match t.dtype() {
        DType::Bool => arr::<bool>(py, t, owned),
        DType::Int8 => arr::<i8>(py, t, owned),
        DType::UInt8 => arr::<u8>(py, t, owned),
        DType::Int16 => arr::<i16>(py, t, owned),
        DType::UInt16 => arr::<u16>(py, t, owned),
        DType::Int32 => arr::<i32>(py, t, owned),
        DType::UInt32 => arr::<u32>(py, t, owned),
        DType::Int64 => arr::<i64>(py, t, owned),
        DType::UInt64 => arr::<u64>(py, t, owned),
        DType::Float16 => arr::<f16>(py, t, owned),
        DType::Float32 => arr::<f32>(py, t, owned),
        DType::Float64 => arr::<f64>(py, t, owned),
        DType::Complex64 => arr::<Complex<f32>>(py, t, owned),
        other => Err(PyTypeError::new_err(format!(
            "{other} has no NumPy dtype: cast to float32 or float16 first"
        ))),
    }
}

/// The ndarray view of a native-byte-order NumPy array of a supported dtype, passed to `f`
/// with the GIL released; `None` when the dtype is not supported.
fn with_view<R: Send>(py: Python<'_>, x: &Bound<'_, PyAny>, f: impl ViewFn<R>) -> PyResult<R> {
    macro_rules! try_type {
        ($($t:ty),*) => {$(
            if let Ok(a) = x.cast::<PyArrayDyn<$t>>() {
                let ro = a.try_readonly().map_err(|e| PyValueError::new_err(e.to_string()))?;
                let view: ArrayViewD<'_, $t> = ro.as_array();
                return py.detach(|| f.call(view)).py();
            }
        )*};
    }
    try_type!(
        f32,
        f64,
        i64,
        i32,
        bool,
        u8,
        i8,
        i16,
        u16,
        u32,
        u64,
        f16,
        Complex<f32>
    );
    let what = match x.cast::<PyUntypedArray>() {
        Ok(a) => format!("{}", a.dtype()),
        Err(_) => x.get_type().name()?.to_string(),
    };
    Err(PyTypeError::new_err(format!(
        "unsupported dtype {what}: ndgpu takes bool, int8..int64, uint8..uint64, float16, float32, float64 and complex64"
    )))
}

/// An operation over a borrowed view of any element type.
trait ViewFn<R>: Send + Sync {
    fn call<T: ndgpu::Element>(&self, x: ArrayViewD<'_, T>) -> ndgpu::Result<R>;
}

struct ReduceView<'a> {
    dev: &'a Device,
    op: ReduceOp,
    axes: Axes,
    keepdims: bool,
}

impl ViewFn<Tensor> for ReduceView<'_> {
    fn call<T: ndgpu::Element>(&self, x: ArrayViewD<'_, T>) -> ndgpu::Result<Tensor> {
        self.dev
            .reduce_view(x, self.op, self.axes.clone(), self.keepdims)
    }
}

struct CastView<'a> {
    dev: &'a Device,
    dtype: DType,
}

impl ViewFn<Tensor> for CastView<'_> {
    fn call<T: ndgpu::Element>(&self, x: ArrayViewD<'_, T>) -> ndgpu::Result<Tensor> {
        self.dev.cast_view(x, self.dtype)
    }
}

struct Convert<'a> {
    dev: &'a Device,
}

impl ViewFn<Tensor> for Convert<'_> {
    fn call<T: ndgpu::Element>(&self, x: ArrayViewD<'_, T>) -> ndgpu::Result<Tensor> {
        Tensor::from_ndarray(self.dev, x)
    }
}

/// The device an operation runs on: `device`, else the tensor's own, else `auto`.
fn pick(device_name: Option<&str>, t: Option<&Tensor>) -> PyResult<Device> {
    match (device_name, t) {
        (Some(n), _) => device(n),
        (None, Some(t)) => Ok(t.device().clone()),
        (None, None) => Ok(auto()),
    }
}

/// `op` of `x` (a NumPy array of native byte order, or a Tensor) over `axis` (None: all).
/// A NumPy array in gives a NumPy array out; a Tensor gives a Tensor.
#[pyfunction]
#[pyo3(signature = (op, x, axis, keepdims, device_name))]
fn reduce<'py>(
    py: Python<'py>,
    op: &str,
    x: &Bound<'py, PyAny>,
    axis: Option<Vec<isize>>,
    keepdims: bool,
    device_name: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let op = op_by_name(op)?;
    let axes = axes_of(axis);
    if let Ok(t) = x.cast::<PyTensor>() {
        let t = &t.get().inner;
        let dev = pick(device_name, Some(t))?;
        let out = py
            .detach(|| t.to_device(&dev)?.reduce(op, axes, keepdims))
            .py()?;
        return Ok(Bound::new(py, PyTensor { inner: out })?.into_any());
    }
    let dev = pick(device_name, None)?;
    let f = ReduceView {
        dev: &dev,
        op,
        axes,
        keepdims,
    };
    let out = with_view(py, x, f)?;
    to_numpy(py, out)
}

/// A partial's errors: a partial that does not fit (another reduction, words of another
/// layout) is a bad argument, so `ValueError`, as NumPy reports mismatched shapes.
fn partial_err(e: Error) -> PyErr {
    match e {
        Error::Unsupported(msg) => PyValueError::new_err(msg),
        other => py_err(other),
    }
}

/// `ndgpu.Partial`: the mergeable partial result of a value-reduction of one block of an
/// array (ndgpu's `Partial`): merge the blocks' partials, finish once.
#[pyclass(name = "Partial", module = "ndgpu", frozen)]
struct PyPartial {
    inner: Partial,
}

#[pymethods]
impl PyPartial {
    /// The reduction's name.
    #[getter]
    fn op(&self) -> &'static str {
        self.inner.op().name()
    }

    /// The dtype of the reduced elements, as a `numpy.dtype`.
    #[getter]
    fn dtype<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("numpy")?
            .getattr("dtype")?
            .call1((self.inner.dtype().to_string(),))
    }

    /// The result's shape with the reduced axes kept as length 1.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.shape())
    }

    /// The reduced axes.
    #[getter]
    fn axes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.axes())
    }

    /// Elements each output element has reduced so far.
    #[getter]
    fn count(&self) -> u64 {
        self.inner.count()
    }

    /// True when merging in any grouping and order gives the same result (all but float
    /// products and means of integers).
    #[getter]
    fn is_order_free(&self) -> bool {
        self.inner.is_order_free()
    }

    /// The partial of both blocks' elements.
    fn merge(&self, py: Python<'_>, other: &Bound<'_, PyPartial>) -> PyResult<PyPartial> {
        let (a, b) = (&self.inner, &other.get().inner);
        let inner = py.detach(|| a.merge(b)).map_err(partial_err)?;
        Ok(PyPartial { inner })
    }

    /// The result (a NumPy array, or a NumPy scalar for a 0-d result).
    #[pyo3(signature = (keepdims=false))]
    fn finish<'py>(&self, py: Python<'py>, keepdims: bool) -> PyResult<Bound<'py, PyAny>> {
        let p = &self.inner;
        let t = py.detach(|| p.finish(keepdims)).map_err(partial_err)?;
        let zero_d = t.ndim() == 0;
        let a = to_numpy(py, t)?;
        if zero_d {
            a.get_item(())
        } else {
            Ok(a)
        }
    }

    /// The partial as a uint32 array of shape `shape + (record_len,)` (the layout of
    /// ndgpu's `Partial::to_words`).
    fn words<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        let w = py.detach(|| self.inner.to_words());
        PyArray::from_owned_array(py, w).into_any()
    }

    /// Reads `words` back (several partials stacked along a reduced axis are merged).
    #[staticmethod]
    fn from_words(
        py: Python<'_>,
        op: &str,
        dtype: &str,
        axis: Option<Vec<isize>>,
        words: PyReadonlyArrayDyn<'_, u32>,
    ) -> PyResult<PyPartial> {
        let (op, dtype, axes) = (op_by_name(op)?, dtype_by_name(dtype)?, axes_of(axis));
        let view = words.as_array();
        let inner = py
            .detach(|| Partial::from_words(op, dtype, axes, view))
            .map_err(partial_err)?;
        Ok(PyPartial { inner })
    }

    /// `u32` words per output element of a partial of `op` over `dtype`.
    #[staticmethod]
    fn record_len(op: &str, dtype: &str) -> PyResult<usize> {
        Partial::record_len(op_by_name(op)?, dtype_by_name(dtype)?).map_err(partial_err)
    }

    /// Pickles as its words.
    fn __reduce__<'py>(slf: &Bound<'py, PyPartial>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let p = &slf.get().inner;
        let ctor = py
            .import("ndgpu._ndgpu")?
            .getattr("Partial")?
            .getattr("from_words")?;
        let axes: Vec<isize> = p.axes().into_iter().map(|a| a as isize).collect();
        let args = (
            p.op().name(),
            p.dtype().to_string(),
            axes,
            slf.get().words(py),
        );
        PyTuple::new(py, [ctor, args.into_pyobject(py)?.into_any()])
    }

    fn __repr__(&self) -> String {
        let p = &self.inner;
        format!(
            "ndgpu.Partial(op={}, dtype={}, shape={:?}, axes={:?}, count={})",
            p.op(),
            p.dtype(),
            p.shape(),
            p.axes(),
            p.count()
        )
    }
}

struct PartialView<'a> {
    dev: &'a Device,
    op: ReduceOp,
    axes: Axes,
}

impl ViewFn<Partial> for PartialView<'_> {
    fn call<T: ndgpu::Element>(&self, x: ArrayViewD<'_, T>) -> ndgpu::Result<Partial> {
        self.dev.partial_view(x, self.op, self.axes.clone())
    }
}

/// The partial of the value-reduction `op` of `x` (a NumPy array of native byte order, or a
/// Tensor) over `axis` (None: all).
#[pyfunction]
#[pyo3(signature = (op, x, axis, device_name))]
fn partial(
    py: Python<'_>,
    op: &str,
    x: &Bound<'_, PyAny>,
    axis: Option<Vec<isize>>,
    device_name: Option<&str>,
) -> PyResult<PyPartial> {
    let op = op_by_name(op)?;
    let axes = axes_of(axis);
    if op.is_arg() {
        return Err(PyValueError::new_err(format!(
            "{op} has no mergeable partial: merge (value, index) pairs"
        )));
    }
    if let Ok(t) = x.cast::<PyTensor>() {
        let t = &t.get().inner;
        let dev = pick(device_name, Some(t))?;
        let inner = py
            .detach(|| t.to_device(&dev)?.partial(op, axes))
            .map_err(partial_err)?;
        return Ok(PyPartial { inner });
    }
    let dev = pick(device_name, None)?;
    let inner = with_view(
        py,
        x,
        PartialView {
            dev: &dev,
            op,
            axes,
        },
    )?;
    Ok(PyPartial { inner })
}

/// `x.astype(dtype)`: NumPy in, NumPy out; Tensor in, Tensor out.
#[pyfunction]
#[pyo3(signature = (x, dtype, device_name))]
fn cast<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    dtype: &str,
    device_name: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let dtype = dtype_by_name(dtype)?;
    if let Ok(t) = x.cast::<PyTensor>() {
        let t = &t.get().inner;
        let dev = pick(device_name, Some(t))?;
        let out = py.detach(|| t.to_device(&dev)?.cast(dtype)).py()?;
        return Ok(Bound::new(py, PyTensor { inner: out })?.into_any());
    }
    let dev = pick(device_name, None)?;
    let out = with_view(py, x, CastView { dev: &dev, dtype })?;
    to_numpy(py, out)
}

/// A NumPy array (copied once into C order on the CPU, uploaded on a GPU) or a Tensor (moved
/// to `device`) as a Tensor.
#[pyfunction]
#[pyo3(signature = (x, device_name))]
fn convert_to_tensor(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    device_name: Option<&str>,
) -> PyResult<PyTensor> {
    if let Ok(t) = x.cast::<PyTensor>() {
        let t = &t.get().inner;
        let dev = pick(device_name, Some(t))?;
        let inner = py.detach(|| t.to_device(&dev)).py()?;
        return Ok(PyTensor { inner });
    }
    let dev = pick(device_name, None)?;
    let inner = with_view(py, x, Convert { dev: &dev })?;
    Ok(PyTensor { inner })
}

/// `np.load(path)` as a Tensor on `device`.
#[pyfunction]
#[pyo3(signature = (path, device_name))]
fn load(py: Python<'_>, path: PathBuf, device_name: Option<&str>) -> PyResult<PyTensor> {
    let dev = pick(device_name, None)?;
    let inner = py.detach(|| ndgpu::npy::read_on(&path, &dev)).py()?;
    Ok(PyTensor { inner })
}

/// Writes a Tensor as a .npy file (atomically).
#[pyfunction]
fn save(py: Python<'_>, path: PathBuf, x: &Bound<'_, PyTensor>) -> PyResult<()> {
    let t = &x.get().inner;
    py.detach(|| ndgpu::npy::write(&path, t)).py()
}

/// `op` of `np.load(path)` streamed in chunks from a memory map (files larger than memory),
/// as a NumPy array.
#[pyfunction]
#[pyo3(signature = (op, path, axis, keepdims, device_name, chunk_bytes=None))]
fn reduce_file<'py>(
    py: Python<'py>,
    op: &str,
    path: PathBuf,
    axis: Option<Vec<isize>>,
    keepdims: bool,
    device_name: Option<&str>,
    chunk_bytes: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let op = op_by_name(op)?;
    let axes = axes_of(axis);
    let dev = pick(device_name, None)?;
    let out = py
        .detach(|| {
            let mut opts = StreamOptions::default();
            if let Some(b) = chunk_bytes {
                opts.chunk_bytes = b.max(1);
            }
            stream::reduce(&path, op, &axes, keepdims, &dev, opts)
        })
        .py()?;
    to_numpy(py, out)
}

/// `np.load(input).astype(dtype)` streamed to `output`.
#[pyfunction]
#[pyo3(signature = (input, output, dtype, device_name))]
fn cast_file(
    py: Python<'_>,
    input: PathBuf,
    output: PathBuf,
    dtype: &str,
    device_name: Option<&str>,
) -> PyResult<()> {
    let dtype = dtype_by_name(dtype)?;
    let dev = pick(device_name, None)?;
    py.detach(|| stream::cast(&input, &output, dtype, &dev, StreamOptions::default()))
        .py()
}

/// What `ndgpu info` lists: the CPU, every adapter wgpu finds (with the chosen one's limits
/// and features), and what `auto` uses.
#[pyfunction]
fn devices(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let info = py.detach(ndgpu::gpu_info);
    let (auto_dev, why) = py.detach(Device::auto_with_reason);
    let list = PyList::empty(py);
    let cpu = PyDict::new(py);
    cpu.set_item("name", "cpu")?;
    cpu.set_item("kind", "cpu")?;
    cpu.set_item("threads", rayon_threads())?;
    cpu.set_item("auto", auto_dev.is_cpu())?;
    if let Some(e) = &why {
        cpu.set_item("why_auto", e.to_string())?;
    }
    list.append(cpu)?;
    for (i, a) in info.adapters.iter().enumerate() {
        let d = PyDict::new(py);
        d.set_item("name", &a.name)?;
        d.set_item("kind", "gpu")?;
        d.set_item("backend", &a.backend)?;
        d.set_item("device_type", &a.device_type)?;
        d.set_item("driver", &a.driver)?;
        d.set_item("driver_info", &a.driver_info)?;
        let chosen = info.chosen == Some(i);
        d.set_item("chosen", chosen)?;
        d.set_item("auto", chosen && !auto_dev.is_cpu())?;
        if chosen {
            let limits = PyDict::new(py);
            for (k, v) in &info.limits {
                limits.set_item(*k, *v)?;
            }
            d.set_item("limits", limits)?;
            let feats = PyDict::new(py);
            feats.set_item("f64", info.f64)?;
            feats.set_item("i64", info.i64)?;
            feats.set_item("f16", info.f16)?;
            feats.set_item("subgroups", info.subgroups)?;
            d.set_item("features", feats)?;
        }
        list.append(d)?;
    }
    Ok(list)
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The text `ndgpu info` prints for the GPU adapters.
#[pyfunction]
fn info_text(py: Python<'_>) -> String {
    py.detach(|| ndgpu::gpu_info().to_string())
}

/// For the benchmark: seconds of `reps` runs of `op` (`sum`, `argmax`, or `cast` to
/// `dtype`) on `x` called from Rust directly (the Rust figure the binding is compared with).
#[pyfunction]
#[pyo3(signature = (op, x, reps, dtype=None))]
fn _rust_seconds(
    py: Python<'_>,
    op: &str,
    x: &Bound<'_, PyArrayDyn<f32>>,
    reps: usize,
    dtype: Option<&str>,
) -> PyResult<Vec<f64>> {
    let ro = x.readonly();
    let view = ro.as_array();
    let cpu = Device::cpu();
    let to = dtype.map(dtype_by_name).transpose()?;
    let op = if op == "cast" {
        None
    } else {
        Some(op_by_name(op)?)
    };
    py.detach(|| {
        let mut times = Vec::with_capacity(reps);
        for _ in 0..reps {
            let t0 = Instant::now();
            let out = match (op, to) {
                (Some(op), _) => cpu.reduce_view(view.view(), op, Axes::All, false)?,
                (None, Some(to)) => cpu.cast_view(view.view(), to)?,
                (None, None) => return Err(Error::Unsupported("cast needs a dtype".into())),
            };
            drop(std::hint::black_box(out));
            times.push(t0.elapsed().as_secs_f64());
        }
        Ok(times)
    })
    .py()
}

#[pymodule]
fn _ndgpu(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTensor>()?;
    m.add_class::<PyPartial>()?;
    m.add_function(wrap_pyfunction!(partial, m)?)?;
    m.add_function(wrap_pyfunction!(reduce, m)?)?;
    m.add_function(wrap_pyfunction!(cast, m)?)?;
    m.add_function(wrap_pyfunction!(convert_to_tensor, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(save, m)?)?;
    m.add_function(wrap_pyfunction!(reduce_file, m)?)?;
    m.add_function(wrap_pyfunction!(cast_file, m)?)?;
    m.add_function(wrap_pyfunction!(devices, m)?)?;
    m.add_function(wrap_pyfunction!(info_text, m)?)?;
    m.add_function(wrap_pyfunction!(_rust_seconds, m)?)?;
    m.add(
        "OPS",
        ReduceOp::ALL.iter().map(|o| o.name()).collect::<Vec<_>>(),
    )?;
    Ok(())
}
