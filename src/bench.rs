//! The measuring stick of the bench report: a plain read of memory, compiled with the same
//! SIMD dispatch as the operations, so that an operation's ratio to it says how close the
//! operation runs to the machine's read bandwidth (a baseline compiled for a lesser
//! instruction set runs slower and flatters every ratio).

/// Σx with 32 independent accumulators (no dependency chain, no reassociation needed), on
/// AVX2 where the processor has it: as fast as one core reads memory.
pub fn read_f32(x: &[f32]) -> f32 {
    crate::platform::avx2_or(|| {
        let mut acc = [0f32; 32];
        let chunks = x.chunks_exact(32);
        let rem = chunks.remainder();
        for c in chunks {
            for j in 0..32 {
                acc[j] += c[j];
            }
        }
        acc.iter().sum::<f32>() + rem.iter().sum::<f32>()
    })
}
