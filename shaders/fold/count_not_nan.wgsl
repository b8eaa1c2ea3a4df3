// Fold op count_not_nan: the int count of elements that are not NaN.
// `identity()` is the fold of nothing, `add` the associative combine, `map(v)` an element's
// contribution (first pass only).

fn identity() -> Acc {
    return zero();
}

fn add(a: Acc, b: Acc) -> Acc {
    return acc_add(a, b);
}

//!if ELEMENTS
fn map(v: vec2<u32>) -> Acc {
    return vec2<u32>(select(1u, 0u, el_nan(v)), 0u);
}
//!endif
