// lora: out[i, :] += scale · (x[i, :] · aᵀ) · bt for rows row0 … row0 + rows − 1 (a [r, k], bt [r, n]), in place.
// Rows go in pairs: v = scale · x·aᵀ for both rows into per-thread scratch (2 × r floats), then a 2×16 register tile
// out += v·bt over j = 0 … r − 1 in order. A lone last row runs as the pair (i, i): the same code computes it twice and
// stores the same value twice, so every row takes one operation order wherever it falls (the row-by-row invariant).
// Measured at the 117M shapes, 1 thread (Zen 3): 30 GFLOP/s (FMA build 40), about the f32 GEMM's rate; unrolling the
// k loop by 2 spilled registers and ran at half speed.
import { claim, COUNTER } from "./sched";
import { Lora } from "./generated/args";
import { hsum, madd } from "./vec";

const RB = 16; // rows per chunk

export function lora(a: usize, tid: i32): void {
  const x = Lora.x(a), A = Lora.a(a), bt = Lora.bt(a), out = Lora.out(a);
  const row0 = Lora.row0(a), rows = Lora.rows(a), n = Lora.n(a), K = Lora.k(a), r = Lora.r(a), scale = Lora.scale(a);
  const v0 = Lora.scratch(a) + <usize>tid * <usize>Lora.scratchStride(a), v1 = v0 + (<usize>r << 2);
  const chunks = (rows + RB - 1) / RB;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    const end = row0 + min(rows, (c + 1) * RB);
    for (let i = row0 + c * RB; i < end; i += 2) {
      const i1 = min(i + 1, end - 1);
      project(x + (<usize>i * K << 2), x + (<usize>i1 * K << 2), A, K, r, scale, v0, v1);
      update(out + (<usize>i * n << 2), out + (<usize>i1 * n << 2), bt, n, r, v0, v1);
    }
  }
}

// v0[j] = scale · x0·a[j], v1[j] = scale · x1·a[j]: one f32x4 accumulator per (row, j) over t, hsum, scalar tail.
// Rank in groups of 4 (8 independent accumulators), then one at a time; the per-(row, j) order is the same in both.
function project(x0: usize, x1: usize, A: usize, K: i32, r: i32, scale: f32, v0: usize, v1: usize): void {
  const k4 = <usize>(K & ~3) << 2, kb = <usize>K << 2, lda = <usize>K << 2;
  let j = 0;
  for (; j + 4 <= r; j += 4) {
    const a0 = A + <usize>j * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
    let s00 = f32x4.splat(0), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
    for (let t: usize = 0; t < k4; t += 16) {
      const p = v128.load(x0 + t), q = v128.load(x1 + t);
      let w = v128.load(a0 + t); s00 = madd(p, w, s00); s10 = madd(q, w, s10);
      w = v128.load(a1 + t); s01 = madd(p, w, s01); s11 = madd(q, w, s11);
      w = v128.load(a2 + t); s02 = madd(p, w, s02); s12 = madd(q, w, s12);
      w = v128.load(a3 + t); s03 = madd(p, w, s03); s13 = madd(q, w, s13);
    }
    const o = <usize>j << 2;
    store<f32>(v0 + o, scale * tail(x0, a0, hsum(s00), k4, kb)); store<f32>(v1 + o, scale * tail(x1, a0, hsum(s10), k4, kb));
    store<f32>(v0 + o, scale * tail(x0, a1, hsum(s01), k4, kb), 4); store<f32>(v1 + o, scale * tail(x1, a1, hsum(s11), k4, kb), 4);
    store<f32>(v0 + o, scale * tail(x0, a2, hsum(s02), k4, kb), 8); store<f32>(v1 + o, scale * tail(x1, a2, hsum(s12), k4, kb), 8);
    store<f32>(v0 + o, scale * tail(x0, a3, hsum(s03), k4, kb), 12); store<f32>(v1 + o, scale * tail(x1, a3, hsum(s13), k4, kb), 12);
  }
  for (; j < r; j++) {
    const aj = A + <usize>j * lda;
    let s0 = f32x4.splat(0), s1 = s0;
    for (let t: usize = 0; t < k4; t += 16) {
      const w = v128.load(aj + t);
      s0 = madd(v128.load(x0 + t), w, s0); s1 = madd(v128.load(x1 + t), w, s1);
    }
    store<f32>(v0 + (<usize>j << 2), scale * tail(x0, aj, hsum(s0), k4, kb));
    store<f32>(v1 + (<usize>j << 2), scale * tail(x1, aj, hsum(s1), k4, kb));
  }
}

/** s + Σ x[t]·a[t] over the byte range [t0, t1) (the k mod 4 tail). */
@inline function tail(x: usize, a: usize, s: f32, t0: usize, t1: usize): f32 {
  for (let t = t0; t < t1; t += 4) s += load<f32>(x + t) * load<f32>(a + t);
  return s;
}

// out0 += v0·bt, out1 += v1·bt: 2×16 tiles (8 accumulators, 4 bt vectors shared by both rows), then 2×4, then
// scalar columns. Each tile loads both rows before it stores either, which keeps the pair (i, i) right.
function update(out0: usize, out1: usize, bt: usize, n: i32, r: i32, v0: usize, v1: usize): void {
  const ldb = <usize>n << 2, vb = <usize>r << 2;
  let o = 0;
  for (; o + 16 <= n; o += 16) {
    const c0 = out0 + (<usize>o << 2), c1 = out1 + (<usize>o << 2);
    let a0 = v128.load(c0), a1 = v128.load(c0, 16), a2 = v128.load(c0, 32), a3 = v128.load(c0, 48);
    let b0 = v128.load(c1), b1 = v128.load(c1, 16), b2 = v128.load(c1, 32), b3 = v128.load(c1, 48);
    let pb = bt + (<usize>o << 2);
    for (let j: usize = 0; j < vb; j += 4) {
      const w0 = v128.load(pb), w1 = v128.load(pb, 16), w2 = v128.load(pb, 32), w3 = v128.load(pb, 48);
      let s = v128.load32_splat(v0 + j);
      a0 = madd(s, w0, a0); a1 = madd(s, w1, a1); a2 = madd(s, w2, a2); a3 = madd(s, w3, a3);
      s = v128.load32_splat(v1 + j);
      b0 = madd(s, w0, b0); b1 = madd(s, w1, b1); b2 = madd(s, w2, b2); b3 = madd(s, w3, b3);
      pb += ldb;
    }
    v128.store(c0, a0); v128.store(c0, a1, 16); v128.store(c0, a2, 32); v128.store(c0, a3, 48);
    v128.store(c1, b0); v128.store(c1, b1, 16); v128.store(c1, b2, 32); v128.store(c1, b3, 48);
  }
  for (; o + 4 <= n; o += 4) {
    const c0 = out0 + (<usize>o << 2), c1 = out1 + (<usize>o << 2);
    let a0 = v128.load(c0), b0 = v128.load(c1);
    let pb = bt + (<usize>o << 2);
    for (let j: usize = 0; j < vb; j += 4) {
      const w = v128.load(pb);
      a0 = madd(v128.load32_splat(v0 + j), w, a0); b0 = madd(v128.load32_splat(v1 + j), w, b0);
      pb += ldb;
    }
    v128.store(c0, a0); v128.store(c1, b0);
  }
  for (; o < n; o++) {
    const c0 = out0 + (<usize>o << 2), c1 = out1 + (<usize>o << 2);
    let s0 = load<f32>(c0), s1 = load<f32>(c1);
    let pb = bt + (<usize>o << 2);
    for (let j: usize = 0; j < vb; j += 4) {
      const w = load<f32>(pb);
      s0 += load<f32>(v0 + j) * w; s1 += load<f32>(v1 + j) * w;
      pb += ldb;
    }
    store<f32>(c0, s0); store<f32>(c1, s1);
  }
}
