// Snippet: `acc_of(v)`, element bits `v` as an int accumulator (the element kind's 64-bit
// integer value).

fn acc_of(v: vec2<u32>) -> Acc {
    return el_int(v);
}
