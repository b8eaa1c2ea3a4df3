// Fold op nanprod: as prod, NaN multiplies by one.
// `identity()` is the fold of nothing, `add` the associative combine, `map(v)` an element's
// contribution (first pass only).

fn identity() -> Acc {
    return one();
}

fn add(a: Acc, b: Acc) -> Acc {
    return acc_mul(a, b);
}

//!if ELEMENTS
//!import acc_of/{{ACC}}

fn map(v: vec2<u32>) -> Acc {
    if (el_nan(v)) {
        return one();
    }
    return acc_of(v);
}
//!endif
