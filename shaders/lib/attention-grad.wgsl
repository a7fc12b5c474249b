// Shared by the two attentionBackward passes (attention-backward.wgsl: dq; attention-backward-kv.wgsl: dk, dv):
// staging gradOut rows, the softmax probability and dS from the forward's statistics, and the tile accumulation.
// Needs lib/attention-tile.wgsl; the kernel declares `gradOut` (array<f32>, [nnz, H]).

// pool[dst + j·(D+1) + d] = gradOut[row0 + j, col + d] for j < n, d < D (as stageQkv).
fn stageGrad(dst: u32, row0: u32, col: u32, n: u32, lid: u32) {
  let D = params.headDim;
  let stride = params.heads * D;
  let sj = WG / D; let sd = WG % D;
  var j = lid / D; var d = lid % D;
  while (j < n) {
    pool[dst + j * (D + 1u) + d] = gradOut[(row0 + j) * stride + col + d];
    j += sj; d += sd;
    if (d >= D) { d -= D; j++; }
  }
}

// P_ij = exp(s − m_i)·inv_i, s the forward's score of query qi and key kj from q·k, m_i and inv_i = 1/denom_i its row's.
fn softmaxP(qk: f32, slope: f32, qi: u32, kj: u32, m: f32, inv: f32) -> f32 {
  return exp(alibiScore(qk, slope, qi, kj) - m) * inv;
}

// dS_ij = P_ij (gradOut_i · v_j − D_i)/√d.
fn dScore(p: f32, gp: f32, Di: f32) -> f32 {
  return p * (gp - Di) * params.scale;
}

// acc[i] += Σ_c ps[r][c] · pool[tile + c·(D+1) + lane + i·LANES] over the tile's n rows in order, for the dims
// lane + i·LANES < D (i < nd).
fn accumulateTile(acc: ptr<function, DimAcc>, r: u32, tile: u32, n: u32, lane: u32, nd: u32) {
  let D = params.headDim;
  let DP = D + 1u;
  for (var c = 0u; c < n; c++) {
    let w = ps[r * PS + c];
    let tb = tile + c * DP + lane;
    for (var i = 0u; i < MAX_D / LANES; i++) {
      if (i < nd && lane + i * LANES < D) { (*acc)[i] = fma(w, pool[tb + i * LANES], (*acc)[i]); }
    }
  }
}
