// Exact-sum items: float64 elements (`add_item`), and the window start near item i
// (`window_at`). NaN is skipped when SKIP_NAN.

fn add_item(a: u32, i: u32, slow: bool) {
    let v = elem(i);
    if (SKIP_NAN && el_nan(v)) {
        return;
    }
    add_f64(a, v, slow);
}

fn window_at(i: u32) -> vec2<u32> {
    return vec2<u32>(wpos_f64(elem(i)), 0u);
}
