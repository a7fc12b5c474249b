// The row softmax statistics of attention.wgsl and attention-backward.wgsl (pass 1 recomputes the forward's): the
// running row max and sum over key tiles, kept as one share per lane and combined across the row's 8 lanes through
// `red`, and the denominator. Needs lib/attention-tile.wgsl. The lane reductions hold a barrier: uniform control flow.
override SOFTMAX1: bool = false;

const NEG = -3.0e38;
var<workgroup> red: array<f32, WG>; // one value per lane

// max(m, the LANES values v of row r's lanes).
fn laneMax(m: f32, v: f32, lid: u32, r: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  var mn = m;
  for (var t = 0u; t < LANES; t++) { mn = max(mn, red[r * LANES + t]); }
  return mn;
}

// Σ of the LANES values v of row r's lanes, in lane order.
fn laneSum(v: f32, lid: u32, r: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  var s = 0.0;
  for (var t = 0u; t < LANES; t++) { s += red[r * LANES + t]; }
  return s;
}

// 1/denominator of a row with Σ exp(s − m) = lt: softmax1 adds exp(−m); 0 for a row whose sum is 0 (no unmasked key).
// exp(−m) = inf when m < −88: the row is 0, as in float32 PyTorch.
fn softmaxInv(lt: f32, m: f32) -> f32 {
  var denom = lt;
  if (SOFTMAX1) { denom += exp(-m); }
  return select(0.0, 1.0 / denom, lt > 0.0);
}
