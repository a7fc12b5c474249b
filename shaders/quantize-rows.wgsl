// quantizeRows: W8A8's activation step (linear with q8 weights, see linear-q8.wgsl), exactly as formats.ts
// quantizeRows defines it: per row of x, s = max|x| / 127 and q = clamp(round_half_even(x / s), ±127) (all 0 when
// s = 0), both divisions correctly rounded f32 like the reference's. WGSL's x / y may be 2.5 ulp off, so s comes
// from an integer division (rowScale) and q from the f32 quotient only when no half-integer is near it (quantize).
// params.scale > 0 is a static activation scale (WeightArg.inputScale): every row takes it, values beyond ±127·s
// clamp to ±127; 0 is the dynamic per-row scale. A uniform, not a variant: one pipeline serves every weight.
// Bindings: 0 x [rows·cols] f32 · 1 xq [rows·⌈cols/4⌉] u32: 4 int8 per word, element 4i + j in byte j of word i of
// its row, a row's last word padded with 0 · 2 xs [rows] f32 row scales · 3 params.
// Dispatch: one 256-thread workgroup per row, rows folded as (gridX, ⌈rows/gridX⌉).
// Exact for normal f32 inputs whose row scale is normal (max|x| ≥ 127·2^-126); GPUs may flush subnormals anyway.
struct Params { rows: u32, cols: u32, gridX: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> xq: array<u32>;
@group(0) @binding(2) var<storage, read_write> xs: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// #include lib/reduce.wgsl

// #include lib/exact-div.wgsl

// n / 2^sh rounded to an integer, nearest, ties to even (1 ≤ sh ≤ 31); `sticky`: n lost nonzero bits below it.
fn roundShift(n: u32, sh: u32, sticky: bool) -> u32 {
  let q = n >> sh;
  let rest = n & ((1u << sh) - 1u);
  let half = 1u << (sh - 1u);
  return q + select(0u, 1u, rest > half || (rest == half && (sticky || (q & 1u) == 1u)));
}

// m / 127 correctly rounded to f32: with M = significand(m), M·2^8 < 2^32 and ⌊M·2^8 / 127⌋ has 25 or 26 bits,
// rounded to 24 (the remainder is the sticky bit); scaling by a power of two is exact.
fn rowScale(m: f32) -> f32 {
  if (m == 0.0) { return 0.0; }
  if (biasedExp(m) == 0) { return m / 127.0; } // subnormal max|x|: outside the exact range
  let num = significand(m) << 8u;
  let q = num / 127u;
  let sh = select(1u, 2u, q >= (1u << 25u));
  return ldexp(f32(roundShift(q, sh, num % 127u != 0u)), biasedExp(m) - 158 + i32(sh));
}

// round_half_even(fl(a / s)) for normal a, s > 0 by long division: Q = ⌊A·2^p / S⌋ with 25 bits (24 and a guard
// bit; the remainder is the sticky bit) rounds to fl(a / s) = sig · 2^-sh, which then rounds to an integer.
fn exactQuotientRound(a: f32, s: f32) -> u32 {
  let d = divideSignificands(a, s);
  let sig = roundShift(d.q, 1u, d.rem != 0u);
  let e = biasedExp(a) - biasedExp(s) - i32(d.p) + 1; // a / s ≈ sig · 2^e
  if (e >= 0) { return 127u; } // ≥ 2^23: clamped
  if (e < -25) { return 0u; } // sig ≤ 2^24: below 1/4
  return roundShift(sig, u32(-e), false);
}

// The int8 of v in a row with scale s > 0. The f32 quotient d is within 2.5 ulp of a / s, so within 3 ulp (< 2^-16
// below 128) of fl(a / s): unless d is within 2^-12 of a half-integer both round to the same integer, and round()
// is half-to-even too. Near one (rare), the exact division decides. d ≥ 128 (only with a static scale) clamps.
fn quantize(v: f32, s: f32) -> i32 {
  let a = abs(v);
  let d = a / s;
  var q: u32;
  if (d >= 128.0) {
    q = 127u;
  } else if (abs(d - (floor(d) + 0.5)) > 1.0 / 4096.0 || biasedExp(a) == 0 || biasedExp(s) == 0) {
    q = u32(round(d));
  } else {
    q = exactQuotientRound(a, s);
  }
  q = min(q, 127u);
  return select(i32(q), -i32(q), v < 0.0);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wg.y * params.gridX + wg.x;
  if (r >= params.rows) { return; }
  let cols = params.cols;
  let base = r * cols;
  var mx = 0.0;
  if (params.scale == 0.0) {
    for (var c = lid; c < cols; c += 256u) { mx = max(mx, abs(x[base + c])); }
  }
  // uniform control flow: every invocation reaches the barriers of workgroupMax whatever the scale
  let dynamic = rowScale(workgroupMax(mx, lid));
  let s = select(dynamic, params.scale, params.scale > 0.0);
  if (lid == 0u) { xs[r] = s; }
  let words = (cols + 3u) / 4u;
  for (var i = lid; i < words; i += 256u) {
    var packed = 0u;
    if (s > 0.0) {
      for (var j = 0u; j < 4u; j++) {
        let c = 4u * i + j;
        if (c < cols) { packed |= (bitcast<u32>(quantize(x[base + c], s)) & 0xffu) << (8u * j); }
      }
    }
    xq[r * words + i] = packed;
  }
}
