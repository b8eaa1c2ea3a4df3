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

// Adds (-1)^neg * m * 2^(LO + p), m below 2^24, to accumulator a.
fn put24(a: u32, p: u32, m: u32, neg: bool) {
    let l = p >> 4u;
    let s = p & 15u;
    let u = m >> (16u - s);
    put(a, l, (m << s) & 0xffffu, neg);
    put(a, l + 1u, u & 0xffffu, neg);
    put(a, l + 2u, u >> 16u, neg);
}

// Adds (-1)^neg * m * 2^(LO + p), m below 2^53 (a pair, x = low word), to accumulator a.
fn put53(a: u32, p: u32, m: vec2<u32>, neg: bool) {
    let l = p >> 4u;
    let s = p & 15u;
    // m << s as three words.
    let w0 = m.x << s;
    let w1 = (m.y << s) | select(0u, m.x >> (32u - s), s != 0u);
    let w2 = select(0u, m.y >> (32u - s), s != 0u);
    put(a, l, w0 & 0xffffu, neg);
    put(a, l + 1u, w0 >> 16u, neg);
    put(a, l + 2u, w1 & 0xffffu, neg);
    put(a, l + 3u, w1 >> 16u, neg);
    put(a, l + 4u, w2, neg);
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
