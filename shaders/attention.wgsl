// attention: varlen ALiBi self-attention over a packed batch, flash-style (online softmax, no L×L buffer).
// Bindings: 0 qkv [nnz, 3·H] · 1 blocks: vec4u (seqStart, seqLen, qStart, 0), one per BQ=16 queries of a sequence
//           2 slopes [heads] · 3 keyMask: u32 per token (a dummy unless HAS_MASK) · 4 out [nnz, H] · 5 params.
// Dispatch: (gridX, ⌈blocks/gridX⌉, heads) workgroups of 128 = 16 queries × 8 lanes. Lane ℓ of query r scores
// keys ℓ, ℓ+8, … of each tile against Q (staged once) and owns output dims ℓ, ℓ+8, … (≤ 16 accumulators in
// registers). Per key tile: stage K → scores + lane max → row max, p = exp(s − m) to `ps`, stage V over K → P·V.
// softmax1 adds exp(−m) to the denominator; a row with no unmasked key → zeros.
// Params, the tile constants, pool, ps, DimAcc, stageQkv, dots, alibiScore: lib/attention-tile.wgsl; SOFTMAX1, NEG, red
// and the lane max / sum / denominator: lib/attention-softmax.wgsl.
// #include lib/attention-tile.wgsl
// #include lib/attention-softmax.wgsl
override HAS_MASK: bool = false;

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> blocks: array<vec4u>;
@group(0) @binding(2) var<storage, read> slopes: array<f32>;
@group(0) @binding(3) var<storage, read> keyMask: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

// Workgroup memory, 16320 of the default 16384 bytes: pool 3392 + ps 528 + red 128 + kok 32 words.
// pool = Q [BQ][D+1] then one K-or-V tile [bk][D+1] (lib/attention-tile.wgsl). K and V share the tile (V is staged
// once the scores are done), which doubles bk for the same memory: bk = 32 for D ≤ 64, 19 at D = 96, 10 at D = 128.
// Trade-off: a bigger tile means fewer barriers per key, but a bigger Q block (more queries per K/V load)
// would leave too few workgroups for one 512-token sequence on a 132-SM GPU (512/16 · 12 heads = 384 now).
// ps holds p = exp(s − m) of the current tile, [query][key]; red the per-lane partial max (per tile) and partial sum
// (at the end).
var<workgroup> kok: array<u32, BK>;     // key not masked

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
  stageQkv(0u, blk.x + blk.z, h * D, min(BQ, n - blk.z), lid); // rows past the sequence stay 0 (never written out)
  let slope = slopes[h];
  var m = NEG;
  var l = 0.0; // this lane's share of the row sum, on the same running max as the other lanes
  var acc: DimAcc;
  for (var kt = 0u; kt < n; kt += bk) {
    let nk = min(bk, n - kt);
    stageQkv(kvOff, blk.x + kt, H + h * D, nk, lid);
    if (lid < nk) {
      var v = 1u;
      if (HAS_MASK) { v = keyMask[blk.x + kt + lid]; }
      kok[lid] = v;
    }
    workgroupBarrier();
    var s = dots(r, kvOff, nk, lane, ni);
    var tmax = NEG;
    var ok = 0u;
    for (var i = 0u; i < BK / LANES; i++) {
      let c = lane + i * LANES;
      if (i < ni && c < nk && kok[c] != 0u) {
        s[i] = alibiScore(s[i], slope, qi, kt + c);
        tmax = max(tmax, s[i]);
        ok |= 1u << i;
      }
    }
    let mn = laneMax(m, tmax, lid, r);
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
    stageQkv(kvOff, blk.x + kt, 2u * H + h * D, nk, lid); // V over K: every lane is past its scores
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
  let lt = laneSum(l, lid, r);
  if (qi < n) {
    let inv = softmaxInv(lt, m);
    let o = (blk.x + qi) * H + h * D;
    for (var i = 0u; i < MAX_D / LANES; i++) {
      let d = lane + i * LANES;
      if (d < D) { out[o + d] = acc[i] * inv; }
    }
  }
}
