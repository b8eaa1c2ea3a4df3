// Fold op any: the u32 flag "some element != 0".
// `identity()` is the fold of nothing, `add` the associative combine, `map(v)` an element's
// contribution (first pass only).

fn identity() -> Acc {
    return zero();
}

fn add(a: Acc, b: Acc) -> Acc {
    return a | b;
}

//!if ELEMENTS
fn map(v: vec2<u32>) -> Acc {
    return select(0u, 1u, el_nonzero(v));
}
//!endif
