// Shared by the elementwise kernels: a flat invocation index from a 2-D grid of 256-wide workgroups.
// Grids fold into y because one dispatch dimension holds at most 65535 workgroups.
fn flatIndex(wg: vec3u, lid: u32, gridX: u32) -> u32 {
  return (wg.y * gridX + wg.x) * 256u + lid;
}
