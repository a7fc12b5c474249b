// linear: out[m, n] = x[m, k] · w[n, k]ᵀ (+ bias[n]) — tiled f32 GEMM, weights in PyTorch [out, in] layout.
// Bindings: 0 x [m·k] · 1 w [n·k] · 2 bias [n] (a dummy when HAS_BIAS is false) · 3 out [m·n] · 4 params.
// Dispatch: (⌈n/64⌉, ⌈m/64⌉, 1) workgroups of 16×16; each thread owns a 4×4 block of out. Any m, n, k (bounds-checked).
// Both operands are k-contiguous, so tiles are loaded along k (coalesced) and stored k-major in workgroup memory.
// #if W_F16
// linearF16 (W_F16): w is array<f16>, widened to f32 as the tile is loaded; needs shader-f16.
enable f16;
// #elif SCALES_F16
// linearQ4H (W_Q4 + SCALES_F16): linearQ4 whose group scales are IEEE halves (exactly the f32 values every other
// backend uses: Weight.fromEncoded stores them so only when they are), widened as they are read; needs shader-f16.
enable f16;
// #endif
// #if W_Q4
// linearQ4 (W_Q4): w is the q4 bytes as array<u32> (formats.ts: rows of ⌈k/32⌉ groups of 16 bytes, 8 nibbles per
// word, element c at bits 4·(c % 8) of word c / 8, stored q + 8), binding 4 is wscale [n·⌈k/32⌉] (f32 group
// scales) and params move to binding 5. Each weight is dequantized as the tile is loaded, w = f32(q)·scale (one f32
// rounding, as the reference decoder), then the same f32 tiling and summation as linear.
// #endif
override HAS_BIAS: bool = true;

struct Params { m: u32, n: u32, k: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
// #if W_F16
@group(0) @binding(1) var<storage, read> w: array<f16>;
// #elif W_Q4
@group(0) @binding(1) var<storage, read> w: array<u32>;
// #else
@group(0) @binding(1) var<storage, read> w: array<f32>;
// #endif
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// #if W_Q4
// #if SCALES_F16
@group(0) @binding(4) var<storage, read> wscale: array<f16>;
// #else
@group(0) @binding(4) var<storage, read> wscale: array<f32>;
// #endif
@group(0) @binding(5) var<uniform> params: Params;
// Weight (row, c) of a q4 matrix with k columns: its nibble, minus 8, times its group's scale.
fn q4Weight(row: u32, c: u32, k: u32) -> f32 {
  let groups = (k + 31u) / 32u;
  let q = i32(extractBits(w[row * groups * 4u + c / 8u], 4u * (c % 8u), 4u)) - 8;
  // #if SCALES_F16
  return f32(q) * f32(wscale[row * groups + c / 32u]);
  // #else
  return f32(q) * wscale[row * groups + c / 32u];
  // #endif
}
// #else
@group(0) @binding(4) var<uniform> params: Params;
// #endif

// TM, TN, TK, the tiles tileA (x) and tileB (w) and the 4×4 accumulation: lib/gemm-tile.wgsl.
// #include lib/gemm-tile.wgsl

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let m = params.m; let n = params.n; let k = params.k;
  let row0 = wg.y * TM; let col0 = wg.x * TN;
  var acc: TileAcc;
  for (var t = 0u; t < k; t += TK) {
    for (var r = 0u; r < 4u; r++) {
      let e = li + 256u * r;
      let mm = e / TK; let kk = e % TK; let gk = t + kk;
      var a = 0.0;
      if (row0 + mm < m && gk < k) { a = x[(row0 + mm) * k + gk]; }
      tileA[kk * TM + mm] = a;
      var b = 0.0;
      // #if W_F16
      if (col0 + mm < n && gk < k) { b = f32(w[(col0 + mm) * k + gk]); }
      // #elif W_Q4
      if (col0 + mm < n && gk < k) { b = q4Weight(col0 + mm, gk, k); }
      // #else
      if (col0 + mm < n && gk < k) { b = w[(col0 + mm) * k + gk]; }
      // #endif
      tileB[kk * TN + mm] = b;
    }
    workgroupBarrier();
    tileMac(&acc, lid);
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r >= m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x * 4u + j;
      if (c >= n) { break; }
      var v = acc[i][j];
      if (HAS_BIAS) { v += bias[c]; }
      out[r * n + c] = v;
    }
  }
}
