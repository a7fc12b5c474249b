// Correctly rounded f32 division by integers (WGSL's x / y may be 2.5 ulp off): quantize-rows.wgsl and
// fake-quant.wgsl decide roundings with it.
// A positive normal f32 is significand(v) · 2^(biasedExp(v) − 150), the significand a 24-bit integer.
fn significand(v: f32) -> u32 { return (bitcast<u32>(v) & 0x7fffffu) | 0x800000u; }
fn biasedExp(v: f32) -> i32 { return i32(bitcast<u32>(v) >> 23u); }

// Long division of the significands of normal a, s > 0: Q = ⌊A·2^p / S⌋ with 25 bits (24 and a guard bit), p = 24 or
// 25, and the remainder (its sticky bit). a / s ≈ Q · 2^(biasedExp(a) − biasedExp(s) − p).
struct Quotient { q: u32, rem: u32, p: u32 }
fn divideSignificands(a: f32, s: f32) -> Quotient {
  let A = significand(a);
  let S = significand(s);
  var q = select(0u, 1u, A >= S);
  var rem = A - q * S;
  let p = select(25u, 24u, q == 1u);
  for (var i = 0u; i < p; i++) {
    rem <<= 1u;
    let bit = rem >= S;
    rem -= select(0u, S, bit);
    q = (q << 1u) | select(0u, 1u, bit);
  }
  return Quotient(q, rem, p);
}
