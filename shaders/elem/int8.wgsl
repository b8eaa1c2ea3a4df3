// Element kind int8: signed 8-bit integers.
// Functions of its raw bits `v` (as `elem` gives them): see `elem/signed.wgsl`.
//!import load/bytes1

const EL_BITS: u32 = 8u;

//!import elem/signed
