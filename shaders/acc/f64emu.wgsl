// Accumulator f64emu: float64 bits as u32 pairs (x = low word) with the integer-emulated IEEE
// add, for adapters without `SHADER_F64`: the sums of integer means (it has no multiply, so
// float64 products run on the host). `acc_load` reads a previous pass's partials, `store`
// writes this pass's.
//!import common/f64emu

alias Acc = vec2<u32>;

fn zero() -> Acc {
    return vec2<u32>(0u, 0u);
}

fn acc_add(a: Acc, b: Acc) -> Acc {
    return f64e_add(a, b);
}

fn acc_load(i: u32) -> Acc {
    return vec2<u32>(src_ld(2u * i), src_ld(2u * i + 1u));
}

fn store(i: u32, v: Acc) {
    dst_st(2u * i, v.x);
    dst_st(2u * i + 1u, v.y);
}
