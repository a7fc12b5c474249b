// attention: varlen ALiBi self-attention over a packed batch, flash-style (online softmax, no L×L buffer).
// Bindings: 0 qkv [nnz, 3·H] · 1 blocks: vec4u (seqStart, seqLen, qStart, 0), one per 64-query block
//           2 slopes [heads] · 3 keyMask: u32 per token (a dummy unless HAS_MASK) · 4 out [nnz, H] · 5 params.
// Dispatch: (blocks, heads, 1) workgroups of 64; one thread per query row; keys and values stream through
// workgroup tiles of min(64, 1024/headDim) rows (8.4 KB of workgroup memory, under the 16 KB default limit).
// softmax1 adds exp(−m) to the denominator; a row with no unmasked key → zeros.
override SOFTMAX1: bool = false;
override HAS_MASK: bool = false;

struct Params { heads: u32, headDim: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> blocks: array<vec4u>;
@group(0) @binding(2) var<storage, read> slopes: array<f32>;
@group(0) @binding(3) var<storage, read> keyMask: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

const BQ = 64u;
const TILE = 1024u; // floats per K (and per V) tile: bk keys × headDim
const MAX_D = 128u;
var<workgroup> ks: array<f32, TILE>; // [bk][headDim]
var<workgroup> vs: array<f32, TILE>;
var<workgroup> kvalid: array<u32, BQ>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let blk = blocks[wg.x];
  let h = wg.y;
  let D = params.headDim;
  let H = params.heads * D;
  let stride = 3u * H;
  let qi = blk.z + lid;
  let isQuery = qi < blk.y;
  let row = blk.x + qi;
  var q: array<f32, MAX_D>;
  var acc: array<f32, MAX_D>;
  if (isQuery) {
    for (var d = 0u; d < D; d++) { q[d] = qkv[row * stride + h * D + d]; }
  }
  let slope = slopes[h];
  var m = -3.0e38;
  var l = 0.0;
  let bk = min(BQ, TILE / D);
  for (var kt = 0u; kt < blk.y; kt += bk) {
    let nk = min(bk, blk.y - kt);
    for (var e = lid; e < nk * D; e += BQ) {
      let j = e / D; let d = e % D;
      let src = (blk.x + kt + j) * stride + h * D + d;
      ks[e] = qkv[src + H];
      vs[e] = qkv[src + 2u * H];
    }
    {
      var ok = lid < nk;
      if (HAS_MASK && ok) { ok = keyMask[blk.x + kt + lid] != 0u; }
      kvalid[lid] = select(0u, 1u, ok);
    }
    workgroupBarrier();
    if (isQuery) {
      for (var j = 0u; j < nk; j++) {
        if (kvalid[j] == 0u) { continue; }
        var dot = 0.0;
        for (var d = 0u; d < D; d++) { dot = fma(q[d], ks[j * D + d], dot); }
        let s = dot * params.scale - slope * abs(f32(qi) - f32(kt + j));
        if (s > m) {
          let corr = exp(m - s);
          l *= corr;
          for (var d = 0u; d < D; d++) { acc[d] *= corr; }
          m = s;
        }
        let p = exp(s - m);
        l += p;
        for (var d = 0u; d < D; d++) { acc[d] = fma(p, vs[j * D + d], acc[d]); }
      }
    }
    workgroupBarrier();
  }
  if (isQuery) {
    var denom = l;
    if (SOFTMAX1) { denom += exp(-m); } // exp(−m) = inf when m < −88: the row is 0, as in float32 PyTorch
    let inv = select(0.0, 1.0 / denom, l > 0.0);
    for (var d = 0u; d < D; d++) { out[row * H + h * D + d] = acc[d] * inv; }
  }
}
