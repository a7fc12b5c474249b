// rowStats: per row r of x, (max|x|, mean, Σ(x−mean)², Σ(x−mean)⁴) → out[4·(outRow + r) ..], for the outlier metrics.
// Bindings: 0 x [rows·cols] · 1 out [rows·4] · 2 params.
// Dispatch: one 256-thread workgroup per row, rows folded as (gridX, ⌈rows/gridX⌉). Two passes (mean first).
struct Params { rows: u32, cols: u32, gridX: u32, outRow: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// #include lib/reduce.wgsl

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wg.y * params.gridX + wg.x;
  if (r >= params.rows) { return; }
  let cols = params.cols;
  let base = r * cols;
  var s = 0.0;
  var m = 0.0;
  for (var c = lid; c < cols; c += 256u) { let v = x[base + c]; s += v; m = max(m, abs(v)); }
  let mean = workgroupSum(s, lid) / f32(cols);
  let inf = workgroupMax(m, lid);
  var s2 = 0.0;
  var s4 = 0.0;
  for (var c = lid; c < cols; c += 256u) { let d = x[base + c] - mean; let d2 = d * d; s2 += d2; s4 = fma(d2, d2, s4); }
  let m2 = workgroupSum(s2, lid);
  let m4 = workgroupSum(s4, lid);
  if (lid == 0u) {
    let o = 4u * (params.outRow + r);
    out[o] = inf;
    out[o + 1u] = mean;
    out[o + 2u] = m2;
    out[o + 3u] = m4;
  }
}
