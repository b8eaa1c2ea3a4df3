// Accumulator int: 64-bit integers as u32 pairs (x = low word): wrapping sums and products,
// counts, and the order keys of 8-byte items. `acc_load` reads a previous pass's partials,
// `store` writes this pass's.
//!import common/convert
//!import common/fold

alias Acc = vec2<u32>;

fn zero() -> Acc {
    return vec2<u32>(0u, 0u);
}

fn one() -> Acc {
    return vec2<u32>(1u, 0u);
}

fn acc_add(a: Acc, b: Acc) -> Acc {
    return cvt_add64(a, b);
}

fn acc_mul(a: Acc, b: Acc) -> Acc {
    return mul64(a, b);
}

fn acc_max(a: Acc, b: Acc) -> Acc {
    return umax64(a, b);
}

fn acc_load(i: u32) -> Acc {
    return vec2<u32>(src_ld(2u * i), src_ld(2u * i + 1u));
}

fn store(i: u32, v: Acc) {
    dst_st(2u * i, v.x);
    dst_st(2u * i + 1u, v.y);
}
