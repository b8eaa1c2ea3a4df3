// Fold op nanmin: the largest reversed key, NaN -> 0.
// `identity()` is the fold of nothing, `add` the associative combine, `map(v)` an element's
// contribution (first pass only).

fn identity() -> Acc {
    return zero();
}

fn add(a: Acc, b: Acc) -> Acc {
    return acc_max(a, b);
}

//!if ELEMENTS
fn map(v: vec2<u32>) -> Acc {
    if (el_nan(v)) {
        return zero();
    }
    return ~el_key(v);
}
//!endif
