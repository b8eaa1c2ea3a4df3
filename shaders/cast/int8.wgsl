// Cast target int8.
//!import cast/signed

const TO_MIN: vec2<u32> = vec2<u32>(0xffffff80u, 0xffffffffu);
const TO_MAX: vec2<u32> = vec2<u32>(0x7fu, 0x0u);
