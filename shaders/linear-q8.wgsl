// linearQ8: the W8A8 GEMM of linear with q8 weights, after quantizeRows (quantize-rows.wgsl) made x's int8 rows:
// out[r, c] = f32(Σ qx·qw) · (sx[r]·sw[c]) (+ bias[c]), the int32 sum exact, then each step rounded to f32 as
// written (no fma), as the reference does.
// Bindings: 0 xq [m·⌈k/4⌉] u32 (quantizeRows' packed rows) · 1 xs [m] f32 row scales · 2 w [⌈n·k/4⌉] u32: the q8
// data bytes as stored, row-major [n, k], 4 per word (a row starts mid-word when k % 4 ≠ 0) · 3 wscale [n] f32 ·
// 4 bias [n] (a dummy when HAS_BIAS is false) · 5 out [m·n] · 6 params.
// Dispatch: (⌈n/64⌉, ⌈m/64⌉, 1) workgroups of 16×16; each thread owns a 4×4 block of out. Any m, n, and k up to
// 133144 (127²·k < 2^31); k advances 4 words (16 int8) per tile, loaded along k and stored k-major.
// The two variants sum the same integers: linearQ8 unpacks each word into a vec4i (extractBits, sign-extending) and
// takes integer dot products; linearQ8Dot4 (DOT4) uses dot4I8Packed.
// #if DOT4
// linearQ8Dot4 (DOT4): needs the packed_4x8_integer_dot_product WGSL language feature (caps.dot4I8Packed).
// #endif
override HAS_BIAS: bool = true;

struct Params { m: u32, n: u32, k: u32 }

@group(0) @binding(0) var<storage, read> xq: array<u32>;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<u32>;
@group(0) @binding(3) var<storage, read> wscale: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

const TM = 64u;
const TN = 64u;
const KW = 4u; // words of k per tile
var<workgroup> xt: array<u32, 256>; // [KW][TM]
var<workgroup> wt: array<u32, 256>; // [KW][TN]

// #if DOT4
alias Int8x4 = u32;
fn int8x4(v: u32) -> Int8x4 { return v; }
fn dot4(a: Int8x4, b: Int8x4) -> i32 { return dot4I8Packed(a, b); }
// #else
alias Int8x4 = vec4i;
fn int8x4(v: u32) -> Int8x4 {
  let s = bitcast<i32>(v);
  return vec4i(extractBits(s, 0u, 8u), extractBits(s, 8u, 8u), extractBits(s, 16u, 8u), extractBits(s, 24u, 8u));
}
fn dot4(a: Int8x4, b: Int8x4) -> i32 { return dot(a, b); }
// #endif

// Weights (row, 4·word … 4·word + 3) of w [n, k] as one packed word, read from one or two words of the bytes;
// bytes past k (the next row's) are 0.
fn weightWord(row: u32, word: u32, k: u32) -> u32 {
  let e = 4u * word;
  let b = row * k + e;
  let i = b / 4u;
  let sh = 8u * (b % 4u);
  let count = min(4u, k - e);
  var v = w[i] >> sh;
  if (sh + 8u * count > 32u) { v |= w[i + 1u] << (32u - sh); }
  if (count < 4u) { v &= (1u << (8u * count)) - 1u; }
  return v;
}

// f32(v) rounded to nearest even whatever the i32 → f32 conversion does: both halves are exact in f32, so the one
// rounding is the add's (correctly rounded, and the same if fused with the exact product).
fn toF32(v: i32) -> f32 {
  return f32(v >> 16u) * 65536.0 + f32(v & 0xffff);
}

// v, materialized as a rounded f32 before the bias add: OR-ing a zero the compiler cannot see (params.k < 2^31)
// keeps it from contracting the scale product and the add into one fma.
fn rounded(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) | (params.k >> 31u));
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let m = params.m; let n = params.n; let k = params.k;
  let kw = (k + 3u) / 4u;
  let row0 = wg.y * TM; let col0 = wg.x * TN;
  let mm = li / KW; let ww = li % KW; // this invocation's load: tile row/column mm, word ww
  var acc: array<vec4i, 4>;
  for (var t = 0u; t < kw; t += KW) {
    let gw = t + ww;
    var a = 0u;
    if (row0 + mm < m && gw < kw) { a = xq[(row0 + mm) * kw + gw]; }
    xt[ww * TM + mm] = a;
    var b = 0u;
    if (col0 + mm < n && gw < kw) { b = weightWord(col0 + mm, gw, k); }
    wt[ww * TN + mm] = b;
    workgroupBarrier();
    for (var j = 0u; j < KW; j++) {
      let ao = j * TM + lid.y * 4u; let bo = j * TN + lid.x * 4u;
      let b0 = int8x4(wt[bo]); let b1 = int8x4(wt[bo + 1u]); let b2 = int8x4(wt[bo + 2u]); let b3 = int8x4(wt[bo + 3u]);
      for (var i = 0u; i < 4u; i++) {
        let ai = int8x4(xt[ao + i]);
        acc[i] += vec4i(dot4(ai, b0), dot4(ai, b1), dot4(ai, b2), dot4(ai, b3));
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r >= m) { break; }
    let sx = xs[r];
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x * 4u + j;
      if (c >= n) { break; }
      var v = toF32(acc[i][j]) * (sx * wscale[c]);
      if (HAS_BIAS) { v = rounded(v) + bias[c]; }
      out[r * n + c] = v;
    }
  }
}
