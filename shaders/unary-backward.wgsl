// unaryBackward: gradX[i] = gradOut[i] · f′(x[i]), KIND 0 = tanh (1 − tanh² = 4e/(1 + e)² with e = exp(−2|x|), no
// cancellation near saturation), 1 = exact-erf GELU (Φ(x) + x·φ(x)).
// Bindings: 0 x · 1 gradOut · 2 gradX · 3 params. Dispatch: ⌈size/256⌉ workgroups of 256, folded (gridX, y).
// #include lib/gelu-grad.wgsl
// #include lib/grid.wgsl
override KIND: u32 = 0u;

struct Params { size: u32, gridX: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gradOut: array<f32>;
@group(0) @binding(2) var<storage, read_write> gradX: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn tanhGrad(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  let d = 1.0 + e;
  return 4.0 * e / (d * d);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wg, lid, params.gridX);
  if (i >= params.size) { return; }
  var f: f32;
  if (KIND == 0u) { f = tanhGrad(x[i]); } else { f = geluErfGrad(x[i]); }
  gradX[i] = gradOut[i] * f;
}
