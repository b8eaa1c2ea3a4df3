// Fold op count_nonzero: the int count of elements != 0 (NaN counts).
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
    return vec2<u32>(select(0u, 1u, el_nonzero(v)), 0u);
}
//!endif
