//! The library's integration tests, as one test binary (one link of wgpu and naga instead of
//! one per file: CI's disk and time). Tests that set environment variables before a device
//! opens (gpu_auto_named, gpu_chunks, gpu_force_emulation, gpu_select) stay binaries of their own.

#[path = "../common/mod.rs"]
mod common;

mod conversions;
mod convert_wgsl_naga;
mod exact_sums;
mod gpu_device;
mod gpu_finish;
mod gpu_limits;
mod gpu_vs_cpu;
mod npy_io;
mod npy_stream;
mod ops_reference;
mod ops_semantics;
mod partial;
mod reduce_family;
