// Exact-sum items: float16, bfloat16 or float32 elements, added as their exact float32 bits
// (`add_item`), and the window start near item i (`window_at`). NaN is skipped when SKIP_NAN.

fn add_item(a: u32, i: u32, slow: bool) {
    let v = elem(i);
    if (SKIP_NAN && el_nan(v)) {
        return;
    }
    add_f32(a, el_f32(v), slow);
}

fn window_at(i: u32) -> vec2<u32> {
    return vec2<u32>(wpos_f32(el_f32(elem(i))), 0u);
}
