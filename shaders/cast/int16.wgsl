// Cast target int16.
//!import cast/signed

const TO_MIN: vec2<u32> = vec2<u32>(0xffff8000u, 0xffffffffu);
const TO_MAX: vec2<u32> = vec2<u32>(0x7fffu, 0x0u);
