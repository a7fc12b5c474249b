// scatterRows (gather's gradient): out[r, c] = Σ x[i, c] over the i with ids[i] = r, in increasing i, from 0 (the
// reference's f32 order, so exact). No atomics: the host sorts ids into CSR form (kernels/scatter-rows.ts), so
// each invocation owns one output element and walks only its own rows of x.
// Bindings: 0 x [n·cols] · 1 starts: u32 [rows + 1] (row r's entries are order[starts[r] .. starts[r + 1]))
//           2 order: u32 [n] (the i of each entry, ascending within a row) · 3 out [rows·cols] · 4 params.
// Dispatch: ⌈rows·cols/256⌉ workgroups of 256, folded (gridX, y).
// #include lib/grid.wgsl

struct Params { rows: u32, cols: u32, gridX: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> starts: array<u32>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wg, lid, params.gridX);
  if (i >= params.rows * params.cols) { return; }
  let r = i / params.cols; let c = i % params.cols;
  var s = 0.0;
  for (var j = starts[r]; j < starts[r + 1u]; j++) { s += x[order[j] * params.cols + c]; }
  out[i] = s;
}
