// Cast target complex64: the value as float32 in the real part, imaginary part 0.
//!import cast/float32
