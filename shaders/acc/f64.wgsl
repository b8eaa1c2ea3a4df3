// Accumulator f64: native f64 (`SHADER_F64`; the `src` and `dst` bindings hold f64): the sums
// of integer means and float64 products. `acc_load` reads a previous pass's partials (or
// float64 elements, which are already accumulators), `store` writes this pass's.

alias Acc = f64;

fn zero() -> Acc {
    return 0.0lf;
}

fn one() -> Acc {
    return 1.0lf;
}

fn acc_add(a: Acc, b: Acc) -> Acc {
    return a + b;
}

fn acc_mul(a: Acc, b: Acc) -> Acc {
    return a * b;
}

// (A first pass over integer elements reads words: it has no partials to load.)
//!if SRC_T == f64
fn acc_load(i: u32) -> Acc {
    return src_ld(i);
}
//!endif

fn store(i: u32, v: Acc) {
    dst_st(i, v);
}
