// Cast target uint8.
//!import cast/unsigned

const TO_MAX: vec2<u32> = vec2<u32>(0xffu, 0x0u);
