// Snippet: IEEE binary64 addition, round to nearest even, on u32 pairs (x = low word), for
// adapters without SHADER_F64. Needs convert.wgsl. A NaN result is the default quiet NaN.
//!import common/convert

// v >> n, with any 1 bits shifted out ORed into bit 0 (the sticky bit).
fn f64e_shr_sticky(v: vec2<u32>, n: u32) -> vec2<u32> {
    if (n == 0u) {
        return v;
    }
    if (n >= 64u) {
        return vec2<u32>(select(0u, 1u, !cvt_is_zero64(v)), 0u);
    }
    let r = cvt_shr64(v, n);
    let lost = !cvt_is_zero64(cvt_shl64(r, n) ^ v);
    return vec2<u32>(r.x | select(0u, 1u, lost), r.y);
}

fn f64e_is_zero(v: vec2<u32>) -> bool {
    return v.x == 0u && (v.y & 0x7fffffffu) == 0u;
}

fn f64e_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let qnan = vec2<u32>(0u, 0x7ff80000u);
    let ea = (a.y >> 20u) & 0x7ffu;
    let eb = (b.y >> 20u) & 0x7ffu;
    if (ea == 0x7ffu || eb == 0x7ffu) {
        let a_nan = ea == 0x7ffu && !cvt_is_zero64(vec2<u32>(a.x, a.y & 0xfffffu));
        let b_nan = eb == 0x7ffu && !cvt_is_zero64(vec2<u32>(b.x, b.y & 0xfffffu));
        if (a_nan || b_nan) {
            return qnan;
        }
        if (ea == 0x7ffu && eb == 0x7ffu) {
            return select(qnan, a, (a.y >> 31u) == (b.y >> 31u));
        }
        return select(b, a, ea == 0x7ffu);
    }
    // x is the operand of larger magnitude; its sign is the result's.
    var x = a;
    var y = b;
    if (cvt_ult64(vec2<u32>(a.x, a.y & 0x7fffffffu), vec2<u32>(b.x, b.y & 0x7fffffffu))) {
        x = b;
        y = a;
    }
    let sx = x.y & 0x80000000u;
    let sy = y.y & 0x80000000u;
    if (f64e_is_zero(y)) {
        if (f64e_is_zero(x)) {
            return vec2<u32>(0u, sx & sy);
        }
        return x;
    }
    let ex = (x.y >> 20u) & 0x7ffu;
    let ey = (y.y >> 20u) & 0x7ffu;
    // Significands with the implicit bit at bit 62: ten guard bits below the 53 kept ones.
    let mx = cvt_shl64(vec2<u32>(x.x, (x.y & 0xfffffu) | select(0u, 0x100000u, ex != 0u)), 10u);
    var my = cvt_shl64(vec2<u32>(y.x, (y.y & 0xfffffu) | select(0u, 0x100000u, ey != 0u)), 10u);
    let e1 = max(ex, 1u);
    my = f64e_shr_sticky(my, e1 - max(ey, 1u));
    var s = cvt_add64(mx, select(cvt_neg64(my), my, sx == sy));
    if (cvt_is_zero64(s)) {
        return vec2<u32>(0u, 0u);
    }
    var e = i32(e1);
    let lz = cvt_clz64(s);
    if (lz == 0u) {
        s = f64e_shr_sticky(s, 1u);
        e += 1;
    } else {
        s = cvt_shl64(s, lz - 1u);
        e -= i32(lz) - 1;
    }
    if (e >= 2047) {
        return vec2<u32>(0u, sx | 0x7ff00000u);
    }
    if (e < 1) {
        s = f64e_shr_sticky(s, u32(1 - e));
        e = 1;
    }
    // The implicit bit lands on the exponent field, hence e - 1; a rounding carry bumps it.
    var packed = cvt_add64(vec2<u32>(0u, u32(e - 1) << 20u), cvt_shr64(s, 10u));
    let rem = s.x & 0x3ffu;
    let up = rem > 0x200u || (rem == 0x200u && (packed.x & 1u) == 1u);
    packed = cvt_add64(packed, vec2<u32>(select(0u, 1u, up), 0u));
    return vec2<u32>(packed.x, packed.y | sx);
}
