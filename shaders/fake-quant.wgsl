// fakeQuant: each row of x quantized to `levels` steps and back, bit for bit as formats.ts fakeQuantRows defines it:
// asymmetric: scale = fl((hi − lo) / L), zero = rhe(fl(−lo / scale)), q = clamp(rhe(fl(x / scale)) + zero, 0, L);
// symmetric (override SYMMETRIC): scale = fl(max|x| / L), q = clamp(rhe(fl(x / scale)), ±L), zero = 0;
// then x' = fl((q − zero)·scale).
// WGSL's x / y may be 2.5 ulp off, so the quotients are correctly rounded by long division where it matters (as in
// quantize-rows.wgsl); rhe = round half to even, WGSL round(). A row with scale 0 (constant / all zero) is copied.
// Bindings: 0 x [rows·cols] f32 · 1 out [rows·cols] f32 · 2 params.
// Dispatch: one 256-thread workgroup per row, rows folded as (gridX, ⌈rows/gridX⌉).
// Exact for normal f32 inputs with normal scales and |zero| < 2^24 − 256; GPUs may flush subnormals; NaN rows differ.
struct Params { rows: u32, cols: u32, gridX: u32, levels: u32, hasRange: u32, lo: f32, hi: f32 }

override SYMMETRIC: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// #include lib/reduce.wgsl

// #include lib/exact-div.wgsl

// fl(a / s) for positive normal a, s: Q = ⌊A·2^p / S⌋ with 25 bits (24 and a guard bit; the remainder is the
// sticky bit) rounds, nearest-even, to sig · 2^e. Outside the normal range it falls back to a / s.
fn exactDiv(a: f32, s: f32) -> f32 {
  let d = divideSignificands(a, s);
  let odd = (d.q & 2u) != 0u;
  let sig = (d.q >> 1u) + select(0u, 1u, (d.q & 1u) == 1u && (d.rem != 0u || odd));
  let e = biasedExp(a) - biasedExp(s) - i32(d.p) + 1;
  if (e < -149 || e > 103) { return a / s; }
  // Built from its bits (biased exponent e + 150); sig = 2^24 carries into the exponent. No ldexp of a subnormal 2^e.
  return bitcast<f32>((u32(e + 150) << 23u) + sig - 0x800000u);
}

// rhe(fl(v / s)) for s > 0. The f32 quotient d is within 2.5 ulp of v / s, so within 3 ulp (< 2^-12 below 1024) of
// fl(v / s): unless d is within 2^-12 of a half-integer, both round to the same integer. Otherwise (rare inside a
// row's range; always for |d| ≥ 1024, an asymmetric row far from 0) the exact division decides.
fn roundQuotient(v: f32, s: f32) -> f32 {
  let a = abs(v);
  let d = a / s;
  var r: f32;
  if ((d < 1024.0 && abs(d - (floor(d) + 0.5)) > 1.0 / 4096.0) || biasedExp(a) == 0 || biasedExp(s) == 0) {
    r = round(d);
  } else {
    r = round(exactDiv(a, s));
  }
  return select(r, -r, v < 0.0);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wg.y * params.gridX + wg.x;
  if (r >= params.rows) { return; }
  let cols = params.cols;
  let base = r * cols;
  // WGSL has no infinity literal: each invocation starts from an element of the row (neutral for min and max).
  var lo = x[base + min(lid, cols - 1u)];
  var hi = lo;
  for (var c = lid; c < cols; c += 256u) { let v = x[base + c]; lo = min(lo, v); hi = max(hi, v); }
  hi = workgroupMax(hi, lid);
  lo = -workgroupMax(-lo, lid); // min as max of the negations (exact), sharing reduce.wgsl's one buffer
  // A static per-tensor range (calibration) replaces the row's own; the reductions above stay in uniform control flow.
  if (params.hasRange != 0u) { lo = params.lo; hi = params.hi; }
  let levels = f32(params.levels);
  // The sign of a zero lo/hi cannot matter: it is lost in abs, in hi − lo, or in a zero point of value 0.
  let m = select(hi - lo, max(abs(lo), abs(hi)), SYMMETRIC);
  var scale = 0.0;
  if (m > 0.0) { scale = select(m / levels, exactDiv(m, levels), biasedExp(m) > 0); }
  if (!(scale > 0.0)) {
    for (var c = lid; c < cols; c += 256u) { out[base + c] = x[base + c]; }
    return;
  }
  let zero = select(roundQuotient(-lo, scale), 0.0, SYMMETRIC);
  let qlo = select(0.0, -levels, SYMMETRIC);
  for (var c = lid; c < cols; c += 256u) {
    // Integer-valued f32 steps: clamp(fl(a + b)) = clamp(a + b) (rounding is monotone; 0 and ±L are exact).
    let n = clamp(roundQuotient(x[base + c], scale) + zero, qlo, levels) - zero;
    // The reference's q − zero is never −0 (its clamp gives +0), so neither is its output; min/max may keep −0.
    out[base + c] = select(n * scale, 0.0, n == 0.0);
  }
}
