//! What `ndgpu info` prints: the adapters wgpu finds, the one `Device::gpu()` uses, its limits
//! and optional features.

use std::fmt;

use super::context;

/// One adapter wgpu found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterSummary {
    /// The adapter's name, as the driver gives it (e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`).
    pub name: String,
    /// `Vulkan`, `Metal`, `Dx12` or `Gl`.
    pub backend: String,
    /// The driver's name.
    pub driver: String,
    /// The driver's version and details.
    pub driver_info: String,
    /// `DiscreteGpu`, `IntegratedGpu`, `VirtualGpu`, `Cpu` or `Other`.
    pub device_type: String,
}

/// Adapters, the chosen one, its limits and features.
#[derive(Clone, Debug, Default)]
pub struct GpuInfo {
    /// Every adapter found.
    pub adapters: Vec<AdapterSummary>,
    /// Index into `adapters` of the one `Device::gpu()` uses.
    pub chosen: Option<usize>,
    /// Why no adapter is used, when `chosen` is `None`.
    pub error: Option<String>,
    /// (name, value) of the limits that matter to ndgpu, of the chosen adapter.
    pub limits: Vec<(&'static str, u64)>,
    /// The chosen adapter has native float64 in shaders (`SHADER_F64`).
    pub f64: bool,
    /// ... native 64-bit integers (`SHADER_INT64`).
    pub i64: bool,
    /// ... native float16 (`SHADER_F16`).
    pub f16: bool,
    /// ... subgroup operations.
    pub subgroups: bool,
    /// False when GL adapters were not looked for (a native adapter exists and
    /// `NDGPU_BACKEND` does not ask for GL).
    pub gl_probed: bool,
}

/// Lists the adapters (honouring `NDGPU_BACKEND` and `NDGPU_ADAPTER`) without opening a device.
pub fn gpu_info() -> GpuInfo {
    let mut info = GpuInfo::default();
    let (adapters, gl_probed) = match context::adapters() {
        Ok(a) => a,
        Err(e) => {
            info.error = Some(e.to_string());
            return info;
        }
    };
    info.gl_probed = gl_probed;
    info.adapters = adapters
        .iter()
        .map(|a| {
            let i = a.get_info();
            AdapterSummary {
                name: i.name,
                backend: format!("{:?}", i.backend),
                driver: i.driver,
                driver_info: i.driver_info,
                device_type: format!("{:?}", i.device_type),
            }
        })
        .collect();
    match context::choose(&adapters) {
        Ok(i) => {
            let a = &adapters[i];
            let l = a.limits();
            let f = a.features();
            info.chosen = Some(i);
            info.limits = vec![
                (
                    "max_storage_buffer_binding_size",
                    l.max_storage_buffer_binding_size,
                ),
                ("max_buffer_size", l.max_buffer_size),
                (
                    "max_storage_buffers_per_shader_stage",
                    l.max_storage_buffers_per_shader_stage.into(),
                ),
                (
                    "max_compute_workgroups_per_dimension",
                    l.max_compute_workgroups_per_dimension.into(),
                ),
                (
                    "max_compute_invocations_per_workgroup",
                    l.max_compute_invocations_per_workgroup.into(),
                ),
                (
                    "max_compute_workgroup_storage_size",
                    l.max_compute_workgroup_storage_size.into(),
                ),
            ];
            info.f64 = f.contains(wgpu::Features::SHADER_F64);
            info.i64 = f.contains(wgpu::Features::SHADER_INT64);
            info.f16 = f.contains(wgpu::Features::SHADER_F16);
            info.subgroups = f.contains(wgpu::Features::SUBGROUP);
        }
        Err(e) => info.error = Some(e.to_string()),
    }
    info
}

impl fmt::Display for GpuInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let note = if self.gl_probed {
            ""
        } else {
            " (GL not probed: NDGPU_BACKEND=gl lists GL adapters)"
        };
        writeln!(f, "adapters found: {}{note}", self.adapters.len())?;
        for (i, a) in self.adapters.iter().enumerate() {
            let mark = if Some(i) == self.chosen { "*" } else { " " };
            writeln!(
                f,
                "{mark} [{i}] {} ({}, {}, driver {} {})",
                a.name, a.backend, a.device_type, a.driver, a.driver_info
            )?;
        }
        match (self.chosen, &self.error) {
            (Some(i), _) => {
                writeln!(f, "using [{i}] {}", self.adapters[i].name)?;
                writeln!(f, "limits:")?;
                for (k, v) in &self.limits {
                    writeln!(f, "  {k} = {v}")?;
                }
                let yn = |b: bool| if b { "yes" } else { "no" };
                write!(
                    f,
                    "features: f64 {}, i64 {}, f16 {}, subgroups {}",
                    yn(self.f64),
                    yn(self.i64),
                    yn(self.f16),
                    yn(self.subgroups)
                )
            }
            (None, Some(e)) => write!(f, "no adapter used: {e} (the CPU device is used instead)"),
            (None, None) => write!(f, "no adapter used"),
        }
    }
}
