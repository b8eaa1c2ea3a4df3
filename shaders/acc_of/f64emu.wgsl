// Snippet: `acc_of(v)`, integer element bits `v` as the float64 bits of an f64emu accumulator,
// rounded to nearest.
//!import common/convert

fn acc_of(v: vec2<u32>) -> Acc {
    if (EL_SIGNED) {
        return i64_to_f64(el_int(v));
    }
    return u64_to_f64(el_int(v));
}
