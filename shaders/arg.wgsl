// An arg-reduction over the middle axis of [outer, len, inner]: the first index of the
// largest order-preserving integer key (64-bit pairs, x = low word; argmin and the
// nan-variants differ only in `key`), on the grid of fold.wgsl. Partials are 4 words (key,
// index, 0); the final pass writes int64 indices, -1 for a slice whose best key is 0 when
// SKIP_NAN (the nan-variants give NaN that key: the slice is all NaN). Ties go to the
// smaller index.
//!import common/convert
//!import common/int
//!import common/grid
//!import common/fold
//!import common/reduce

//!if ELEMENTS
//!import elem/{{DTYPE}}
const ARG_MIN: bool = {{ARG_MIN}};
//!endif

// The key of input i (an element, or a partial of the previous pass).
fn key(i: u32) -> vec2<u32> {
//!if ELEMENTS
    let v = elem(i);
    if (SKIP_NAN && el_nan(v)) {
        return vec2<u32>(0u, 0u);
    }
    return el_arg_key(v, ARG_MIN);
//!else
    return vec2<u32>(src_ld(4u * i), src_ld(4u * i + 1u));
//!endif
}

// The row index input i stands for (row r of this pass, or a partial's index).
fn index(i: u32, r: u32) -> u32 {
//!if ELEMENTS
    return r;
//!else
    return src_ld(4u * i + 2u);
//!endif
}

const FINAL: bool = {{FINAL}};
const SKIP_NAN: bool = {{SKIP_NAN}};

var<workgroup> shk: array<vec2<u32>, 256>;
var<workgroup> shi: array<u32, 256>;

fn better(ka: vec2<u32>, ia: u32, kb: vec2<u32>, ib: u32) -> bool {
    return cvt_ult64(ka, kb) || (ka.x == kb.x && ka.y == kb.y && ib < ia);
}

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
    var bk = vec2<u32>(0u, 0u);
    var bi = 0xffffffffu;
    if (live) {
        let row0 = b * (R * K) + lane;
        for (var k = 0u; k < K; k++) {
            // Packed 8/16-bit rows: consecutive rows per invocation share words (ld_cached).
            let r = select(row0 + k * R, b * (R * K) + lane * K + k, PACKED);
            if (r < P.len) {
                let i = (o * P.len + r) * P.inner + col;
                let kk = key(i);
                let ii = index(i, r);
                if (better(bk, bi, kk, ii)) {
                    bk = kk;
                    bi = ii;
                }
            }
        }
    }
    shk[li] = bk;
    shi[li] = bi;
    workgroupBarrier();
    for (var s = R / 2u; s > 0u; s >>= 1u) {
        if (lane < s) {
            let j = li + s * W;
            if (better(shk[li], shi[li], shk[j], shi[j])) {
                shk[li] = shk[j];
                shi[li] = shi[j];
            }
        }
        workgroupBarrier();
    }
    if (live && lane == 0u) {
        let j = (o * P.nblocks + b) * P.inner + col;
        if (FINAL) {
            let all_nan = SKIP_NAN && shk[li].x == 0u && shk[li].y == 0u;
            dst_st(2u * j, select(shi[li], 0xffffffffu, all_nan));
            dst_st(2u * j + 1u, select(0u, 0xffffffffu, all_nan));
        } else {
            dst_st(4u * j, shk[li].x);
            dst_st(4u * j + 1u, shk[li].y);
            dst_st(4u * j + 2u, shi[li]);
            dst_st(4u * j + 3u, 0u);
        }
    }
}
