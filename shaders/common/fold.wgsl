// Snippet: what the fold instructions are made of, on raw bits (the CPU's `cpu/fold_ops.rs`
// computes the same): NaN tests, total order keys (injective but for NaN, which is the
// largest key; 0 is never the key of a float that is not NaN), and 64-bit products.
//!import common/convert

fn f16_nan(b: u32) -> bool {
    return (b & 0x7fffu) > 0x7c00u;
}

fn bf16_nan(b: u32) -> bool {
    return (b & 0x7fffu) > 0x7f80u;
}

fn f32_nan(b: u32) -> bool {
    return (b & 0x7fffffffu) > 0x7f800000u;
}

fn f64_nan(v: vec2<u32>) -> bool {
    let hi = v.y & 0x7fffffffu;
    return hi > 0x7ff00000u || (hi == 0x7ff00000u && v.x != 0u);
}

fn c64_nan(v: vec2<u32>) -> bool {
    return f32_nan(v.x) || f32_nan(v.y);
}

// Keys of 16-bit floats (in the low half).
fn h_tkey(b: u32, nan: bool) -> u32 {
    if (nan) {
        return 0xffffffffu;
    }
    return select(b | 0x8000u, (~b) & 0xffffu, (b & 0x8000u) != 0u);
}

fn f16_tkey(b: u32) -> u32 {
    return h_tkey(b, f16_nan(b));
}

fn bf16_tkey(b: u32) -> u32 {
    return h_tkey(b, bf16_nan(b));
}

fn f32_tkey(b: u32) -> u32 {
    if (f32_nan(b)) {
        return 0xffffffffu;
    }
    return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn f64_tkey(v: vec2<u32>) -> vec2<u32> {
    if (f64_nan(v)) {
        return vec2<u32>(0xffffffffu, 0xffffffffu);
    }
    if ((v.y & 0x80000000u) != 0u) {
        return ~v;
    }
    return vec2<u32>(v.x, v.y | 0x80000000u);
}

// (real, imag) lexicographic: the real key in the high word.
fn c64_tkey(v: vec2<u32>) -> vec2<u32> {
    if (c64_nan(v)) {
        return vec2<u32>(0xffffffffu, 0xffffffffu);
    }
    return vec2<u32>(f32_tkey(v.y), f32_tkey(v.x));
}

// The full 64-bit product of two u32.
fn mul32x32(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    let lo = (p00 & 0xffffu) | (mid << 16u);
    let hi = a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
    return vec2<u32>(lo, hi);
}

// The low 64 bits of a 64-bit product (wrapping, signed or unsigned alike).
fn mul64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let p = mul32x32(a.x, b.x);
    return vec2<u32>(p.x, p.y + a.x * b.y + a.y * b.x);
}

fn umax64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return select(a, b, cvt_ult64(a, b));
}
