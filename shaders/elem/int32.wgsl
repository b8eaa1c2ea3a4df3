// Element kind int32: signed 32-bit integers.
// Functions of its raw bits `v` (as `elem` gives them): see `elem/signed.wgsl`.
//!import load/bytes4

const EL_BITS: u32 = 32u;

//!import elem/signed
