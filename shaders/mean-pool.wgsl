// meanPool: out[s, c] = mean of x[r, c] over the rows r of sequence s (packed [Σ seqLens, cols] input).
// Bindings: 0 x · 1 seqs: vec2u (start row, length) per sequence · 2 out [seqs·cols] · 3 params.
// Dispatch: ⌈seqs·cols/256⌉ workgroups of 256, folded (gridX, y); one thread per output, summing down a column.
// #include lib/grid.wgsl

struct Params { seqs: u32, cols: u32, gridX: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> seqs: array<vec2u>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wg, lid, params.gridX);
  if (i >= params.seqs * params.cols) { return; }
  let s = i / params.cols; let c = i % params.cols;
  let seq = seqs[s];
  var acc = 0.0;
  for (var r = 0u; r < seq.y; r++) { acc += x[(seq.x + r) * params.cols + c]; }
  out[i] = select(0.0, acc / f32(seq.y), seq.y > 0u);
}
