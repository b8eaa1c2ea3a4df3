// Exact-sum items of a later pass: the PARTS accumulators of item i of the previous pass,
// merged in the fast sweep (`add_item`; there is nothing to window: `window_at` is 0).

fn add_item(a: u32, i: u32, slow: bool) {
    if (slow) {
        return;
    }
    for (var p = 0u; p < PARTS; p++) {
        add_acc(a + p, i * PARTS + p);
    }
}

fn window_at(i: u32) -> vec2<u32> {
    return vec2<u32>(0u, 0u);
}
