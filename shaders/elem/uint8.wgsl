// Element kind uint8: unsigned 8-bit integers.
// Functions of its raw bits `v` (as `elem` gives them): see `elem/unsigned.wgsl`.
//!import load/bytes1
//!import elem/unsigned
