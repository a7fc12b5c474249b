// Exact-erf GELU in f32 (WGSL has no erf). erf from N. Juffa's minimax fits (≤ 1 ulp in C with FMA);
// max |erf error| 5.6e-8 on [-8, 8] (f32 emulated in JS vs float64 erf, step 1e-4). For large negative x,
// GELU takes erfc = exp(r) directly, so 1 + erf(x) does not cancel.

// erfc(t) for t ≥ 0.927734375 (as exp(r)), i.e. 1 − erf(t).
fn erfcLarge(t: f32) -> f32 {
  let s = t * t;
  var r = fma(-1.72853470e-5, t, 3.83197126e-4);
  let u = fma(-3.88396438e-3, t, 2.42546219e-2);
  r = fma(r, s, u);
  r = fma(r, t, -1.06777877e-1);
  r = fma(r, t, -6.34846687e-1);
  r = fma(r, t, -1.28717512e-1);
  r = fma(r, t, -t);
  return exp(r);
}

// erf(a) for |a| < 0.927734375.
fn erfSmall(a: f32) -> f32 {
  let s = a * a;
  var r = -5.96761703e-4;
  r = fma(r, s, 4.99119423e-3);
  r = fma(r, s, -2.67681349e-2);
  r = fma(r, s, 1.12819925e-1);
  r = fma(r, s, -3.76125336e-1);
  r = fma(r, s, 1.28379166e-1);
  return fma(r, a, a);
}

// 0.5 · x · (1 + erf(x / √2)), PyTorch nn.GELU(approximate='none').
fn geluErf(x: f32) -> f32 {
  let a = x * 0.70710678118654752;
  let t = abs(a);
  if (t < 0.927734375) { return 0.5 * x * (1.0 + erfSmall(a)); }
  let c = erfcLarge(min(t, 10.0));
  if (a > 0.0) { return 0.5 * x * (2.0 - c); }
  return 0.5 * x * c;
}
