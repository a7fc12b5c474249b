// Register tiles of linear-q4.ts for a single row: each k quad of a packed panel is unpacked in registers
// (and/shift, −8, widen, convert, × the group's column scales) and multiply-added at once; nothing is stored.
// Every output takes the dequantizing path's exact steps: w = f32(q)·scale (one f32 multiply), then one madd per k
// in increasing k into one accumulator started from the bias or 0. So a row's bits never depend on the path.
// Panel layout (16 bytes per k quad, contiguous over the groups) and scales ([n, G], g4 = 4G bytes per column):
// linear-q4.ts header. A partial last quad (k mod 4 ≠ 0) is unpacked one k at a time (tailQ): nothing past k.
import { madd } from "./vec";

/** The scales of 4 columns (ps: the first's, columns g4 bytes apart) for one group. */
@inline export function scales4(ps: usize, g4: usize): v128 {
  let s = f32x4.splat(load<f32>(ps));
  s = f32x4.replace_lane(s, 1, load<f32>(ps + g4));
  s = f32x4.replace_lane(s, 2, load<f32>(ps + 2 * g4));
  return f32x4.replace_lane(s, 3, load<f32>(ps + 3 * g4));
}

/**
 * q − 8 of a quad's low nibbles (k, k+1) / high nibbles (k+2, k+3), as 16 i8 lanes (8 columns per k). The high ones
 * shift as i16 lanes and mask: V8 lowers i8x16.shr_u to that too, but rebuilds its mask constant on every call.
 */
@inline export function nibLo(v: v128): v128 { return i8x16.sub(v128.and(v, i8x16.splat(15)), i8x16.splat(8)); }
@inline export function nibHi(v: v128): v128 { return i8x16.sub(v128.and(i16x8.shr_u(v, 4), i8x16.splat(15)), i8x16.splat(8)); }

/** Columns 0–3 / 4–7 of one k (8 i16 lanes of q) as f32 weights f32(q)·scale: formats.ts's q4 decode. */
@inline export function wLo(q: v128, s: v128): v128 { return f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(q)), s); }
@inline export function wHi(q: v128, s: v128): v128 { return f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(q)), s); }

/** k j (0–2) of a partial quad at pw, as 8 i16 lanes. */
function tailQ(pw: usize, j: i32): v128 {
  const v = v128.load(pw);
  if (j == 0) return i16x8.extend_low_i8x16_s(nibLo(v));
  if (j == 1) return i16x8.extend_high_i8x16_s(nibLo(v));
  return i16x8.extend_low_i8x16_s(nibHi(v));
}

/** One row × 16 columns: the panels at pw and pw + pws (scales from psc, column 0 of the first, group 0). */
export function q4Tile1x16(pa: usize, pw: usize, pws: usize, psc: usize, G: i32, K: i32, pc: usize, pbias: usize): void {
  const g4 = <usize>G << 2;
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
  if (pbias != 0) { c0 = v128.load(pbias); c1 = v128.load(pbias, 16); c2 = v128.load(pbias, 32); c3 = v128.load(pbias, 48); }
  let pq = pw + pws, k = 0;
  for (let ps = psc; k < K; ps += 4) {
    const s0 = scales4(ps, g4), s1 = scales4(ps + 4 * g4, g4), s2 = scales4(ps + 8 * g4, g4), s3 = scales4(ps + 12 * g4, g4);
    const end = min(K, k + 32);
    for (; k + 4 <= end; k += 4) {
      // the high nibbles are read again after the low ones: keeping both quads live spills (15 xmm)
      let ra = nibLo(v128.load(pw)), rb = nibLo(v128.load(pq));
      let x = v128.load32_splat(pa), q = i16x8.extend_low_i8x16_s(ra);
      c0 = madd(x, wLo(q, s0), c0);
      c1 = madd(x, wHi(q, s1), c1);
      q = i16x8.extend_low_i8x16_s(rb);
      c2 = madd(x, wLo(q, s2), c2);
      c3 = madd(x, wHi(q, s3), c3);
      x = v128.load32_splat(pa, 4); q = i16x8.extend_high_i8x16_s(ra);
      c0 = madd(x, wLo(q, s0), c0);
      c1 = madd(x, wHi(q, s1), c1);
      q = i16x8.extend_high_i8x16_s(rb);
      c2 = madd(x, wLo(q, s2), c2);
      c3 = madd(x, wHi(q, s3), c3);
      ra = nibHi(v128.load(pw)); rb = nibHi(v128.load(pq));
      x = v128.load32_splat(pa, 8); q = i16x8.extend_low_i8x16_s(ra);
      c0 = madd(x, wLo(q, s0), c0);
      c1 = madd(x, wHi(q, s1), c1);
      q = i16x8.extend_low_i8x16_s(rb);
      c2 = madd(x, wLo(q, s2), c2);
      c3 = madd(x, wHi(q, s3), c3);
      x = v128.load32_splat(pa, 12); q = i16x8.extend_high_i8x16_s(ra);
      c0 = madd(x, wLo(q, s0), c0);
      c1 = madd(x, wHi(q, s1), c1);
      q = i16x8.extend_high_i8x16_s(rb);
      c2 = madd(x, wLo(q, s2), c2);
      c3 = madd(x, wHi(q, s3), c3);
      pa += 16; pw += 16; pq += 16;
    }
    for (let j = 0; k < end; j++, k++) { // the partial last quad
      const x = v128.load32_splat(pa);
      let q = tailQ(pw, j);
      c0 = madd(x, wLo(q, s0), c0);
      c1 = madd(x, wHi(q, s1), c1);
      q = tailQ(pq, j);
      c2 = madd(x, wLo(q, s2), c2);
      c3 = madd(x, wHi(q, s3), c3);
      pa += 4;
    }
  }
  v128.store(pc, c0); v128.store(pc, c1, 16); v128.store(pc, c2, 32); v128.store(pc, c3, 48);
}

/** 2 rows × 8 columns of the panel at pw; lda = ldc = 0 computes one row (the pair (i, i), stored twice). */
export function q4Tile2x8(pa: usize, lda: usize, pw: usize, psc: usize, G: i32, K: i32, pc: usize, ldc: usize, pbias: usize): void {
  const g4 = <usize>G << 2, pb = pa + lda;
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00;
  if (pbias != 0) { c00 = v128.load(pbias); c01 = v128.load(pbias, 16); c10 = c00; c11 = c01; }
  let k = 0;
  for (let ps = psc; k < K; ps += 4) {
    const s0 = scales4(ps, g4), s1 = scales4(ps + 4 * g4, g4), end = min(K, k + 32);
    for (; k + 4 <= end; k += 4) {
      const ka = <usize>k << 2;
      let r = nibLo(v128.load(pw)), q = i16x8.extend_low_i8x16_s(r), w0 = wLo(q, s0), w1 = wHi(q, s1);
      let x = v128.load32_splat(pa + ka), y = v128.load32_splat(pb + ka);
      c00 = madd(x, w0, c00); c01 = madd(x, w1, c01); c10 = madd(y, w0, c10); c11 = madd(y, w1, c11);
      q = i16x8.extend_high_i8x16_s(r); w0 = wLo(q, s0); w1 = wHi(q, s1);
      x = v128.load32_splat(pa + ka, 4); y = v128.load32_splat(pb + ka, 4);
      c00 = madd(x, w0, c00); c01 = madd(x, w1, c01); c10 = madd(y, w0, c10); c11 = madd(y, w1, c11);
      r = nibHi(v128.load(pw)); q = i16x8.extend_low_i8x16_s(r); w0 = wLo(q, s0); w1 = wHi(q, s1);
      x = v128.load32_splat(pa + ka, 8); y = v128.load32_splat(pb + ka, 8);
      c00 = madd(x, w0, c00); c01 = madd(x, w1, c01); c10 = madd(y, w0, c10); c11 = madd(y, w1, c11);
      q = i16x8.extend_high_i8x16_s(r); w0 = wLo(q, s0); w1 = wHi(q, s1);
      x = v128.load32_splat(pa + ka, 12); y = v128.load32_splat(pb + ka, 12);
      c00 = madd(x, w0, c00); c01 = madd(x, w1, c01); c10 = madd(y, w0, c10); c11 = madd(y, w1, c11);
      pw += 16;
    }
    for (let j = 0; k < end; j++, k++) { // the partial last quad
      const q = tailQ(pw, j), w0 = wLo(q, s0), w1 = wHi(q, s1), ka = <usize>k << 2;
      const x = v128.load32_splat(pa + ka), y = v128.load32_splat(pb + ka);
      c00 = madd(x, w0, c00); c01 = madd(x, w1, c01); c10 = madd(y, w0, c10); c11 = madd(y, w1, c11);
    }
  }
  v128.store(pc, c00); v128.store(pc, c01, 16); v128.store(pc + ldc, c10); v128.store(pc + ldc, c11, 16);
}
