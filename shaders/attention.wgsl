// attention: varlen ALiBi self-attention over a packed batch, flash-style (online softmax, no L×L buffer).
// Bindings: 0 qkv [nnz, 3·H] · 1 blocks: vec4u (seqStart, seqLen, qStart, 0), one per BQ=16 queries of a sequence
//           2 slopes [heads] · 3 keyMask: u32 per token (a dummy unless HAS_MASK) · 4 out [nnz, H] · 5 params.
// Dispatch: (gridX, ⌈blocks/gridX⌉, heads) workgroups of 128 = 16 queries × 8 lanes. Lane ℓ of query r scores
// keys ℓ, ℓ+8, … of each tile against Q (staged once) and owns output dims ℓ, ℓ+8, … (≤ 16 accumulators in
// registers). Per key tile: stage K → scores + lane max → row max, p = exp(s − m) to `ps`, stage V over K → P·V.
// softmax1 adds exp(−m) to the denominator; a row with no unmasked key → zeros.
override SOFTMAX1: bool = false;
override HAS_MASK: bool = false;

struct Params { heads: u32, headDim: u32, scale: f32, gridX: u32, blocks: u32 }

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> blocks: array<vec4u>;
@group(0) @binding(2) var<storage, read> slopes: array<f32>;
@group(0) @binding(3) var<storage, read> keyMask: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

const BQ = 16u;     // queries per workgroup
const LANES = 8u;   // threads per query
const WG = 128u;    // BQ · LANES
const BK = 32u;     // most keys per tile (LANES · 4 score registers)
const MAX_D = 128u;
const NEG = -3.0e38;
// Workgroup memory, 16320 of the default 16384 bytes: pool 3392 + ps 528 + red 128 + kok 32 words.
// pool = Q [BQ][D+1] then one K-or-V tile [bk][D+1]; rows padded to D+1 so the 8 lanes of a query (which read
// 8 different key rows at the same d) hit 8 different banks. K and V share the tile (V is staged once the
// scores are done), which doubles bk for the same memory: bk = 32 for D ≤ 64, 19 at D = 96, 10 at D = 128.
// Trade-off: a bigger tile means fewer barriers per key, but a bigger Q block (more queries per K/V load)
// would leave too few workgroups for one 512-token sequence on a 132-SM GPU (512/16 · 12 heads = 384 now).
const POOL = 3392u;
const PS = BK + 1u; // ps row stride: the 4 queries of a 32-thread warp read 4 different banks
var<workgroup> pool: array<f32, POOL>;
var<workgroup> ps: array<f32, BQ * PS>; // p = exp(s − m) of the current tile, [query][key]
var<workgroup> red: array<f32, WG>;     // per-lane partial max (per tile) and partial sum (at the end)
var<workgroup> kok: array<u32, BK>;     // key not masked

// pool[dst + j·(D+1) + d] = qkv[row0 + j, col + d] for j < n, d < D; thread t starts at element t, steps by WG.
fn stage(dst: u32, row0: u32, col: u32, n: u32, lid: u32) {
  let D = params.headDim;
  let stride = 3u * params.heads * D;
  let sj = WG / D; let sd = WG % D;
  var j = lid / D; var d = lid % D;
  while (j < n) {
    pool[dst + j * (D + 1u) + d] = qkv[(row0 + j) * stride + col + d];
    j += sj; d += sd;
    if (d >= D) { d -= D; j++; }
  }
}

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wg.y * params.gridX + wg.x;
  if (b >= params.blocks) { return; } // the folded grid's tail
  let blk = blocks[b];
  let h = wg.z;
  let D = params.headDim;
  let DP = D + 1u;
  let H = params.heads * D;
  let n = blk.y;
  let kvOff = BQ * DP;
  let bk = min(BK, (POOL - kvOff - LANES) / DP); // − LANES: slack for the d ≥ D overrun of the last P·V lanes
  let ni = (bk + LANES - 1u) / LANES;            // score registers in use
  let nd = (D + LANES - 1u) / LANES;             // accumulators in use
  let r = lid / LANES;
  let lane = lid % LANES;
  let qi = blk.z + r;
  stage(0u, blk.x + blk.z, h * D, min(BQ, n - blk.z), lid); // rows past the sequence stay 0 (never written out)
  let slope = slopes[h];
  var m = NEG;
  var l = 0.0; // this lane's share of the row sum, on the same running max as the other lanes
  var acc: array<f32, MAX_D / LANES>;
  for (var kt = 0u; kt < n; kt += bk) {
    let nk = min(bk, n - kt);
    stage(kvOff, blk.x + kt, H + h * D, nk, lid);
    if (lid < nk) {
      var v = 1u;
      if (HAS_MASK) { v = keyMask[blk.x + kt + lid]; }
      kok[lid] = v;
    }
    workgroupBarrier();
    var s: array<f32, BK / LANES>;
    var krow: array<u32, BK / LANES>;
    for (var i = 0u; i < BK / LANES; i++) { // explicit zeros: Dawn + lavapipe did not re-zero a loop-body `var` per trip
      s[i] = 0.0;
      krow[i] = kvOff + min(lane + i * LANES, nk - 1u) * DP;
    }
    for (var d = 0u; d < D; d++) {
      let qd = pool[r * DP + d];
      for (var i = 0u; i < BK / LANES; i++) {
        if (i < ni) { s[i] = fma(qd, pool[krow[i] + d], s[i]); }
      }
    }
    var tmax = NEG;
    var ok = 0u;
    for (var i = 0u; i < BK / LANES; i++) {
      let c = lane + i * LANES;
      if (i < ni && c < nk && kok[c] != 0u) {
        s[i] = s[i] * params.scale - slope * abs(f32(qi) - f32(kt + c));
        tmax = max(tmax, s[i]);
        ok |= 1u << i;
      }
    }
    red[lid] = tmax;
    workgroupBarrier();
    var mn = m;
    for (var t = 0u; t < LANES; t++) { mn = max(mn, red[r * LANES + t]); }
    let corr = exp(m - mn);
    m = mn;
    l *= corr;
    for (var i = 0u; i < BK / LANES; i++) {
      let c = lane + i * LANES;
      if (i < ni && c < nk) {
        let p = select(0.0, exp(s[i] - mn), (ok & (1u << i)) != 0u);
        l += p;
        ps[r * PS + c] = p;
      }
    }
    stage(kvOff, blk.x + kt, 2u * H + h * D, nk, lid); // V over K: every lane is past its scores
    workgroupBarrier();
    for (var i = 0u; i < MAX_D / LANES; i++) { if (i < nd) { acc[i] *= corr; } }
    for (var c = 0u; c < nk; c++) {
      let p = ps[r * PS + c];
      let vb = kvOff + c * DP + lane;
      for (var i = 0u; i < MAX_D / LANES; i++) {
        if (i < nd) { acc[i] = fma(p, pool[vb + i * LANES], acc[i]); }
      }
    }
    workgroupBarrier(); // the next tile overwrites pool, ps, red and kok
  }
  red[lid] = l;
  workgroupBarrier();
  if (qi < n) {
    var lt = 0.0;
    for (var t = 0u; t < LANES; t++) { lt += red[r * LANES + t]; }
    var denom = lt;
    if (SOFTMAX1) { denom += exp(-m); } // exp(−m) = inf when m < −88: the row is 0, as in float32 PyTorch
    let inv = select(0.0, 1.0 / denom, lt > 0.0);
    let o = (blk.x + qi) * H + h * D;
    for (var i = 0u; i < MAX_D / LANES; i++) {
      let d = lane + i * LANES;
      if (d < D) { out[o + d] = acc[i] * inv; }
    }
  }
}
