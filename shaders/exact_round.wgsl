// The finish of an exact sum (issue 8): each accumulator (exact_fold.wgsl's words), divided by
// its count for a mean, rounded once to the output format, to nearest, ties to even: the GPU
// twin of the CPU's `exact/round.rs`, integer operations only. Specials first: a NaN, both
// infinities, or a count of 0 give the canonical quiet NaN; one infinity gives itself; an
// exact zero gives +0.0. One invocation per output word: PER values of BITS bits each (two
// float16 / bfloat16 per word), or one float64 value as two words.
//!import common/convert
//!import common/grid
//!import common/exact

struct Params {
    // Values to write (accumulators; complex64 has two per element).
    n: u32,
    // Output words.
    words: u32,
    // The divisor of every value when COUNTS is false (1 for sums).
    count: u32,
    nx: u32,
    ny: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
//!import common/src
//!if COUNTS
//!import common/cnt
//!endif
//!import common/dst

// The output format: explicit mantissa bits, exponent bias, sign bit, and its packing.
const MANT: u32 = {{MANT}}u;
const BIAS: i32 = {{BIAS}};
const SIGN: u32 = {{SIGN}}u;
const OUT64: bool = {{OUT64}};
const PER: u32 = {{PER}}u;
const BITS: u32 = {{BITS}}u;
// Whether each element's count is an int64 of the `cnt` bindings (nanmean).
const COUNTS: bool = {{COUNTS}};

fn inf_bits(neg: bool) -> vec2<u32> {
    let v = ex_shl64(vec2<u32>(u32(2 * BIAS + 1), 0u), MANT);
    return v | ex_shl64(vec2<u32>(select(0u, 1u, neg), 0u), SIGN);
}

fn nan_bits() -> vec2<u32> {
    return inf_bits(false) | ex_shl64(vec2<u32>(1u, 0u), MANT - 1u);
}

fn ex_shl64(v: vec2<u32>, n: u32) -> vec2<u32> {
    if (n == 0u) {
        return v;
    }
    if (n >= 32u) {
        return vec2<u32>(0u, v.x << (n - 32u));
    }
    return vec2<u32>(v.x << n, (v.y << n) | (v.x >> (32u - n)));
}

// Bit i (0..128) of a 128-bit m (x = lowest word).
fn bit128(m: vec4<u32>, i: u32) -> u32 {
    return (m[i >> 5u] >> (i & 31u)) & 1u;
}

// Whether any bit of m below bit i is set.
fn below128(m: vec4<u32>, i: u32) -> bool {
    var any = false;
    for (var w = 0u; w < 4u; w++) {
        let lo = w * 32u;
        if (i >= lo + 32u) {
            any = any || m[w] != 0u;
        } else if (i > lo) {
            any = any || (m[w] << (32u - (i - lo))) != 0u;
        }
    }
    return any;
}

// m >> n for 75 <= n < 128: at most 53 bits, as a pair.
fn shr128(m: vec4<u32>, n: u32) -> vec2<u32> {
    let w = n >> 5u;
    let s = n & 31u;
    var v = vec3<u32>(0u, 0u, 0u);
    for (var k = 0u; k < 3u; k++) {
        if (w + k < 4u) {
            v[k] = m[w + k];
        }
    }
    if (s == 0u) {
        return v.xy;
    }
    return vec2<u32>((v.x >> s) | (v.y << (32u - s)), (v.y >> s) | (v.z << (32u - s)));
}

var<private> dg: array<u32, D>;

// A 128-bit significand m (bit 127 set) and the exponent of its bit 0.
struct Quot {
    m: vec4<u32>,
    em: i32,
}

// Divides dg (top non-zero digit t) by count > 1: the first 128 bits of the quotient from
// its leading one as m (the sticky bit in bit 0), and the exponent of m's bit 0.
fn divide(t: i32, count: u32) -> Quot {
    // Long division, one bit at a time from the top set bit: what is left after 128
    // quotient bits (the remainder and the dividend's lower bits) only counts as non-zero
    // (the sticky bit). Beyond digit 0 the dividend is 0.
    var j = t * 32 + 31 - i32(countLeadingZeros(dg[t]));
    var rem = 0u;
    var m = vec4<u32>(0u, 0u, 0u, 0u);
    var got = 0u;
    // count <= 2^31 so rem stays below 2^32 after the shift; at most 31 bits pass before the
    // quotient's leading one, then 128.
    for (var it = 0u; it < 192u && got < 128u; it++) {
        var bit = 0u;
        if (j >= 0) {
            bit = (dg[u32(j) >> 5u] >> (u32(j) & 31u)) & 1u;
        }
        rem = (rem << 1u) | bit;
        let qb = rem >= count;
        if (qb) {
            rem -= count;
        }
        if (got > 0u || qb) {
            m = vec4<u32>(m.x << 1u, (m.y << 1u) | (m.x >> 31u), (m.z << 1u) | (m.y >> 31u), (m.w << 1u) | (m.z >> 31u));
            m.x |= select(0u, 1u, qb);
            got += 1u;
        }
        j -= 1;
    }
    // The quotient's last bit weighs 2^(LO + j + 1); the dividend's bits 0..=j are left.
    var sticky = rem != 0u;
    if (j >= 0) {
        let top = u32(j) >> 5u;
        let s = u32(j) & 31u;
        sticky = sticky || (dg[top] << (31u - s)) != 0u;
        for (var k = 0u; k < top; k++) {
            sticky = sticky || dg[k] != 0u;
        }
    }
    m.x |= select(0u, 1u, sticky);
    return Quot(m, LO + j + 1);
}

// Digit k of dg, 0 below digit 0.
fn digit(k: i32) -> u32 {
    if (k < 0) {
        return 0u;
    }
    return dg[u32(k)];
}

// dg itself (top non-zero digit t) as Quot: its top four digits shifted up to bit 127, the
// lower digits as the sticky bit (as the CPU's round_digits).
fn top_bits(t: i32) -> Quot {
    let lz = countLeadingZeros(dg[t]);
    var m = vec4<u32>(digit(t - 3), digit(t - 2), digit(t - 1), dg[t]);
    if (lz != 0u) {
        m = vec4<u32>(m.x << lz, (m.y << lz) | (m.x >> (32u - lz)), (m.z << lz) | (m.y >> (32u - lz)), (m.w << lz) | (m.z >> (32u - lz)));
    }
    var sticky = false;
    for (var k = 0; k < t - 3; k++) {
        sticky = sticky || dg[k] != 0u;
    }
    m.x |= select(0u, 1u, sticky);
    return Quot(m, LO + 32 * (t - 3) - i32(lz));
}


// Accumulator a divided by count, rounded to the output format (bits, x = low word).
fn round_acc(a: u32, count: u32) -> vec2<u32> {
    let base = a * WORDS;
    let f = src_ld(base);
    if (count == 0u || (f & EX_NAN) != 0u || (f & (EX_POS_INF | EX_NEG_INF)) == (EX_POS_INF | EX_NEG_INF)) {
        return nan_bits();
    }
    if (f != 0u) {
        return inf_bits(f == EX_NEG_INF);
    }
    for (var j = 0u; j < D; j++) {
        dg[j] = src_ld(base + 1u + j);
    }
    let neg = (dg[D - 1u] >> 31u) != 0u;
    if (neg) {
        var carry = 1u;
        for (var j = 0u; j < D; j++) {
            let x = ~dg[j] + carry;
            carry = select(0u, 1u, carry == 1u && x == 0u);
            dg[j] = x;
        }
    }
    var t = -1;
    for (var j = 0u; j < D; j++) {
        if (dg[j] != 0u) {
            t = i32(j);
        }
    }
    if (t < 0) {
        return vec2<u32>(0u, 0u);
    }
    // m: 128 bits of the value (or quotient) from its leading one, the sticky bit in bit 0.
    var qt: Quot;
    if (count == 1u) {
        qt = top_bits(t);
    } else {
        qt = divide(t, count);
    }
    let m = qt.m;
    let em = qt.em;
    // value ~= m * 2^em, m in [2^127, 2^128): its binary exponent is em + 127.
    let ex = em + 127;
    if (ex > BIAS) {
        return inf_bits(neg);
    }
    let mant = i32(MANT);
    let emin = 1 - BIAS;
    // The weight of the result's last bit (fixed at the subnormal spacing below emin).
    let q = max(ex - mant, emin - mant);
    let drop = u32(q - em);
    var r = vec2<u32>(0u, 0u);
    if (drop == 128u) {
        // m * 2^em lies in [half an ulp, an ulp): ties (m == 2^127) go to the even zero.
        r.x = select(0u, 1u, below128(m, 127u));
    } else if (drop < 128u) {
        r = shr128(m, drop);
        let half = bit128(m, drop - 1u) == 1u;
        let up = half && (below128(m, drop - 1u) || (r.x & 1u) == 1u);
        r = cvt_add64(r, vec2<u32>(select(0u, 1u, up), 0u));
    }
    // Normal: the implicit bit of r lands on the exponent field, hence (biased exponent - 1);
    // subnormal: field 0. A rounding carry bumps the exponent, up to infinity.
    let field = u32(q - (emin - mant));
    let bits = cvt_add64(ex_shl64(vec2<u32>(field, 0u), MANT), r);
    return bits | ex_shl64(vec2<u32>(select(0u, 1u, neg), 0u), SIGN);
}

// The divisor of value e: its int64 count (low word) or the uniform count.
fn count_of(e: u32) -> u32 {
//!if COUNTS
    return cnt_ld(2u * e);
//!else
    return P.count;
//!endif
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let w = flat_group(wg, P.nx, P.ny) * 256u + li;
    if (w >= P.words) {
        return;
    }
    if (OUT64) {
        let v = round_acc(w, count_of(w / PARTS));
        dst_st(2u * w, v.x);
        dst_st(2u * w + 1u, v.y);
        return;
    }
    var out = 0u;
    for (var k = 0u; k < PER; k++) {
        let a = w * PER + k;
        if (a < P.n) {
            out |= round_acc(a, count_of(a / PARTS)).x << (k * BITS);
        }
    }
    dst_st(w, out);
}
