// A fold (sum, product, count, flag or order-key maximum: the instruction is `load`, `add`
// and `identity`) over the middle axis of [outer, len, inner]: a workgroup covers W output
// slots (an (outer, inner) pair each, consecutive in memory order) and R * K rows; each
// invocation folds K rows in a fixed pairwise tree, then a fixed tree over the R lanes. One
// pass shrinks len by R * K; the host repeats passes until one block is left. No float
// atomics: the order of operations depends only on the shape.
//!import common/convert
//!import common/int
//!import common/grid
//!import common/f64emu
//!import common/fold
//!import common/reduce

alias Acc = {{ACC}};

fn elem(e: u32) -> vec2<u32> {
{{ELEM}}
}

fn zero() -> Acc {
    return {{ZERO}};
}

fn one() -> Acc {
    return {{ONE}};
}

// The accumulator of nothing (0, 1 for products and `all`).
fn identity() -> Acc {
    return {{IDENTITY}};
}

fn add(a: Acc, b: Acc) -> Acc {
{{ADD}}
}

fn load(i: u32) -> Acc {
{{LOAD}}
}

fn store(i: u32, v: Acc) {
{{STORE}}
}

const GROUP: u32 = {{GROUP}};

// Row k of this invocation's K, or zero past the end. Packed 8/16-bit rows: consecutive rows
// per invocation share words (ld_cached).
fn at(b: u32, lane: u32, o: u32, col: u32, k: u32) -> Acc {
    let r = select(b * (R * K) + lane + k * R, b * (R * K) + lane * K + k, PACKED);
    if (r < P.len) {
        return load((o * P.len + r) * P.inner + col);
    }
    return identity();
}

var<workgroup> sh: array<Acc, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let g = flat_group(wg, P.nx, P.ny);
    let b = g % P.nblocks;
    let rest = g / P.nblocks;
    let q = rest * W + li % W;
    let o = q / P.inner;
    let col = q % P.inner;
    let lane = li / W;
    let live = g < P.groups && q < P.slots;
    var acc = identity();
    if (live) {
        // Groups of GROUP rows summed as trees, combined pairwise by a binary counter: l0..l2
        // hold the pending sums of 1, 2 and 4 groups.
        var l0 = identity();
        var l1 = identity();
        var l2 = identity();
        for (var j = 0u; j < K / GROUP; j++) {
            var v = {{TREE}};
            if ((j & 1u) == 0u) {
                l0 = v;
                continue;
            }
            v = add(l0, v);
            if ((j & 2u) == 0u) {
                l1 = v;
                continue;
            }
            v = add(l1, v);
            if ((j & 4u) == 0u) {
                l2 = v;
                continue;
            }
            acc = add(l2, v);
        }
    }
    sh[li] = acc;
    workgroupBarrier();
    for (var s = R / 2u; s > 0u; s >>= 1u) {
        if (lane < s) {
            sh[li] = add(sh[li], sh[li + s * W]);
        }
        workgroupBarrier();
    }
    if (live && lane == 0u) {
        store((o * P.nblocks + b) * P.inner + col, sh[li]);
    }
}
