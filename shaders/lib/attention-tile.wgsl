// Shared by attention.wgsl and the two attentionBackward passes (attention-backward.wgsl, attention-backward-kv.wgsl):
// the uniform, the workgroup of BQ rows × LANES lanes, the padded tile pool, staging from qkv, the lane dot products
// and the ALiBi score. The kernel declares `qkv` (array<f32>, [nnz, 3·H]) and `params` (Params).
// Workgroup memory here: pool 3392 + ps 528 words. pool = a block of BQ rows [BQ][D+1] then one tile [bk][D+1];
// rows padded to D+1 so the 8 lanes of a row (which read 8 different tile rows at the same d) hit 8 different banks.
struct Params { heads: u32, headDim: u32, scale: f32, gridX: u32, blocks: u32 }

const BQ = 16u;     // rows (queries, or keys in the kv pass) per workgroup (src/backend/webgpu/kernels/attention.ts: BQ)
const LANES = 8u;   // threads per row
const WG = 128u;    // BQ · LANES
const BK = 32u;     // most tile rows per tile (LANES · 4 score registers)
const MAX_D = 128u; // the largest head dim (src/backend/webgpu/kernels/attention*.ts: MAX_HEAD_DIM)
const POOL = 3392u;
const PS = BK + 1u; // ps row stride: the 4 rows of a 32-thread warp read 4 different banks
var<workgroup> pool: array<f32, POOL>;
var<workgroup> ps: array<f32, BQ * PS>; // one value per (row, tile row) of the current tile
alias DimAcc = array<f32, MAX_D / LANES>; // a lane's accumulators over the dims: lane, lane + 8, …

// pool[dst + j·(D+1) + d] = qkv[row0 + j, col + d] for j < n, d < D; thread t starts at element t, steps by WG.
fn stageQkv(dst: u32, row0: u32, col: u32, n: u32, lid: u32) {
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

// Dot products of row r of the row block with the tile's rows lane, lane + 8, … (clamped to its nt rows; ni in use).
fn dots(r: u32, tile: u32, nt: u32, lane: u32, ni: u32) -> array<f32, BK / LANES> {
  let D = params.headDim;
  let DP = D + 1u;
  var s: array<f32, BK / LANES>;
  var trow: array<u32, BK / LANES>;
  for (var i = 0u; i < BK / LANES; i++) { // explicit zeros: Dawn + lavapipe did not re-zero a loop-body `var` per trip
    s[i] = 0.0;
    trow[i] = tile + min(lane + i * LANES, nt - 1u) * DP;
  }
  for (var d = 0u; d < D; d++) {
    let rd = pool[r * DP + d];
    for (var i = 0u; i < BK / LANES; i++) {
      if (i < ni) { s[i] = fma(rd, pool[trow[i] + d], s[i]); }
    }
  }
  return s;
}

// The ALiBi score of query qi and key kj from their dot product q·k.
fn alibiScore(qk: f32, slope: f32, qi: u32, kj: u32) -> f32 {
  return qk * params.scale - slope * abs(f32(qi) - f32(kj));
}
