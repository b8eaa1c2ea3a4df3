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

//!import acc/{{ACC}}
//!if ELEMENTS
//!import elem/{{DTYPE}}
//!endif
//!import fold/{{OP}}

// Input i: an element's contribution (the first pass) or a partial of the previous pass.
fn load(i: u32) -> Acc {
//!if ELEMENTS
    return map(elem(i));
//!else
    return acc_load(i);
//!endif
}

// Rows an invocation folds as one fixed pairwise tree (`main`); a binary counter over the
// K / GROUP trees combines them pairwise too, so a float fold's error grows with log2 of the
// row count, while `add` is inlined only a few times (adapters compile every inlined copy).
const GROUP: u32 = 8u;

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
            // WGSL evaluates arguments left to right: the loads stay in row order (what
            // ld_cached relies on).
            let r = j * GROUP;
            let a01 = add(at(b, lane, o, col, r), at(b, lane, o, col, r + 1u));
            let a23 = add(at(b, lane, o, col, r + 2u), at(b, lane, o, col, r + 3u));
            let a45 = add(at(b, lane, o, col, r + 4u), at(b, lane, o, col, r + 5u));
            let a67 = add(at(b, lane, o, col, r + 6u), at(b, lane, o, col, r + 7u));
            var v = add(add(a01, a23), add(a45, a67));
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
