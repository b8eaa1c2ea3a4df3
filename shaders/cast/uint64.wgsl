// Cast target uint64.
//!import cast/unsigned

const TO_MAX: vec2<u32> = vec2<u32>(0xffffffffu, 0xffffffffu);
