// Accumulator u32: one word: the flags of any / all and the order keys of items up to 4 bytes.
// `acc_load` reads a previous pass's partials, `store` writes this pass's.

alias Acc = u32;

fn zero() -> Acc {
    return 0u;
}

fn one() -> Acc {
    return 1u;
}

fn acc_max(a: Acc, b: Acc) -> Acc {
    return max(a, b);
}

fn acc_load(i: u32) -> Acc {
    return src_ld(i);
}

fn store(i: u32, v: Acc) {
    dst_st(i, v);
}
