// Cast target int64.
//!import cast/signed

const TO_MIN: vec2<u32> = vec2<u32>(0x0u, 0x80000000u);
const TO_MAX: vec2<u32> = vec2<u32>(0xffffffffu, 0x7fffffffu);
