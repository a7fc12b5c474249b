// axpy: out[i] = alpha · x[i] + y[i] (residual adds, gradient accumulation). out may alias y (or x): a buffer cannot
// be bound both read-only and read_write in one dispatch, so ALIAS 1 (out is y) / 2 (out is x) read that operand
// from `out` and get a dummy binding in its place.
// Bindings: 0 x · 1 y · 2 out · 3 params. Dispatch: ⌈size/256⌉ workgroups of 256, folded (gridX, y).
// #include lib/grid.wgsl
override ALIAS: u32 = 0u;

struct Params { size: u32, gridX: u32, alpha: f32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wg, lid, params.gridX);
  if (i >= params.size) { return; }
  var xv: f32; var yv: f32;
  if (ALIAS == 2u) { xv = out[i]; } else { xv = x[i]; }
  if (ALIAS == 1u) { yv = out[i]; } else { yv = y[i]; }
  out[i] = fma(params.alpha, xv, yv);
}
