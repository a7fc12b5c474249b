// attentionBackward, pass 1 of 2 (per query row): the softmax statistics and dq. Same layout and options as
// attention.wgsl (no key mask); pass 2 is attention-backward-kv.wgsl (dk, dv), which reads the statistics.
// Bindings: 0 qkv [nnz, 3·H] · 1 out = the forward's ctx [nnz, H] · 2 gradOut [nnz, H]
//           3 blocks: vec4u (seqStart, seqLen, qStart, 0), one per BQ=16 queries of a sequence · 4 slopes [heads]
//           5 stats [nnz·heads] vec4f (m_i, 1/denom_i, D_i, 0), written · 6 gradQkv [nnz, 3·H] (its q columns) · 7 params.
// Dispatch: (gridX, ⌈blocks/gridX⌉, heads) workgroups of 128 = 16 queries × 8 lanes; lane ℓ of query r scores keys
// ℓ, ℓ+8, … of each key tile and owns dims ℓ, ℓ+8, … of dq (as attention.wgsl owns its output dims).
//   D_i = gradOut_i · ctx_i (8 lane partials, summed in lane order).
//   Sweep 1 over key tiles, exactly the forward's scores and online max / sum: m_i, denom_i = Σ exp(s − m) (+ exp(−m)
//     for softmax1), inv_i = 1/denom_i (0 when the row sum is 0 or exp(−m) overflows, as the forward).
//   Sweep 2 over key tiles: stage gradOut rows and V → gp = gradOut_i · v_j; stage Q and K → the same scores,
//     P_ij = exp(s − m_i)·inv_i, dS_ij = P_ij (gp − D_i)/√d into `ps`; dq_i += dS_ij k_j (K still staged).
// No L×L buffer, no atomics; every dq element is written once.
// Params, the tile constants, pool, ps, DimAcc, stageQkv, dots, alibiScore: lib/attention-tile.wgsl; SOFTMAX1, NEG, red,
// the lane max / sum / denominator: lib/attention-softmax.wgsl; stageGrad, softmaxP, dScore, accumulateTile:
// lib/attention-grad.wgsl.
// #include lib/attention-tile.wgsl
// #include lib/attention-softmax.wgsl
// #include lib/attention-grad.wgsl

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> out: array<f32>;
@group(0) @binding(2) var<storage, read> gradOut: array<f32>;
@group(0) @binding(3) var<storage, read> blocks: array<vec4u>;
@group(0) @binding(4) var<storage, read> slopes: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> gradQkv: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

// Workgroup memory, 16192 of the default 16384 bytes: pool 3392 + ps 528 + red 128 words. pool = one row block of
// BQ rows [BQ][D+1] (Q or gradOut) then one key tile [bk][D+1] (K or V); ps = dS of the current tile, [query][key].

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
  let tile = BQ * DP;
  let bk = min(BK, (POOL - tile) / DP);
  let ni = (bk + LANES - 1u) / LANES;
  let nd = (D + LANES - 1u) / LANES;
  let r = lid / LANES;
  let lane = lid % LANES;
  let qi = blk.z + r;
  let nq = min(BQ, n - blk.z);
  let row = blk.x + qi;
  let slope = slopes[h];

  // D_i = gradOut_i · ctx_i
  var dp = 0.0;
  if (qi < n) {
    let o = row * H + h * D;
    for (var i = 0u; i < MAX_D / LANES; i++) {
      let d = lane + i * LANES;
      if (d < D) { dp = fma(gradOut[o + d], out[o + d], dp); }
    }
  }
  let Di = laneSum(dp, lid, r);
  workgroupBarrier();

  // Sweep 1: the forward's max and denominator.
  stageQkv(0u, blk.x + blk.z, h * D, nq, lid);
  var m = NEG;
  var l = 0.0;
  for (var kt = 0u; kt < n; kt += bk) {
    let nk = min(bk, n - kt);
    stageQkv(tile, blk.x + kt, H + h * D, nk, lid);
    workgroupBarrier();
    var s = dots(r, tile, nk, lane, ni);
    var tmax = NEG;
    for (var i = 0u; i < BK / LANES; i++) {
      let c = lane + i * LANES;
      if (i < ni && c < nk) {
        s[i] = alibiScore(s[i], slope, qi, kt + c);
        tmax = max(tmax, s[i]);
      }
    }
    let mn = laneMax(m, tmax, lid, r);
    l *= exp(m - mn);
    m = mn;
    for (var i = 0u; i < BK / LANES; i++) {
      let c = lane + i * LANES;
      if (i < ni && c < nk) { l += exp(s[i] - mn); }
    }
    workgroupBarrier(); // the next tile overwrites the key tile and red
  }
  let inv = softmaxInv(laneSum(l, lid, r), m);
  if (qi < n && lane == 0u) { stats[row * params.heads + h] = vec4f(m, inv, Di, 0.0); }

  // Sweep 2: dS and dq.
  var acc: DimAcc;
  for (var i = 0u; i < MAX_D / LANES; i++) { acc[i] = 0.0; }
  for (var kt = 0u; kt < n; kt += bk) {
    let nk = min(bk, n - kt);
    workgroupBarrier(); // everyone is done with pool (and red, above) before it is restaged
    stageGrad(0u, blk.x + blk.z, h * D, nq, lid);
    stageQkv(tile, blk.x + kt, 2u * H + h * D, nk, lid);
    workgroupBarrier();
    let gp = dots(r, tile, nk, lane, ni);
    workgroupBarrier();
    stageQkv(0u, blk.x + blk.z, h * D, nq, lid);
    stageQkv(tile, blk.x + kt, H + h * D, nk, lid);
    workgroupBarrier();
    let s = dots(r, tile, nk, lane, ni);
    for (var i = 0u; i < BK / LANES; i++) {
      let c = lane + i * LANES;
      if (i < ni && c < nk) {
        ps[r * PS + c] = dScore(softmaxP(s[i], slope, qi, kt + c, m, inv), gp[i], Di);
      }
    }
    workgroupBarrier();
    accumulateTile(&acc, r, tile, nk, lane, nd); // dq_i += Σ_j dS_ij k_j (K still staged)
  }
  if (qi < n) {
    let o = row * 3u * H + h * D;
    for (var i = 0u; i < MAX_D / LANES; i++) {
      let d = lane + i * LANES;
      if (d < D) { gradQkv[o + d] = acc[i]; }
    }
  }
}
