// gluGeluBackward: for x [rows, 2·inner] = [x₁ | x₂] and gradOut [rows, inner],
//   gradX[r, i] = gradOut[r, i] · x₂[r, i] · gelu′(x₁[r, i]),  gradX[r, inner + i] = gradOut[r, i] · gelu(x₁[r, i]).
// Bindings: 0 x · 1 gradOut [rows·inner] · 2 gradX [rows·2·inner] · 3 params.
// Dispatch: one thread per (r, i), ⌈rows·inner/256⌉ workgroups of 256, folded (gridX, y).
// #include lib/gelu-grad.wgsl
// #include lib/grid.wgsl
// #include lib/glu.wgsl

struct Params { rows: u32, inner: u32, gridX: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gradOut: array<f32>;
@group(0) @binding(2) var<storage, read_write> gradX: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wg, lid, params.gridX);
  if (i >= params.rows * params.inner) { return; }
  let src = gluSource(i, params.inner);
  let x1 = x[src];
  let go = gradOut[i];
  gradX[src] = go * x[src + params.inner] * geluErfGrad(x1);
  gradX[src + params.inner] = go * geluErf(x1);
}
