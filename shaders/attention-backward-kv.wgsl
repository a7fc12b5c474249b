// attentionBackward, pass 2 of 2 (per key row): dk and dv, from attention-backward.wgsl's per-query statistics.
// Bindings: 0 qkv [nnz, 3·H] · 1 gradOut [nnz, H] · 2 blocks: vec4u (seqStart, seqLen, kStart, 0), one per BQ=16
//           keys of a sequence · 3 slopes [heads] · 4 stats [nnz·heads] vec4f (m_i, 1/denom_i, D_i, 0)
//           5 gradQkv [nnz, 3·H] (its k and v columns) · 6 params.
// Dispatch: (gridX, ⌈blocks/gridX⌉, heads) workgroups of 128 = 16 keys × 8 lanes; lane ℓ of key r takes queries
// ℓ, ℓ+8, … of each query tile and owns dims ℓ, ℓ+8, … of dk and dv. Per query tile:
//   stage K (own rows), Q (tile) and the tile's stats → the forward's scores (the same products in the same order),
//     P_ij = exp(s − m_i)·inv_i;
//   stage V (own), gradOut (tile) → gp = gradOut_i · v_j, dS_ij = P_ij (gp − D_i)/√d; dv_j += P_ij gradOut_i;
//   restage Q (tile) → dk_j += dS_ij q_i.
// No atomics: each dk / dv element is summed by one invocation over the queries in order, and written once.
// Params, the tile constants (BQ keys per workgroup, BK most queries per tile), pool, ps, DimAcc, stageQkv, dots,
// alibiScore: lib/attention-tile.wgsl; stageGrad, softmaxP, dScore, accumulateTile: lib/attention-grad.wgsl.
// #include lib/attention-tile.wgsl
// #include lib/attention-grad.wgsl

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> gradOut: array<f32>;
@group(0) @binding(2) var<storage, read> blocks: array<vec4u>;
@group(0) @binding(3) var<storage, read> slopes: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> gradQkv: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

// Workgroup memory, 16192 of the default 16384 bytes: pool 3392 + ps 528 + st 128 words. pool = the own key rows
// [BQ][D+1] (K or V) then one query tile [bt][D+1] (Q or gradOut); ps = P, then dS, of the current tile, [key][query].
var<workgroup> st: array<vec4f, BK>;    // the tile's query statistics

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wg.y * params.gridX + wg.x;
  if (b >= params.blocks) { return; }
  let blk = blocks[b];
  let h = wg.z;
  let D = params.headDim;
  let DP = D + 1u;
  let H = params.heads * D;
  let n = blk.y;
  let tile = BQ * DP;
  let bt = min(BK, (POOL - tile) / DP);
  let ni = (bt + LANES - 1u) / LANES;
  let nd = (D + LANES - 1u) / LANES;
  let r = lid / LANES;
  let lane = lid % LANES;
  let kj = blk.z + r;
  let nown = min(BQ, n - blk.z);
  let slope = slopes[h];
  var dk: DimAcc;
  var dv: DimAcc;
  for (var i = 0u; i < MAX_D / LANES; i++) { dk[i] = 0.0; dv[i] = 0.0; }
  for (var qt = 0u; qt < n; qt += bt) {
    let nt = min(bt, n - qt);
    stageQkv(0u, blk.x + blk.z, H + h * D, nown, lid);
    stageQkv(tile, blk.x + qt, h * D, nt, lid);
    if (lid < nt) { st[lid] = stats[(blk.x + qt + lid) * params.heads + h]; }
    workgroupBarrier();
    let s = dots(r, tile, nt, lane, ni);
    var p: array<f32, BK / LANES>;
    for (var i = 0u; i < BK / LANES; i++) {
      let c = lane + i * LANES;
      p[i] = 0.0;
      if (i < ni && c < nt) {
        let q = st[c];
        p[i] = softmaxP(s[i], slope, qt + c, kj, q.x, q.y);
      }
    }
    workgroupBarrier();
    stageQkv(0u, blk.x + blk.z, 2u * H + h * D, nown, lid);
    stageGrad(tile, blk.x + qt, h * D, nt, lid);
    workgroupBarrier();
    let gp = dots(r, tile, nt, lane, ni);
    var ds: array<f32, BK / LANES>;
    for (var i = 0u; i < BK / LANES; i++) {
      let c = lane + i * LANES;
      ds[i] = 0.0;
      if (i < ni && c < nt) {
        ds[i] = dScore(p[i], gp[i], st[c].z);
        ps[r * PS + c] = p[i];
      }
    }
    workgroupBarrier();
    accumulateTile(&dv, r, tile, nt, lane, nd); // dv_j += Σ_i P_ij gradOut_i
    workgroupBarrier();
    for (var i = 0u; i < BK / LANES; i++) {
      let c = lane + i * LANES;
      if (i < ni && c < nt) { ps[r * PS + c] = ds[i]; }
    }
    stageQkv(tile, blk.x + qt, h * D, nt, lid);
    workgroupBarrier();
    accumulateTile(&dk, r, tile, nt, lane, nd); // dk_j += Σ_i dS_ij q_i
    workgroupBarrier(); // the next tile restages pool, ps and st
  }
  if (kj < n) {
    let o = (blk.x + kj) * 3u * H + h * D;
    for (var i = 0u; i < MAX_D / LANES; i++) {
      let d = lane + i * LANES;
      if (d < D) {
        gradQkv[o + H + d] = dk[i];
        gradQkv[o + 2u * H + d] = dv[i];
      }
    }
  }
}
