// gluGelu: out[r, i] = gelu_erf(x[r, i]) · x[r, inner + i], x is [rows, 2·inner] (DNABERT-2 GLU MLP).
// Bindings: 0 x · 1 out [rows·inner] · 2 params. Dispatch: ⌈rows·inner/256⌉ workgroups of 256, folded (gridX, y).
// #include lib/erf.wgsl
// #include lib/grid.wgsl
// #include lib/glu.wgsl

struct Params { rows: u32, inner: u32, gridX: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wg, lid, params.gridX);
  if (i >= params.rows * params.inner) { return; }
  let src = gluSource(i, params.inner);
  out[i] = geluErf(x[src]) * x[src + params.inner];
}
