// matmulReduce: the second half of a split-K matmul (shaders/matmul.wgsl with SPLIT): out[i] = alpha · Σ_z part[z, i]
// (+ out[i] when ACCUMULATE), the partial sums added in z order (deterministic).
// Bindings: 0 part [splits·size] · 1 out [size] (read_write) · 2 params.
// Dispatch: ⌈size/256⌉ workgroups of 256, folded (gridX, y).
// #include lib/grid.wgsl
override ACCUMULATE: bool = false;

struct Params { size: u32, splits: u32, alpha: f32, gridX: u32 }

@group(0) @binding(0) var<storage, read> part: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wg, lid, params.gridX);
  if (i >= params.size) { return; }
  var s = 0.0;
  for (var z = 0u; z < params.splits; z++) { s += part[z * params.size + i]; }
  if (ACCUMULATE) { out[i] = fma(params.alpha, s, out[i]); } else { out[i] = params.alpha * s; }
}
