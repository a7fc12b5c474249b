// The row statistics of layer-norm.wgsl and layer-norm-backward.wgsl: v = x (+ residual), its mean and
// rstd = 1/√(var + eps) (biased variance, two passes). The kernel declares `x`, `residual` (a dummy unless
// HAS_RESIDUAL) and `params` (with eps); one 256-thread workgroup per row.
// #include lib/reduce.wgsl
override HAS_RESIDUAL: bool = false;

fn value(i: u32) -> f32 {
  if (HAS_RESIDUAL) { return x[i] + residual[i]; }
  return x[i];
}

// (mean, rstd) of the row of `cols` values from base. Uniform control flow only (workgroup reductions).
fn rowMeanRstd(base: u32, cols: u32, lid: u32) -> vec2f {
  var s = 0.0;
  for (var c = lid; c < cols; c += 256u) { s += value(base + c); }
  let mean = workgroupSum(s, lid) / f32(cols);
  var s2 = 0.0;
  for (var c = lid; c < cols; c += 256u) { let d = value(base + c) - mean; s2 = fma(d, d, s2); }
  return vec2f(mean, 1.0 / sqrt(workgroupSum(s2, lid) / f32(cols) + params.eps));
}
