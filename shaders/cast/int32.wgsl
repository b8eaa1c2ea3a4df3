// Cast target int32.
//!import cast/signed

const TO_MIN: vec2<u32> = vec2<u32>(0x80000000u, 0xffffffffu);
const TO_MAX: vec2<u32> = vec2<u32>(0x7fffffffu, 0x0u);
