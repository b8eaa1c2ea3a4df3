// Accumulator f32: products of float16, bfloat16 and float32 (stored as their bits).
// `acc_load` reads a previous pass's partials, `store` writes this pass's.

alias Acc = f32;

fn zero() -> Acc {
    return 0.0;
}

fn one() -> Acc {
    return 1.0;
}

fn acc_add(a: Acc, b: Acc) -> Acc {
    return a + b;
}

fn acc_mul(a: Acc, b: Acc) -> Acc {
    return a * b;
}

fn acc_load(i: u32) -> Acc {
    return bitcast<f32>(src_ld(i));
}

fn store(i: u32, v: Acc) {
    dst_st(i, bitcast<u32>(v));
}
