// Snippet: dispatches larger than 65535 workgroups are folded into y and z (nx, ny are the
// folded dimensions); the flat index counts them back.
fn flat_group(wg: vec3<u32>, nx: u32, ny: u32) -> u32 {
    return wg.x + nx * (wg.y + ny * wg.z);
}
