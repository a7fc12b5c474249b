// GELU's exact derivative in f32: gelu′(x) = Φ(x) + x·φ(x), Φ from lib/erf.wgsl's erf pieces (erfc = exp(r) for
// the tails, so Φ of large negative x does not cancel), φ(x) = exp(−x²/2)/√(2π).
// #include lib/erf.wgsl

// Φ(x) = 0.5·(1 + erf(x/√2)).
fn normCdf(x: f32) -> f32 {
  let a = x * 0.70710678118654752;
  let t = abs(a);
  if (t < 0.927734375) { return 0.5 * (1.0 + erfSmall(a)); }
  let c = erfcLarge(min(t, 10.0));
  if (a > 0.0) { return 1.0 - 0.5 * c; }
  return 0.5 * c;
}

fn geluErfGrad(x: f32) -> f32 {
  return fma(x * 0.39894228040143268, exp(-0.5 * x * x), normCdf(x));
}
