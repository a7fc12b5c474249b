// dropout: out[i] = hash(seed, start + i) ≥ threshold ? x[i]·scale : 0 (contract/dropout.ts: lowbias32 twice, u32
// compare; u32 multiplies wrap as in JS Math.imul). `start` is the chunk's first element, so the mask never depends
// on how the kernel splits a tensor into bindings.
// Bindings: 0 x · 1 out · 2 params. Dispatch: ⌈size/256⌉ workgroups of 256, folded (gridX, y).
// #include lib/grid.wgsl

struct Params { size: u32, gridX: u32, start: u32, seed: u32, threshold: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn mix(v0: u32) -> u32 {
  var v = v0;
  v = v ^ (v >> 16u); v = v * 0x7feb352du;
  v = v ^ (v >> 15u); v = v * 0x846ca68bu;
  return v ^ (v >> 16u);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wg, lid, params.gridX);
  if (i >= params.size) { return; }
  let keep = mix(mix(params.start + i) ^ mix(params.seed)) >= params.threshold;
  out[i] = select(0.0, x[i] * params.scale, keep);
}
