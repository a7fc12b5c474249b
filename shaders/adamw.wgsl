// adamw: one torch.optim.AdamW step in place, f32 per element; the scalar factors are computed on the host in f64
// (kernels/adamw.ts) and rounded once to f32:
//   p ·= decay (1 − lr·wd);  m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;  p −= stepSize · m / (√v / bc2 + eps)
// with stepSize = lr / (1 − β1ᵗ), bc2 = √(1 − β2ᵗ).
// Bindings: 0 param · 1 grad · 2 m · 3 v · 4 params. Dispatch: ⌈size/256⌉ workgroups of 256, folded (gridX, y).
// #include lib/grid.wgsl

struct Params { size: u32, gridX: u32, decay: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, stepSize: f32, bc2: f32, eps: f32 }

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wg, lid, params.gridX);
  if (i >= params.size) { return; }
  let g = grad[i];
  let p = param[i] * params.decay;
  let mi = params.beta1 * m[i] + params.oneMinusBeta1 * g;
  let vi = params.beta2 * v[i] + params.oneMinusBeta2 * (g * g);
  m[i] = mi;
  v[i] = vi;
  param[i] = p - params.stepSize * (mi / (sqrt(vi) / params.bc2 + params.eps));
}
