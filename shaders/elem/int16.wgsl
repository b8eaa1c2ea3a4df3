// Element kind int16: signed 16-bit integers.
// Functions of its raw bits `v` (as `elem` gives them): see `elem/signed.wgsl`.
//!import load/bytes2

const EL_BITS: u32 = 16u;

//!import elem/signed
