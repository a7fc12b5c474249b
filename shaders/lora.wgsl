// lora: out[i, :] += scale · (x[i, :] · aᵀ) · bt for rows i = rowOff … rowOff + rows − 1 of the bound chunk, in place
// (peft's unmerged LoRA update on a linear's output); a [r, k] is lora_A, bt [r, n] lora_B transposed.
// Bindings: 0 x [.. k] · 1 a [r·k] · 2 bt [r·n] · 3 out [.. n] (read_write) · 4 params.
// Dispatch: one 256-thread workgroup per row, rows folded as (gridX, ⌈rows/gridX⌉). Fused, per chunk of 256 ranks:
//   down: v[j] = scale · x[i, :]·a[j, :], 8 ranks at a time, 32 invocations per rank (invocation p sums t ≡ p mod 32
//         in order, then a fixed 32-leaf tree), into workgroup memory;
//   up:   invocation c walks columns c, c + 256, …: out[i, o] = fma(v[j], bt[j, o], …) for j in order, from out[i, o].
// Every row's arithmetic depends on k, n and r alone (never on rows, rowOff or the grid), so a row comes out bit for
// bit the same however the rows are split into calls. More than 256 ranks update out once per 256-rank chunk.
struct Params { rows: u32, rowOff: u32, n: u32, k: u32, r: u32, scale: f32, gridX: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bt: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

const PARTS: u32 = 32u; // partial sums per rank
const GROUP: u32 = 8u;  // ranks reduced at once (256 / PARTS)
const CHUNK: u32 = 256u; // ranks held in workgroup memory

var<workgroup> part: array<f32, 256>;
var<workgroup> v: array<f32, CHUNK>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = wg.y * params.gridX + wg.x;
  if (i >= params.rows) { return; }
  let n = params.n;
  let k = params.k;
  let r = params.r;
  let row = params.rowOff + i;
  let xb = row * k;
  let ob = row * n;
  let jl = lid / PARTS;
  let p = lid % PARTS;
  for (var c0 = 0u; c0 < r; c0 += CHUNK) {
    let cr = min(CHUNK, r - c0);
    for (var g = 0u; g < cr; g += GROUP) {
      let jc = g + jl; // this invocation's rank within the chunk
      var s = 0.0;
      if (jc < cr) {
        let ab = (c0 + jc) * k;
        for (var t = p; t < k; t += PARTS) { s = fma(x[xb + t], a[ab + t], s); }
      }
      part[lid] = s;
      workgroupBarrier();
      for (var h = PARTS / 2u; h > 0u; h >>= 1u) {
        if (p < h) { part[lid] += part[lid + h]; }
        workgroupBarrier();
      }
      // part[lid] is next written by this same invocation, so the next group needs no barrier first.
      if (p == 0u && jc < cr) { v[jc] = params.scale * part[lid]; }
    }
    workgroupBarrier();
    for (var o = lid; o < n; o += 256u) {
      var acc = out[ob + o];
      for (var j = 0u; j < cr; j++) { acc = fma(v[j], bt[(c0 + j) * n + o], acc); }
      out[ob + o] = acc;
    }
    workgroupBarrier(); // before the next chunk overwrites v
  }
}
