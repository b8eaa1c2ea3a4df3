// Element kind uint32: unsigned 32-bit integers.
// Functions of its raw bits `v` (as `elem` gives them): see `elem/unsigned.wgsl`.
//!import load/bytes4
//!import elem/unsigned
