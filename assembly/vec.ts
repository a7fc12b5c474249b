// Vector helpers shared by every kernel: fused multiply-add (relaxed SIMD when the build has it), exp, erf, gelu, tanh.
// exp and erf are float32 approximations checked against the float64 reference in test/wasm-backend.test.ts.

/** acc + a·b. The relaxed build lowers to a hardware FMA; the plain build to mul + add. */
@inline export function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Horizontal max (lanes are never NaN here). */
@inline export function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** e^x, about 1 ulp (Cephes expf): x = n·ln2 + r, |r| ≤ ln2/2, degree-6 polynomial, 2^n built in the exponent bits.
 *  Inputs are clamped to [−87.3, 88] (every caller passes x ≤ 88); below −87.3 (and −inf) the result is exactly 0.
 *  Rounding by adding 1.5·2^23 leaves n in the low mantissa bits (no floor/trunc_sat, which V8 expands on x64),
 *  and pmin/pmax are single instructions where min/max must handle NaN and −0. */
export function exp4(x: v128): v128 {
  const lo = f32x4.splat(-87.33654);
  const under = f32x4.lt(x, lo);
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(88)), lo);
  const magic = f32x4.splat(12582912); // 1.5·2^23
  const t = madd(x, f32x4.splat(1.44269504088896341), magic);
  const n = f32x4.sub(t, magic);
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  p = madd(p, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)));
  // t's bits = bits(1.5·2^23) + n, and bits(1.5·2^23) << 23 wraps to 0: (t << 23) + (127 << 23) = bits of 2^n.
  const scale = i32x4.add(i32x4.shl(t, 23), i32x4.splat(0x3f800000));
  return v128.andnot(f32x4.mul(p, scale), under);
}

// erf: |x| < 1: x + x·P(x²); 1 ≤ |x| < 4: 1 − e^(−x²)·Q(1/x); beyond: ±1 (erfc(4) = 1.5e-8).
// Least-squares fits (scripts in the issue-3 notes) evaluated in float32: max |err| 5.7e-8 vs float64 erf (test/wasm-backend.test.ts).
export function erf4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const t = f32x4.mul(ax, ax);
  let p = f32x4.splat(0.00007933398592285812);
  p = madd(p, t, f32x4.splat(-0.0008034820202738047));
  p = madd(p, t, f32x4.splat(0.00519121577963233));
  p = madd(p, t, f32x4.splat(-0.02685539796948433));
  p = madd(p, t, f32x4.splat(0.11283625662326813));
  p = madd(p, t, f32x4.splat(-0.3761262893676758));
  p = madd(p, t, f32x4.splat(0.12837916612625122));
  const r1 = madd(ax, p, ax);
  const small = f32x4.lt(ax, f32x4.splat(1));
  // Most activations fall in the first range: skip the e^(−x²) branch when all four lanes do.
  if (i32x4.all_true(small)) return v128.or(r1, v128.and(x, i32x4.splat(0x80000000)));
  const u = f32x4.div(f32x4.splat(1), f32x4.pmax(ax, f32x4.splat(1)));
  let q = f32x4.splat(0.028217963874340057);
  q = madd(q, u, f32x4.splat(-0.16583316028118134));
  q = madd(q, u, f32x4.splat(0.4047321677207947));
  q = madd(q, u, f32x4.splat(-0.4909265339374542));
  q = madd(q, u, f32x4.splat(0.19876639544963837));
  q = madd(q, u, f32x4.splat(0.2524450123310089));
  q = madd(q, u, f32x4.splat(-0.3838171362876892));
  q = madd(q, u, f32x4.splat(0.022324886173009872));
  q = madd(q, u, f32x4.splat(0.561540424823761));
  q = madd(q, u, f32x4.splat(0.00013353824033401906));
  const r2 = f32x4.sub(f32x4.splat(1), f32x4.mul(exp4(f32x4.neg(t)), q));
  let r = v128.bitselect(r1, r2, small);
  r = v128.bitselect(f32x4.splat(1), r, f32x4.ge(ax, f32x4.splat(4)));
  // copysign(r, x)
  return v128.or(r, v128.and(x, i32x4.splat(0x80000000)));
}

/** GELU, exact erf form: 0.5·x·(1 + erf(x/√2)). */
@inline export function gelu4(x: v128): v128 {
  const e = erf4(f32x4.mul(x, f32x4.splat(0.7071067811865476)));
  return f32x4.mul(f32x4.mul(x, f32x4.splat(0.5)), f32x4.add(f32x4.splat(1), e));
}

/** tanh(x) = sign(x)·(1 − 2/(e^(2|x|) + 1)); absolute error ~1e-7 (small |x| loses relative, not absolute, accuracy). */
export function tanh4(x: v128): v128 {
  const e = exp4(f32x4.mul(f32x4.abs(x), f32x4.splat(2)));
  const r = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  return v128.or(r, v128.and(x, i32x4.splat(0x80000000)));
}

/** Scalar exp through the vector path (one lane). */
@inline export function expf1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}
