// layerNorm: out = (v − mean) / √(var + eps) · gamma + beta with v = x (+ residual), biased variance, per row.
// Bindings: 0 x [rows·cols] · 1 residual (a dummy unless HAS_RESIDUAL) · 2 gamma [cols] · 3 beta [cols] · 4 out · 5 params.
// Dispatch: one 256-thread workgroup per row, rows folded as (gridX, ⌈rows/gridX⌉). Two-pass mean/variance.
// HAS_RESIDUAL, v = value(i) and the two-pass mean / rstd (rowMeanRstd): lib/layer-norm-row.wgsl.
// #include lib/layer-norm-row.wgsl

struct Params { rows: u32, cols: u32, eps: f32, gridX: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> residual: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wg.y * params.gridX + wg.x;
  if (r >= params.rows) { return; }
  let cols = params.cols;
  let base = r * cols;
  let st = rowMeanRstd(base, cols, lid);
  let mean = st.x;
  let inv = st.y;
  for (var c = lid; c < cols; c += 256u) {
    out[base + c] = (value(base + c) - mean) * inv * gamma[c] + beta[c];
  }
}
