// gather: out[r, c] = table[ids[r], c] (+ addRow[c]) — embedding lookup (+ token-type row).
// Bindings: 0 table [tableRows·cols] · 1 ids: i32 [n] · 2 addRow [cols] (a dummy unless HAS_ADD) · 3 out [n·cols] · 4 params.
// Dispatch: ⌈n·cols/256⌉ workgroups of 256, folded (gridX, y). Ids are range-checked on the host (ops/gather).
// #include lib/grid.wgsl
override HAS_ADD: bool = false;

struct Params { n: u32, cols: u32, gridX: u32 }

@group(0) @binding(0) var<storage, read> table: array<f32>;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> addRow: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wg, lid, params.gridX);
  if (i >= params.n * params.cols) { return; }
  let r = i / params.cols; let c = i % params.cols;
  var v = table[u32(ids[r]) * params.cols + c];
  if (HAS_ADD) { v += addRow[c]; }
  out[i] = v;
}
