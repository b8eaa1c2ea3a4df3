// Exact-sum items: complex64 elements, the real part into accumulator a and the imaginary
// part into a + 1 (`add_item`), and the window starts near item i, one per part
// (`window_at`). An element with a NaN part is skipped when SKIP_NAN.

fn add_item(a: u32, i: u32, slow: bool) {
    let v = elem(i);
    if (SKIP_NAN && el_nan(v)) {
        return;
    }
    add_f32(a, v.x, slow);
    add_f32(a + 1u, v.y, slow);
}

fn window_at(i: u32) -> vec2<u32> {
    let v = elem(i);
    return vec2<u32>(wpos_f32(v.x), wpos_f32(v.y));
}
