// Element kind uint16: unsigned 16-bit integers.
// Functions of its raw bits `v` (as `elem` gives them): see `elem/unsigned.wgsl`.
//!import load/bytes2
//!import elem/unsigned
