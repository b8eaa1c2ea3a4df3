// Snippet: the exact accumulator (issue 8). One accumulator is WORDS = D + 1 u32 words: word 0
// the flags (bit 0: a NaN was added, bit 1: +inf, bit 2: -inf), words 1..=D the exact total as
// a D-digit two's-complement integer, little-endian base-2^32 digits, digit 0 weighing 2^LO
// (family 32: LO = -160, D = 12; family 64: LO = -1088, D = 69). Equal totals give equal words.
const D: u32 = {{DIGITS}}u;
const WORDS: u32 = D + 1u;
const LO: i32 = {{LO}};
// Accumulators per item: 2 for complex64 (real, then imaginary), else 1.
const PARTS: u32 = {{PARTS}}u;

const EX_NAN: u32 = 1u;
const EX_POS_INF: u32 = 2u;
const EX_NEG_INF: u32 = 4u;

fn ex_special(nan: bool, neg: bool) -> u32 {
    return select(select(EX_POS_INF, EX_NEG_INF, neg), EX_NAN, nan);
}
