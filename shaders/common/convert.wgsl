// Snippet composed into kernels, not a shader on its own: bit-exact float/int conversions and
// argmax keys. Line-for-line mirror of src/bits.rs (same names, same steps); change both together.
//
// Integer ops only. f16/bf16 bits live in the low 16 bits of a u32 (high bits zero); 64-bit
// values (f64 bits, i64, u64) are vec2<u32> with x = low word, y = high word.

fn cvt_clz64(v: vec2<u32>) -> u32 {
    return select(countLeadingZeros(v.y), 32u + countLeadingZeros(v.x), v.y == 0u);
}

// n in [0, 63]; shifts by >= 32 are avoided because WGSL takes the amount modulo 32.
fn cvt_shl64(v: vec2<u32>, n: u32) -> vec2<u32> {
    if (n == 0u) {
        return v;
    }
    if (n >= 32u) {
        return vec2<u32>(0u, v.x << (n - 32u));
    }
    return vec2<u32>(v.x << n, (v.y << n) | (v.x >> (32u - n)));
}

fn cvt_shr64(v: vec2<u32>, n: u32) -> vec2<u32> {
    if (n == 0u) {
        return v;
    }
    if (n >= 32u) {
        return vec2<u32>(v.y >> (n - 32u), 0u);
    }
    return vec2<u32>((v.x >> n) | (v.y << (32u - n)), v.y >> n);
}

fn cvt_add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

fn cvt_neg64(v: vec2<u32>) -> vec2<u32> {
    return cvt_add64(~v, vec2<u32>(1u, 0u));
}

fn cvt_is_zero64(v: vec2<u32>) -> bool {
    return v.x == 0u && v.y == 0u;
}

fn cvt_ult64(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.y < b.y || (a.y == b.y && a.x < b.x);
}

// Flipping the sign bits turns a signed compare into an unsigned one.
fn cvt_slt64(a: vec2<u32>, b: vec2<u32>) -> bool {
    let f = vec2<u32>(0u, 0x80000000u);
    return cvt_ult64(a ^ f, b ^ f);
}

fn cvt_umin64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return select(a, b, cvt_ult64(b, a));
}

fn cvt_smin64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return select(a, b, cvt_slt64(b, a));
}

fn cvt_smax64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return select(a, b, cvt_slt64(a, b));
}

// Rounds sig * 2^(e - 31) to the format with m mantissa bits and exponent bias `bias`.
// sig must have bit 31 set; its bit 0 may be a sticky bit standing for dropped lower bits.
// sgn is the sign bit already in place.
fn cvt_round_pack(sgn: u32, e: i32, sig_in: u32, m: u32, bias: i32) -> u32 {
    let inf_bits = u32(2 * bias + 1) << m;
    var be = e + bias;
    if (be > 2 * bias) {
        return sgn | inf_bits;
    }
    var sig = sig_in;
    if (be < 1) {
        // Subnormal: shift to the fixed exponent 1, keeping what falls off as a sticky bit.
        let dist = u32(1 - be);
        if (dist < 31u) {
            sig = (sig >> dist) | select(0u, 1u, (sig << (32u - dist)) != 0u);
        } else {
            sig = select(0u, 1u, sig != 0u);
        }
        be = 1;
    }
    let shift = 31u - m;
    // The implicit bit of sig >> shift lands on the exponent field, hence be - 1; a carry
    // from rounding then bumps the exponent (or makes a subnormal normal, or reaches inf).
    var packed = (u32(be - 1) << m) + (sig >> shift);
    let rem = sig & ((1u << shift) - 1u);
    let halfway = 1u << (shift - 1u);
    packed += select(0u, 1u, rem > halfway || (rem == halfway && (packed & 1u) == 1u));
    return sgn | packed;
}

// f64 bits to a narrower format (m mantissa bits, bias, sign bit at sbit).
fn cvt_f64_narrow(b: vec2<u32>, m: u32, bias: i32, sbit: u32) -> u32 {
    let inf_bits = u32(2 * bias + 1) << m;
    let sgn = (b.y >> 31u) << sbit;
    let ex = (b.y >> 20u) & 0x7ffu;
    let man = vec2<u32>(b.x, b.y & 0xfffffu);
    if (ex == 0x7ffu) {
        if (!cvt_is_zero64(man)) {
            return sgn | inf_bits | (1u << (m - 1u)) | cvt_shr64(man, 52u - m).x;
        }
        return sgn | inf_bits;
    }
    let mant = vec2<u32>(man.x, man.y | select(0u, 0x100000u, ex != 0u));
    if (cvt_is_zero64(mant)) {
        return sgn;
    }
    let lz = cvt_clz64(mant);
    let x = cvt_shl64(mant, lz);
    let sig = x.y | select(0u, 1u, x.x != 0u);
    let e = i32(max(ex, 1u)) - 1012 - i32(lz);
    return cvt_round_pack(sgn, e, sig, m, bias);
}

// Unsigned integer magnitude v to the format (m, bias), with sign bit sgn in place.
fn cvt_u64_round(sgn: u32, v: vec2<u32>, m: u32, bias: i32) -> u32 {
    if (cvt_is_zero64(v)) {
        return 0u;
    }
    let lz = cvt_clz64(v);
    let x = cvt_shl64(v, lz);
    let sig = x.y | select(0u, 1u, x.x != 0u);
    return cvt_round_pack(sgn, 63 - i32(lz), sig, m, bias);
}

// Integer magnitude v to f64 bits with sign bit sgn (bit 31 of the high word) in place.
fn cvt_u64_to_f64(sgn: u32, v: vec2<u32>) -> vec2<u32> {
    if (cvt_is_zero64(v)) {
        return vec2<u32>(0u, 0u);
    }
    let lz = cvt_clz64(v);
    let x = cvt_shl64(v, lz);
    var packed = cvt_add64(vec2<u32>(0u, (1085u - lz) << 20u), cvt_shr64(x, 11u));
    let rem = x.x & 0x7ffu;
    packed = cvt_add64(packed, vec2<u32>(select(0u, 1u, rem > 0x400u || (rem == 0x400u && (packed.x & 1u) == 1u)), 0u));
    return vec2<u32>(packed.x, sgn | packed.y);
}

fn f32_to_f16(b: u32) -> u32 {
    let sgn = (b >> 16u) & 0x8000u;
    let ex = (b >> 23u) & 0xffu;
    let man = b & 0x007fffffu;
    if (ex == 0xffu) {
        if (man != 0u) {
            return sgn | 0x7e00u | (man >> 13u);
        }
        return sgn | 0x7c00u;
    }
    let mant = man | (select(0u, 1u, ex != 0u) << 23u);
    if (mant == 0u) {
        return sgn;
    }
    let lz = countLeadingZeros(mant);
    let e = i32(max(ex, 1u)) - 119 - i32(lz);
    return cvt_round_pack(sgn, e, mant << lz, 10u, 15);
}

fn f32_to_bf16(b: u32) -> u32 {
    if ((b & 0x7fffffffu) > 0x7f800000u) {
        return (b >> 16u) | 0x0040u;
    }
    // Same exponent range as f32, so rounding the low half away is the whole job; the carry
    // handles mantissa overflow and max-finite -> inf.
    return (b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u;
}

fn f64_to_f32(b: vec2<u32>) -> u32 {
    return cvt_f64_narrow(b, 23u, 127, 31u);
}

fn f64_to_f16(b: vec2<u32>) -> u32 {
    return cvt_f64_narrow(b, 10u, 15, 15u);
}

fn f64_to_bf16(b: vec2<u32>) -> u32 {
    return cvt_f64_narrow(b, 7u, 127, 15u);
}

fn f16_to_f32(h: u32) -> u32 {
    let sgn = (h & 0x8000u) << 16u;
    let ex = (h >> 10u) & 0x1fu;
    let man = h & 0x03ffu;
    if (ex == 0x1fu) {
        if (man != 0u) {
            return sgn | 0x7fc00000u | (man << 13u);
        }
        return sgn | 0x7f800000u;
    }
    if (ex == 0u) {
        if (man == 0u) {
            return sgn;
        }
        // Subnormal: move the leading 1 onto the implicit bit (bit 10).
        let s = countLeadingZeros(man) - 21u;
        let f = (man << s) & 0x03ffu;
        return sgn | ((113u - s) << 23u) | (f << 13u);
    }
    return sgn | ((ex + 112u) << 23u) | (man << 13u);
}

fn bf16_to_f32(h: u32) -> u32 {
    if ((h & 0x7fffu) > 0x7f80u) {
        return (h | 0x0040u) << 16u;
    }
    return h << 16u;
}

fn f32_to_f64(b: u32) -> vec2<u32> {
    let sgn = b & 0x80000000u;
    let ex = (b >> 23u) & 0xffu;
    let man = b & 0x007fffffu;
    if (ex == 0xffu) {
        if (man != 0u) {
            return vec2<u32>(man << 29u, sgn | 0x7ff80000u | (man >> 3u));
        }
        return vec2<u32>(0u, sgn | 0x7ff00000u);
    }
    if (ex == 0u) {
        if (man == 0u) {
            return vec2<u32>(0u, sgn);
        }
        // Subnormal: move the leading 1 onto the implicit bit (bit 23).
        let s = countLeadingZeros(man) - 8u;
        let f = (man << s) & 0x007fffffu;
        return vec2<u32>(f << 29u, sgn | ((897u - s) << 20u) | (f >> 3u));
    }
    return vec2<u32>(man << 29u, sgn | ((ex + 896u) << 20u) | (man >> 3u));
}

fn f16_to_f64(h: u32) -> vec2<u32> {
    // Both steps are exact and apply the same NaN rule, so composing them is exact too.
    return f32_to_f64(f16_to_f32(h));
}

fn bf16_to_f64(h: u32) -> vec2<u32> {
    return f32_to_f64(bf16_to_f32(h));
}

fn u64_to_f16(v: vec2<u32>) -> u32 {
    return cvt_u64_round(0u, v, 10u, 15);
}

fn i64_to_f16(v: vec2<u32>) -> u32 {
    let neg = (v.y >> 31u) != 0u;
    return cvt_u64_round((v.y >> 31u) << 15u, select(v, cvt_neg64(v), neg), 10u, 15);
}

fn u64_to_bf16(v: vec2<u32>) -> u32 {
    return cvt_u64_round(0u, v, 7u, 127);
}

fn i64_to_bf16(v: vec2<u32>) -> u32 {
    let neg = (v.y >> 31u) != 0u;
    return cvt_u64_round((v.y >> 31u) << 15u, select(v, cvt_neg64(v), neg), 7u, 127);
}

fn u64_to_f32(v: vec2<u32>) -> u32 {
    return cvt_u64_round(0u, v, 23u, 127);
}

fn i64_to_f32(v: vec2<u32>) -> u32 {
    let neg = (v.y >> 31u) != 0u;
    return cvt_u64_round((v.y >> 31u) << 31u, select(v, cvt_neg64(v), neg), 23u, 127);
}

fn u64_to_f64(v: vec2<u32>) -> vec2<u32> {
    return cvt_u64_to_f64(0u, v);
}

fn i64_to_f64(v: vec2<u32>) -> vec2<u32> {
    let neg = (v.y >> 31u) != 0u;
    return cvt_u64_to_f64((v.y >> 31u) << 31u, select(v, cvt_neg64(v), neg));
}

// Truncates f32 bits toward zero and clamps to [lo, hi] (signed pairs, lo <= 0 <= hi); NaN -> 0.
fn f32_to_i64_sat(b: u32, lo: vec2<u32>, hi: vec2<u32>) -> vec2<u32> {
    let ex = (b >> 23u) & 0xffu;
    if (ex == 0xffu && (b & 0x007fffffu) != 0u) {
        return vec2<u32>(0u, 0u);
    }
    let e = i32(ex) - 127;
    let mant = vec2<u32>((b & 0x007fffffu) | 0x00800000u, 0u);
    var mag = vec2<u32>(0u, 0u);
    if (e >= 63) {
        mag = vec2<u32>(0u, 0x80000000u);
    } else if (e >= 23) {
        mag = cvt_shl64(mant, u32(e - 23));
    } else if (e >= 0) {
        mag = cvt_shr64(mant, u32(23 - e));
    }
    if ((b >> 31u) != 0u) {
        // mag == 2^63 negates to i64::MIN, the right saturated value.
        return cvt_smax64(cvt_neg64(mag), lo);
    }
    return cvt_smin64(cvt_umin64(mag, vec2<u32>(0xffffffffu, 0x7fffffffu)), hi);
}

// Truncates f32 bits toward zero and clamps to [0, hi]; NaN -> 0.
fn f32_to_u64_sat(b: u32, hi: vec2<u32>) -> vec2<u32> {
    let ex = (b >> 23u) & 0xffu;
    if ((ex == 0xffu && (b & 0x007fffffu) != 0u) || (b >> 31u) != 0u) {
        return vec2<u32>(0u, 0u);
    }
    let e = i32(ex) - 127;
    let mant = vec2<u32>((b & 0x007fffffu) | 0x00800000u, 0u);
    var mag = vec2<u32>(0u, 0u);
    if (e >= 64) {
        mag = vec2<u32>(0xffffffffu, 0xffffffffu);
    } else if (e >= 23) {
        mag = cvt_shl64(mant, u32(e - 23));
    } else if (e >= 0) {
        mag = cvt_shr64(mant, u32(23 - e));
    }
    return cvt_umin64(mag, hi);
}

// Truncates f64 bits toward zero and clamps to [lo, hi] (signed pairs, lo <= 0 <= hi); NaN -> 0.
fn f64_to_i64_sat(b: vec2<u32>, lo: vec2<u32>, hi: vec2<u32>) -> vec2<u32> {
    let ex = (b.y >> 20u) & 0x7ffu;
    if (ex == 0x7ffu && !cvt_is_zero64(vec2<u32>(b.x, b.y & 0xfffffu))) {
        return vec2<u32>(0u, 0u);
    }
    let e = i32(ex) - 1023;
    let mant = vec2<u32>(b.x, (b.y & 0xfffffu) | 0x100000u);
    var mag = vec2<u32>(0u, 0u);
    if (e >= 63) {
        mag = vec2<u32>(0u, 0x80000000u);
    } else if (e >= 52) {
        mag = cvt_shl64(mant, u32(e - 52));
    } else if (e >= 0) {
        mag = cvt_shr64(mant, u32(52 - e));
    }
    if ((b.y >> 31u) != 0u) {
        return cvt_smax64(cvt_neg64(mag), lo);
    }
    return cvt_smin64(cvt_umin64(mag, vec2<u32>(0xffffffffu, 0x7fffffffu)), hi);
}

// Truncates f64 bits toward zero and clamps to [0, hi]; NaN -> 0.
fn f64_to_u64_sat(b: vec2<u32>, hi: vec2<u32>) -> vec2<u32> {
    let ex = (b.y >> 20u) & 0x7ffu;
    if ((ex == 0x7ffu && !cvt_is_zero64(vec2<u32>(b.x, b.y & 0xfffffu))) || (b.y >> 31u) != 0u) {
        return vec2<u32>(0u, 0u);
    }
    let e = i32(ex) - 1023;
    let mant = vec2<u32>(b.x, (b.y & 0xfffffu) | 0x100000u);
    var mag = vec2<u32>(0u, 0u);
    if (e >= 64) {
        mag = vec2<u32>(0xffffffffu, 0xffffffffu);
    } else if (e >= 52) {
        mag = cvt_shl64(mant, u32(e - 52));
    } else if (e >= 0) {
        mag = cvt_shr64(mant, u32(52 - e));
    }
    return cvt_umin64(mag, hi);
}

// Argmax keys: unsigned, ordered like the numbers, -0 == +0, every NaN the single largest key.

fn f16_key(h: u32) -> u32 {
    if ((h & 0x7fffu) > 0x7c00u) {
        return 0xffffu;
    }
    let c = select(h, 0u, h == 0x8000u);
    return select(c | 0x8000u, ~c & 0xffffu, (c >> 15u) != 0u);
}

fn bf16_key(h: u32) -> u32 {
    if ((h & 0x7fffu) > 0x7f80u) {
        return 0xffffu;
    }
    let c = select(h, 0u, h == 0x8000u);
    return select(c | 0x8000u, ~c & 0xffffu, (c >> 15u) != 0u);
}

fn f32_key(b: u32) -> u32 {
    if ((b & 0x7fffffffu) > 0x7f800000u) {
        return 0xffffffffu;
    }
    let c = select(b, 0u, b == 0x80000000u);
    return select(c | 0x80000000u, ~c, (c >> 31u) != 0u);
}

fn f64_key(b: vec2<u32>) -> vec2<u32> {
    let a = b.y & 0x7fffffffu;
    if (a > 0x7ff00000u || (a == 0x7ff00000u && b.x != 0u)) {
        return vec2<u32>(0xffffffffu, 0xffffffffu);
    }
    let c = select(b, vec2<u32>(0u, 0u), b.y == 0x80000000u && b.x == 0u);
    return select(c | vec2<u32>(0u, 0x80000000u), ~c, (c.y >> 31u) != 0u);
}
