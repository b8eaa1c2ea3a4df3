// An exact float sum (issue 8) over the middle axis of [outer, len, inner], on the grid of
// fold.wgsl: a workgroup covers W output slots and R * K rows. Every value is added exactly,
// integer operations only, into its slot's superaccumulator in workgroup memory: NL = 2 D
// signed 16-bit limbs held in i32 atomics (carry-save: a value adds at most five chunks below
// 2^16, a merged accumulator 2 D of them, and a workgroup adds at most R * K = 2^14 items per
// limb, so limbs stay below 2^30 and no carry is lost). At the end one invocation per
// accumulator settles the carries into D two's-complement digits and stores the words. The
// first pass reads elements (`add_item` decodes them), later passes merge the accumulators of
// the previous pass (digit-wise adds mod 2^(32 D), flags ORed). Integer addition is
// associative, so the words never depend on the grid.
//!import convert
//!import grid
//!import reduce
//!import exact

const NL: u32 = 2u * D;
// Accumulators of one workgroup.
const ACCS: u32 = W * PARTS;

var<workgroup> limbs: array<atomic<i32>, ACCS * NL>;
var<workgroup> flags: array<atomic<u32>, ACCS>;

fn elem(e: u32) -> vec2<u32> {
{{ELEM}}
}

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

// The fast path: each invocation keeps, per accumulator, a 128-bit two's-complement window
// `win` of its own values whose bit positions p lie in [wpos, wpos + 64) (wpos is set by the
// first value, 32 bits below it): a value adds with a few word operations, no atomics. Its K
// values sum below 2^(53 + 63 + 6) < 2^127, so the window never overflows. Values outside the
// window (rare in ordinary data) take the slow path: atomic adds of their 16-bit chunks. At
// the end the window is added to the workgroup's limbs (`flush`).
const NO_WINDOW: u32 = 0xffffffffu;
var<private> win: array<vec4<u32>, PARTS>;
var<private> wpos: array<u32, PARTS>;

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

// Adds (-1)^neg * m * 2^(LO + p), m below 2^53 (a pair, x = low word), to accumulator a.
fn put53(a: u32, p: u32, m: vec2<u32>, neg: bool) {
    let part = a % PARTS;
    if (wpos[part] == NO_WINDOW) {
        wpos[part] = select(0u, p - 32u, p >= 32u);
    }
    let sh = p - wpos[part];
    if (p >= wpos[part] && sh < 64u) {
        // m << sh over four words: a word shift (0 or 1) and a bit shift.
        let b = sh & 31u;
        let w0 = m.x << b;
        let w1 = (m.y << b) | select(0u, m.x >> (32u - b), b != 0u);
        let w2 = select(0u, m.y >> (32u - b), b != 0u);
        var v = select(vec4<u32>(w0, w1, w2, 0u), vec4<u32>(0u, w0, w1, w2), sh >= 32u);
        if (neg) {
            v = neg128(v);
        }
        win[part] = add128(win[part], v);
        return;
    }
    put53_slow(a, p, m, neg);
}

fn put24(a: u32, p: u32, m: u32, neg: bool) {
    put53(a, p, vec2<u32>(m, 0u), neg);
}

// Adds this invocation's windows to accumulators a .. a + PARTS.
fn flush(a: u32) {
    for (var part = 0u; part < PARTS; part++) {
        let w = win[part];
        if (wpos[part] == NO_WINDOW || all(w == vec4<u32>(0u, 0u, 0u, 0u))) {
            continue;
        }
        let neg = (w.w >> 31u) != 0u;
        let m = select(w, neg128(w), neg);
        let l = wpos[part] >> 4u;
        let s = wpos[part] & 15u;
        // m << s as five words, then ten 16-bit chunks.
        var x = array<u32, 5>(m.x << s, m.y << s, m.z << s, m.w << s, 0u);
        if (s != 0u) {
            x[1] |= m.x >> (32u - s);
            x[2] |= m.y >> (32u - s);
            x[3] |= m.z >> (32u - s);
            x[4] = m.w >> (32u - s);
        }
        for (var j = 0u; j < 5u; j++) {
            put(a + part, l + 2u * j, x[j] & 0xffffu, neg);
            put(a + part, l + 2u * j + 1u, x[j] >> 16u, neg);
        }
    }
}

// Adds the float32 with bits b to accumulator a (float16 / bfloat16 come as their exact
// float32 bits). A value m * 2^(max(field, 1) - 150) sits at bit max(field, 1) + 10 above 2^LO.
fn add_f32(a: u32, b: u32) {
    let field = (b >> 23u) & 0xffu;
    let man = b & 0x007fffffu;
    if (field == 0xffu) {
        atomicOr(&flags[a], ex_special(man != 0u, (b >> 31u) != 0u));
        return;
    }
    let m = man | select(0u, 0x00800000u, field != 0u);
    if (m != 0u) {
        put24(a, u32(i32(max(field, 1u)) - 150 - LO), m, (b >> 31u) != 0u);
    }
}

// Adds the float64 with bits v (x = low word) to accumulator a.
fn add_f64(a: u32, v: vec2<u32>) {
    let field = (v.y >> 20u) & 0x7ffu;
    let man = vec2<u32>(v.x, v.y & 0x000fffffu);
    if (field == 0x7ffu) {
        atomicOr(&flags[a], ex_special((man.x | man.y) != 0u, (v.y >> 31u) != 0u));
        return;
    }
    let m = vec2<u32>(man.x, man.y | select(0u, 0x00100000u, field != 0u));
    if ((m.x | m.y) != 0u) {
        put53(a, u32(i32(max(field, 1u)) - 1075 - LO), m, (v.y >> 31u) != 0u);
    }
}

// Merges accumulator number `k` of the previous pass into accumulator a: its digits as
// unsigned 16-bit chunks (the sum is taken mod 2^(32 D), which is two's complement's add).
fn add_acc(a: u32, k: u32) {
    let base = k * WORDS;
    let f = src_ld(base);
    if (f != 0u) {
        atomicOr(&flags[a], f);
    }
    for (var j = 0u; j < D; j++) {
        let d = src_ld(base + 1u + j);
        if (d != 0u) {
            put(a, 2u * j, d & 0xffffu, false);
            put(a, 2u * j + 1u, d >> 16u, false);
        }
    }
}

// Adds input item i (an element or the accumulators of a previous pass) to accumulators
// a .. a + PARTS.
fn add_item(a: u32, i: u32) {
{{ADD_ITEM}}
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
    for (var part = 0u; part < PARTS; part++) {
        wpos[part] = NO_WINDOW;
        win[part] = vec4<u32>(0u, 0u, 0u, 0u);
    }
    if (live) {
        let o = q / P.inner;
        let col = q % P.inner;
        for (var k = 0u; k < K; k++) {
            // Packed 8/16-bit rows: consecutive rows per invocation share words (ld_cached).
            let r = select(b * (R * K) + lane + k * R, b * (R * K) + lane * K + k, PACKED);
            if (r < P.len) {
                add_item((li % W) * PARTS, (o * P.len + r) * P.inner + col);
            }
        }
        flush((li % W) * PARTS);
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
