// cast: every element converted, on bits only; the outputs are packed into words
// (common/packed_out).
//!import common/convert
//!import common/int
//!import common/grid
//!import common/elementwise
//!import common/packed_out

//!import elem/{{FROM}}
//!if TO != bool
//!import cast/{{TO}}
//!endif

// The word loads of the element snippet.
fn word(w: u32) -> u32 {
    return src_ld(w);
}

// Element bits v of FROM converted to TO with the rules of the CPU backend
// (`src/cpu/cast.rs`), on bits only: through the element's 64-bit integer value (FROM_KIND
// int), its exact float32 bits (f32) or its float64 bits (f64).
fn cvt(v: vec2<u32>) -> vec2<u32> {
//!if TO == bool
    // Non-zero (NaN included; complex64: either part) is true.
    return vec2<u32>(select(0u, 1u, el_nonzero(v)), 0u);
//!else
//!if FROM_KIND == int
    return cvt_int(el_int(v), EL_SIGNED);
//!endif
//!if FROM_KIND == f32
    return cvt_f32(el_f32(v));
//!endif
//!if FROM_KIND == f64
    return cvt_f64(v);
//!endif
//!endif
}

// The packed output's unit loop (common/packed_out) asks for element e's output bits.
fn out_bits(e: u32) -> vec2<u32> {
    return cvt(elem(e));
}
