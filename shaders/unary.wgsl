// unary: out[i] = f(x[i]), KIND 0 = tanh, 1 = exact-erf GELU (pooler and MLM head).
// Bindings: 0 x · 1 out · 2 params. Dispatch: ⌈size/256⌉ workgroups of 256, folded (gridX, y).
// tanh is written out: some drivers build it from sinh/cosh and return NaN for |x| > 88.
// #include lib/erf.wgsl
// #include lib/grid.wgsl
override KIND: u32 = 0u;

struct Params { size: u32, gridX: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn tanhStable(v: f32) -> f32 {
  let e = exp(-2.0 * min(abs(v), 20.0));
  return sign(v) * (1.0 - e) / (1.0 + e);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wg, lid, params.gridX);
  if (i >= params.size) { return; }
  if (KIND == 0u) { out[i] = tanhStable(x[i]); } else { out[i] = geluErf(x[i]); }
}
