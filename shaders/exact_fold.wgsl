// An exact float sum (issue 8) over the middle axis of [outer, len, inner], on the grid of
// fold.wgsl: a workgroup covers W output slots and R * K rows. Every value is added exactly,
// integer operations only. Fast path: each invocation adds its values into a fixed-point
// window (three u32 words) around the first value of its slot's block; the windows of a slot
// are summed in a tree and added once to the slot's superaccumulator in workgroup memory.
// Values outside the window, and infinities and NaN, go there directly (a second sweep over
// the rows, only when the first met any). The superaccumulator is NL = 2 D signed 16-bit
// limbs in i32 atomics (carry-save: an item adds at most one chunk below 2^16 to a limb, a
// window's total stands for at least one item, and a workgroup adds at most R * K = 2^15
// items, so limbs stay within +-(2^31 - 2^16) and no carry is lost). At the end one
// invocation per accumulator settles the carries into D two's-complement digits and stores
// the words. The first pass reads elements (`add_item` decodes them), later passes merge the
// accumulators of the previous pass (digit-wise adds mod 2^(32 D), flags ORed). Integer
// addition is associative, so the words never depend on the grid.
//!import common/convert
//!import common/grid
//!import common/reduce
//!import common/exact

const NL: u32 = 2u * D;
// Accumulators of one workgroup.
const ACCS: u32 = W * PARTS;

var<workgroup> limbs: array<atomic<i32>, ACCS * NL>;
var<workgroup> flags: array<atomic<u32>, ACCS>;

// The first pass adds elements (exact/f32, f64, c64.wgsl), later passes accumulators
// (exact/acc.wgsl).
//!if ELEMENTS
//!import elem/{{DTYPE}}
const SKIP_NAN: bool = {{SKIP_NAN}};
//!endif
//!import exact/{{ITEM}}

fn put(a: u32, l: u32, c: u32, neg: bool) {
    if (c != 0u) {
        atomicAdd(&limbs[a * NL + l], select(i32(c), -i32(c), neg));
    }
}

// The slow path of put53: atomic adds of five 16-bit chunks of m << (p % 16).
fn put53_slow(a: u32, p: u32, m: vec2<u32>, neg: bool) {
    let l = p >> 4u;
    let s = p & 15u;
    let w0 = m.x << s;
    let w1 = (m.y << s) | select(0u, m.x >> (32u - s), s != 0u);
    let w2 = select(0u, m.y >> (32u - s), s != 0u);
    put(a, l, w0 & 0xffffu, neg);
    put(a, l + 1u, w0 >> 16u, neg);
    put(a, l + 2u, w1 & 0xffffu, neg);
    put(a, l + 3u, w1 >> 16u, neg);
    put(a, l + 4u, w2, neg);
}

// The fast path: each invocation keeps, per accumulator, a window of its values whose bit
// positions p lie in [wpos, wpos + SPAN): a value adds with a few word operations, no
// atomics. Every invocation of a slot takes wpos from the first element of the slot's block
// (SPAN / 2 below it), so the windows of a slot add up in a tree in workgroup memory (128
// bits) and one invocation per accumulator adds the total to the limbs. float64 values take
// a 96-bit two's-complement window `win` (53-bit mantissas shifted by less than SPAN = 32:
// below 2^85, so K = 2^7 of them stay below 2^92); float32 values, the most common, a
// carry-save one `cs` (`add_f32`). A slot's R * K = 2^15 values stay below 2^100, so nothing
// overflows. Values outside the window (rare in ordinary data) take the slow path: atomic
// adds of their 16-bit chunks.
const SPAN: u32 = 32u;
var<private> win0: vec3<u32>;
var<private> win1: vec3<u32>;
var<private> cs0: vec3<i32>;
var<private> cs1: vec3<i32>;
var<private> wpos0: u32;
var<private> wpos1: u32;
// Whether the fast sweep met a value it left for the slow sweep: `pending` for float64
// values, `missed` (non-zero) for float32 ones.
var<private> pending: bool;
var<private> missed: u32;
var<workgroup> wins: array<vec4<u32>, 256u * PARTS>;

fn add128(a: vec4<u32>, b: vec4<u32>) -> vec4<u32> {
    let x = a.x + b.x;
    let c0 = select(0u, 1u, x < a.x);
    let y0 = a.y + b.y;
    let y = y0 + c0;
    let c1 = select(0u, 1u, y0 < a.y || y < y0);
    let z0 = a.z + b.z;
    let z = z0 + c1;
    let c2 = select(0u, 1u, z0 < a.z || z < z0);
    return vec4<u32>(x, y, z, a.w + b.w + c2);
}

fn neg128(v: vec4<u32>) -> vec4<u32> {
    return add128(~v, vec4<u32>(1u, 0u, 0u, 0u));
}

// w + (v ^ x) + c over 96 bits: with x = ~0 and c = 1, w - v.
fn add96(w: vec3<u32>, v: vec3<u32>, x: u32, c: u32) -> vec3<u32> {
    let v0 = v.x ^ x;
    let v1 = v.y ^ x;
    let v2 = v.z ^ x;
    let s0 = w.x + v0;
    let t0 = s0 + c;
    let c0 = select(0u, 1u, s0 < w.x) + select(0u, 1u, t0 < s0);
    let s1 = w.y + v1;
    let t1 = s1 + c0;
    let c1 = select(0u, 1u, s1 < w.y) + select(0u, 1u, t1 < s1);
    return vec3<u32>(t0, t1, w.z + v2 + c1);
}

fn sext128(w: vec3<u32>) -> vec4<u32> {
    return vec4<u32>(w, select(0u, 0xffffffffu, (w.z >> 31u) != 0u));
}

// Adds (-1)^neg * m * 2^(LO + p), m below 2^53 (a pair, x = low word; zero adds nothing),
// to accumulator a, in two sweeps over the rows (`slow` is a constant at each call site):
// the fast sweep adds window values branch-free (lanes run in lockstep) and only notes that
// an outlier or a special exists (`pending`); the slow sweep, run only then, adds those. A window takes at most K = 2^7 values
// below 2^(53 + SPAN - 1) = 2^84, so its 96 bits never overflow.
fn put53(a: u32, p: u32, m: vec2<u32>, neg: bool, slow: bool) {
    let second = PARTS == 2u && (a & 1u) == 1u;
    let pos = select(wpos0, wpos1, second);
    let sh = p - pos;
    let inwin = p >= pos && sh < SPAN;
    let outlier = !inwin && (m.x | m.y) != 0u;
    if (slow) {
        if (outlier) {
            put53_slow(a, p, m, neg);
        }
        return;
    }
    pending = pending || outlier;
    // m << sh over three words: a word shift (0 or 1) and a bit shift.
    let b = sh & 31u;
    let w0 = m.x << b;
    let w1 = (m.y << b) | select(0u, m.x >> (32u - b), b != 0u);
    let w2 = select(0u, m.y >> (32u - b), b != 0u);
    var v = select(vec3<u32>(w0, w1, w2), vec3<u32>(0u, w0, w1), sh >= 32u);
    v = select(vec3<u32>(0u, 0u, 0u), v, inwin);
    let x = select(0u, 0xffffffffu, neg && inwin);
    let c = select(0u, 1u, neg && inwin);
    if (second) {
        win1 = add96(win1, v, x, c);
    } else {
        win0 = add96(win0, v, x, c);
    }
}

// The carry-save window c as a 128-bit two's-complement one.
fn cs128(c: vec3<i32>) -> vec4<u32> {
    let mid = bitcast<u32>(c.y) << 16u;
    let w0 = bitcast<u32>(c.x) + mid;
    let w1 = c.z + (c.y >> 16u) + select(0, 1, w0 < mid);
    return vec4<u32>(w0, bitcast<u32>(w1), vec2<u32>(select(0u, 0xffffffffu, w1 < 0)));
}

// Adds the window w at bit position pos to accumulator a.
fn flush_one(a: u32, w: vec4<u32>, pos: u32) {
    if (all(w == vec4<u32>(0u, 0u, 0u, 0u))) {
        return;
    }
    let neg = (w.w >> 31u) != 0u;
    let m = select(w, neg128(w), neg);
    let l = pos >> 4u;
    let s = pos & 15u;
    // m << s as five words, then ten 16-bit chunks.
    var x = array<u32, 5>(m.x << s, m.y << s, m.z << s, m.w << s, 0u);
    if (s != 0u) {
        x[1] |= m.x >> (32u - s);
        x[2] |= m.y >> (32u - s);
        x[3] |= m.z >> (32u - s);
        x[4] = m.w >> (32u - s);
    }
    for (var j = 0u; j < 5u; j++) {
        put(a, l + 2u * j, x[j] & 0xffffu, neg);
        put(a, l + 2u * j + 1u, x[j] >> 16u, neg);
    }
}

// The window start for values near the float32 with bits b (1.0 for zeros and specials),
// kept inside the normal exponents (fields 1 to 254): zeros, subnormals, infinities and NaN
// never fall in a float32 window (`add_f32`).
fn wpos_f32(b: u32) -> u32 {
    let field = (b >> 23u) & 0xffu;
    let f = select(max(field, 1u), 127u, field == 0xffu || (b & 0x7fffffffu) == 0u);
    let wf = clamp(i32(f) - i32(SPAN / 2u), 1, 255 - i32(SPAN));
    return u32(wf - 150 - LO);
}

// The window start for values near the float64 with bits v.
fn wpos_f64(v: vec2<u32>) -> u32 {
    let field = (v.y >> 20u) & 0x7ffu;
    let zero = ((v.y & 0x7fffffffu) | v.x) == 0u;
    let f = select(max(field, 1u), 1023u, field == 0x7ffu || zero);
    let p = u32(i32(f) - 1075 - LO);
    return select(0u, p - SPAN / 2u, p >= SPAN / 2u);
}

// Adds the float32 with bits b to accumulator a (float16 / bfloat16 come as their exact
// float32 bits). A value m * 2^(max(field, 1) - 150) sits at bit max(field, 1) + 10 above
// 2^LO. The fast sweep adds the normal values whose field lies in the window to a carry-save
// window of three i32 limbs (bits 0-15 and 16-31 of each value as unsigned chunks, bits 32
// and up signed): a sign, two shifts and three adds, no carries to propagate, which is what
// lets the exact sum keep up with a plain one on CPU adapters. K = 2^7 values below
// 2^(24 + SPAN - 1) = 2^55 keep the low limbs below 2^23 and the top one within +-2^30
// (`cs128` makes the limbs a 128-bit window at the end). The slow sweep takes the rest
// (zeros add nothing).
fn add_f32(a: u32, b: u32, slow: bool) {
    let second = PARTS == 2u && (a & 1u) == 1u;
    // Without the sign: zero only for zeros (and the field in one shift more).
    let mag = b << 1u;
    let field = mag >> 24u;
    // Fields below the window wrap far past SPAN.
    let sh = field - (select(wpos0, wpos1, second) + u32(150 + LO));
    let inwin = sh < SPAN;
    if (slow) {
        if (!inwin) {
            add_f32_outside(a, b);
        }
        return;
    }
    missed |= select(mag, 0u, inwin);
    let s = bitcast<i32>(b) >> 31u;
    let sm = select(0, (bitcast<i32>((b & 0x007fffffu) | 0x00800000u) ^ s) - s, inwin);
    // The two words of sm * 2^sh: the high one is sm >> (32 - sh), written as two shifts
    // because a shift by 32 is a shift by 0 in WGSL (sh = 0 gives the sign).
    let lo = bitcast<u32>(sm) << sh;
    let v = vec3<i32>(i32(lo & 0xffffu), i32(lo >> 16u), (sm >> 1u) >> (31u - sh));
    if (second) {
        cs1 += v;
    } else {
        cs0 += v;
    }
}

// The slow path of add_f32: a float32 outside the window, as flags or 16-bit chunks.
fn add_f32_outside(a: u32, b: u32) {
    let field = (b >> 23u) & 0xffu;
    let man = b & 0x007fffffu;
    if (field == 0xffu) {
        atomicOr(&flags[a], ex_special(man != 0u, (b >> 31u) != 0u));
        return;
    }
    let m = man | select(0u, 0x00800000u, field != 0u);
    put53_slow(a, u32(i32(max(field, 1u)) - 150 - LO), vec2<u32>(m, 0u), (b >> 31u) != 0u);
}

// Adds the float64 with bits v (x = low word) to accumulator a.
fn add_f64(a: u32, v: vec2<u32>, slow: bool) {
    let field = (v.y >> 20u) & 0x7ffu;
    let man = vec2<u32>(v.x, v.y & 0x000fffffu);
    let special = field == 0x7ffu;
    if (slow && special) {
        atomicOr(&flags[a], ex_special((man.x | man.y) != 0u, (v.y >> 31u) != 0u));
    }
    pending = pending || special;
    let m = vec2<u32>(man.x, man.y | select(0u, 0x00100000u, field != 0u));
    let p = u32(i32(min(max(field, 1u), 0x7feu)) - 1075 - LO);
    put53(a, p, select(m, vec2<u32>(0u, 0u), special), (v.y >> 31u) != 0u, slow);
}

// Merges accumulator number `k` of the previous pass into accumulator a: its digits as
// unsigned 16-bit chunks (the sum is taken mod 2^(32 D), which is two's complement's add),
// summed per invocation in `sums` (K chunks below 2^16: below 2^23) and added to the limbs
// once at the end (`flush_sums`), not by an atomic per chunk and accumulator.
var<private> sums: array<i32, PARTS * NL>;

fn add_acc(a: u32, k: u32) {
    let base = k * WORDS;
    let f = src_ld(base);
    if (f != 0u) {
        atomicOr(&flags[a], f);
    }
    let s = (a % PARTS) * NL;
    for (var j = 0u; j < D; j++) {
        let d = src_ld(base + 1u + j);
        sums[s + 2u * j] += i32(d & 0xffffu);
        sums[s + 2u * j + 1u] += i32(d >> 16u);
    }
}

// Adds the chunk sums of this invocation's merged accumulators to the limbs of its slot's
// accumulators a.. (the same total as a chunk at a time: the limbs' bound holds).
fn flush_sums(a: u32) {
    for (var l = 0u; l < PARTS * NL; l++) {
        put(a + l / NL, l % NL, u32(sums[l]), false);
    }
}

// Adds row k of this invocation's K (if inside the row range) to accumulators a.. . Packed
// 8/16-bit rows: consecutive rows per invocation share words (ld_cached).
fn row(a: u32, b: u32, lane: u32, o: u32, col: u32, k: u32, slow: bool) {
    let r = select(b * (R * K) + lane + k * R, b * (R * K) + lane * K + k, PACKED);
    if (r < P.len) {
        add_item(a, (o * P.len + r) * P.inner + col, slow);
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    for (var i = li; i < ACCS * NL; i += 256u) {
        atomicStore(&limbs[i], 0);
    }
    if (li < ACCS) {
        atomicStore(&flags[li], 0u);
    }
    workgroupBarrier();
    let g = flat_group(wg, P.nx, P.ny);
    let b = g % P.nblocks;
    let rest = g / P.nblocks;
    let q = rest * W + li % W;
    let lane = li / W;
    let live = g < P.groups && q < P.slots;
    win0 = vec3<u32>(0u, 0u, 0u);
    win1 = vec3<u32>(0u, 0u, 0u);
    cs0 = vec3<i32>(0, 0, 0);
    cs1 = vec3<i32>(0, 0, 0);
    if (live) {
        let o = q / P.inner;
        let col = q % P.inner;
        let a = (li % W) * PARTS;
        // The slot's block starts with row b * R * K in either row order.
        let wp = window_at((o * P.len + b * (R * K)) * P.inner + col);
        wpos0 = wp.x;
        wpos1 = wp.y;
        pending = false;
        missed = 0u;
        // Eight rows per iteration (loop overhead dominates a one-row body on some adapters).
        for (var k = 0u; k < K; k += 8u) {
            row(a, b, lane, o, col, k, false);
            row(a, b, lane, o, col, k + 1u, false);
            row(a, b, lane, o, col, k + 2u, false);
            row(a, b, lane, o, col, k + 3u, false);
            row(a, b, lane, o, col, k + 4u, false);
            row(a, b, lane, o, col, k + 5u, false);
            row(a, b, lane, o, col, k + 6u, false);
            row(a, b, lane, o, col, k + 7u, false);
        }
        if (pending || missed != 0u) {
            for (var k = 0u; k < K; k++) {
                row(a, b, lane, o, col, k, true);
            }
        }
//!if ELEMENTS == false
        flush_sums(a);
//!endif
    }
    // The windows of each slot, summed over its R lanes in a tree; lane 0 adds the total.
    wins[li * PARTS] = add128(sext128(win0), cs128(cs0));
    if (PARTS == 2u) {
        wins[li * PARTS + 1u] = add128(sext128(win1), cs128(cs1));
    }
    workgroupBarrier();
    for (var s = R / 2u; s > 0u; s >>= 1u) {
        if (lane < s) {
            for (var part = 0u; part < PARTS; part++) {
                let j = li * PARTS + part;
                wins[j] = add128(wins[j], wins[j + s * W * PARTS]);
            }
        }
        workgroupBarrier();
    }
    if (live && lane == 0u) {
        let a = (li % W) * PARTS;
        flush_one(a, wins[li * PARTS], wpos0);
        if (PARTS == 2u) {
            flush_one(a + 1u, wins[li * PARTS + 1u], wpos1);
        }
    }
    workgroupBarrier();
    // Settle the carries of accumulator li and store its words.
    let qs = rest * W + li / PARTS;
    if (li < ACCS && g < P.groups && qs < P.slots) {
        let o = qs / P.inner;
        let col = qs % P.inner;
        let out = (((o * P.nblocks + b) * P.inner + col) * PARTS + li % PARTS) * WORDS;
        var carry = 0;
        for (var j = 0u; j < D; j++) {
            let v0 = atomicLoad(&limbs[li * NL + 2u * j]) + carry;
            let v1 = atomicLoad(&limbs[li * NL + 2u * j + 1u]) + (v0 >> 16u);
            carry = v1 >> 16u;
            dst_st(out + 1u + j, (bitcast<u32>(v0) & 0xffffu) | (bitcast<u32>(v1) << 16u));
        }
        dst_st(out, atomicLoad(&flags[li]));
    }
}
