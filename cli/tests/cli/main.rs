//! The `ndgpu` binary's tests, as one test binary (one link instead of two: CI's disk and
//! time). cli_memory stays a binary of its own: it measures children's peak memory, which
//! counts this process's own peak at exec.

#[path = "../../../tests/common/mod.rs"]
mod common;

mod npy;
mod robust;
