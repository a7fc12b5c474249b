// matmul: out[m, n] = alpha · op(a) · op(b) (+ out when ACCUMULATE), op(a) = a [m, k] or aᵀ of a [k, m] (TRANS_A),
// op(b) = b [k, n] or bᵀ of b [n, k] (TRANS_B); f32, row-major. The training GEMM (dW = dYᵀ·X, LoRA's x·Aᵀ, …).
// Bindings: 0 a · 1 b · 2 out (read_write) · 3 params.
// Dispatch: (⌈n/64⌉, ⌈m/64⌉, splits) workgroups of 16×16; each thread owns a 4×4 block of a 64×64 output tile,
// accumulated over k in 16-deep tiles staged in workgroup memory k-major (as linear.wgsl). Each operand's tile is
// loaded along its contiguous dimension (k for a / bᵀ, m for aᵀ, n for b), so global reads coalesce in all four
// layouts. Workgroup z sums k in [z·kChunk, min(k, (z + 1)·kChunk)).
// SPLIT (split-K, for few output tiles over a long k): out is a scratch [splits, m, n] that gets the raw partial
// sums, and shaders/matmul-reduce.wgsl adds them in z order and applies alpha (and the accumulate). Otherwise
// out = alpha·Σ (+ out). k = 0: out = 0, or unchanged when accumulating. Any m, n, k (bounds-checked).
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ACCUMULATE: bool = false;
override SPLIT: bool = false;

struct Params { m: u32, n: u32, k: u32, alpha: f32, kChunk: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// TM, TN, TK, the tiles tileA (op(a)) and tileB (op(b)) and the 4×4 accumulation: lib/gemm-tile.wgsl.
// #include lib/gemm-tile.wgsl

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let m = params.m; let n = params.n; let k = params.k;
  let row0 = wg.y * TM; let col0 = wg.x * TN;
  let k0 = wg.z * params.kChunk;
  let k1 = min(k, k0 + params.kChunk);
  var acc: TileAcc;
  for (var t = k0; t < k1; t += TK) {
    for (var q = 0u; q < 4u; q++) {
      let e = li + 256u * q;
      // op(a)[row0 + mm, t + kk] → tileA[kk][mm]
      var mm: u32; var kk: u32;
      if (TRANS_A) { kk = e / TM; mm = e % TM; } else { mm = e / TK; kk = e % TK; }
      var av = 0.0;
      if (row0 + mm < m && t + kk < k1) {
        if (TRANS_A) { av = a[(t + kk) * m + row0 + mm]; } else { av = a[(row0 + mm) * k + t + kk]; }
      }
      tileA[kk * TM + mm] = av;
      // op(b)[t + kk, col0 + nn] → tileB[kk][nn]
      var nn: u32;
      if (TRANS_B) { nn = e / TK; kk = e % TK; } else { kk = e / TN; nn = e % TN; }
      var bv = 0.0;
      if (col0 + nn < n && t + kk < k1) {
        if (TRANS_B) { bv = b[(col0 + nn) * k + t + kk]; } else { bv = b[(t + kk) * n + col0 + nn]; }
      }
      tileB[kk * TN + nn] = bv;
    }
    workgroupBarrier();
    tileMac(&acc, lid);
    workgroupBarrier();
  }
  let zo = wg.z * m * n;
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r >= m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x * 4u + j;
      if (c >= n) { break; }
      let o = r * n + c;
      if (SPLIT) { out[zo + o] = acc[i][j]; }
      else if (ACCUMULATE) { out[o] = fma(params.alpha, acc[i][j], out[o]); }
      else { out[o] = params.alpha * acc[i][j]; }
    }
  }
}
