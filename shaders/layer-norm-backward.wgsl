// layerNormBackward: gradX = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂)) with g = gradOut ⊙ gamma, v = x (+ residual),
// x̂ = (v − mean) · rstd, rstd = 1/√(var + eps) (biased variance, two-pass as layer-norm.wgsl), per row.
// Bindings: 0 x [rows·cols] · 1 residual (a dummy unless HAS_RESIDUAL) · 2 gamma [cols] · 3 gradOut · 4 gradX · 5 params.
// Dispatch: one 256-thread workgroup per row, rows folded as (gridX, ⌈rows/gridX⌉). Four workgroup reductions.
// HAS_RESIDUAL, v = value(i) and the two-pass mean / rstd (rowMeanRstd): lib/layer-norm-row.wgsl.
// #include lib/layer-norm-row.wgsl

struct Params { rows: u32, cols: u32, eps: f32, gridX: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> residual: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> gradOut: array<f32>;
@group(0) @binding(4) var<storage, read_write> gradX: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wg.y * params.gridX + wg.x;
  if (r >= params.rows) { return; }
  let cols = params.cols;
  let base = r * cols;
  let st = rowMeanRstd(base, cols, lid);
  let mean = st.x;
  let rstd = st.y;
  var sg = 0.0;
  var sgx = 0.0;
  for (var c = lid; c < cols; c += 256u) {
    let g = gradOut[base + c] * gamma[c];
    sg += g;
    sgx = fma(g, (value(base + c) - mean) * rstd, sgx);
  }
  let mg = workgroupSum(sg, lid) / f32(cols);
  let mgx = workgroupSum(sgx, lid) / f32(cols);
  for (var c = lid; c < cols; c += 256u) {
    let g = gradOut[base + c] * gamma[c];
    let xh = (value(base + c) - mean) * rstd;
    gradX[base + c] = rstd * (g - mg - xh * mgx);
  }
}
