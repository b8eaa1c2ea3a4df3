// Cast target uint16.
//!import cast/unsigned

const TO_MAX: vec2<u32> = vec2<u32>(0xffffu, 0x0u);
