// gluGelu: out[r,i] = gelu_erf(x[r,i])·x[r,inner+i]; unary: elementwise tanh or gelu. Both vectorised with
// exact-erf GELU from vec.ts; scalar tails go through the same vector code one lane at a time. Their gradients
// (gluGeluBackward, unaryBackward) follow.
import { claim, COUNTER } from "./sched";
import { GluGelu, GluGeluBackward, Unary, UnaryBackward } from "./generated/args";
import { erf4, exp4, gelu4, tanh4 } from "./vec";

export function gluGelu(a: usize): void {
  const x = GluGelu.x(a), out = GluGelu.out(a), rows = GluGelu.rows(a), inner = GluGelu.inner(a);
  const chunks = (rows + 3) >> 2, i4 = inner & ~3;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    for (let r = c << 2, r1 = min(rows, r + 4); r < r1; r++) {
      const g = x + (<usize>r * inner << 3), u = g + (<usize>inner << 2), o = out + (<usize>r * inner << 2);
      let i = 0;
      for (; i < i4; i += 4) {
        const off = <usize>i << 2;
        v128.store(o + off, f32x4.mul(gelu4(v128.load(g + off)), v128.load(u + off)));
      }
      for (; i < inner; i++) {
        const off = <usize>i << 2;
        store<f32>(o + off, f32x4.extract_lane(gelu4(f32x4.splat(load<f32>(g + off))), 0) * load<f32>(u + off));
      }
    }
  }
}

const UNARY_CHUNK = 4096;

// gelu: 0 = tanh, 1 = gelu
export function unary(a: usize): void {
  const x = Unary.x(a), out = Unary.out(a), size = Unary.size(a), gelu = Unary.gelu(a) == 1;
  const chunks = (size + UNARY_CHUNK - 1) / UNARY_CHUNK;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    const i1 = min(size, (c + 1) * UNARY_CHUNK);
    let i = c * UNARY_CHUNK;
    for (; i + 4 <= i1; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      v128.store(out + (<usize>i << 2), gelu ? gelu4(v) : tanh4(v));
    }
    for (; i < i1; i++) {
      const v = f32x4.splat(load<f32>(x + (<usize>i << 2)));
      store<f32>(out + (<usize>i << 2), f32x4.extract_lane(gelu ? gelu4(v) : tanh4(v), 0));
    }
  }
}

/** Φ(x) = ½(1 + erf(x/√2)), the normal CDF (gelu(x) = x·Φ(x)). */
@inline function cdf4(x: v128): v128 {
  return f32x4.mul(f32x4.splat(0.5), f32x4.add(f32x4.splat(1), erf4(f32x4.mul(x, f32x4.splat(0.7071067811865476)))));
}

/** gelu′(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π), from Φ(x). */
@inline function geluGrad4(x: v128, cdf: v128): v128 {
  const pdf = f32x4.mul(exp4(f32x4.mul(f32x4.mul(x, x), f32x4.splat(-0.5))), f32x4.splat(0.3989422804014327));
  return f32x4.add(cdf, f32x4.mul(x, pdf));
}

// gluGeluBackward: gradX[r] = [gradOut ⊙ x₂ ⊙ gelu′(x₁) | gradOut ⊙ x₁·Φ(x₁)]; tails one lane at a time.
export function gluGeluBackward(a: usize): void {
  const x = GluGeluBackward.x(a), go = GluGeluBackward.gradOut(a), gx = GluGeluBackward.gradX(a);
  const rows = GluGeluBackward.rows(a), inner = GluGeluBackward.inner(a);
  const chunks = (rows + 3) >> 2;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    for (let r = c << 2, r1 = min(rows, r + 4); r < r1; r++) {
      const x1 = x + (<usize>r * inner << 3), x2 = x1 + (<usize>inner << 2), g = go + (<usize>r * inner << 2);
      const o1 = gx + (<usize>r * inner << 3), o2 = o1 + (<usize>inner << 2);
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const off = <usize>i << 2;
        const v = v128.load(x1 + off), gv = v128.load(g + off), cdf = cdf4(v);
        v128.store(o1 + off, f32x4.mul(f32x4.mul(gv, v128.load(x2 + off)), geluGrad4(v, cdf)));
        v128.store(o2 + off, f32x4.mul(gv, f32x4.mul(v, cdf)));
      }
      for (; i < inner; i++) {
        const off = <usize>i << 2;
        const v = f32x4.splat(load<f32>(x1 + off)), gv = f32x4.splat(load<f32>(g + off)), cdf = cdf4(v);
        store<f32>(o1 + off, f32x4.extract_lane(f32x4.mul(f32x4.mul(gv, f32x4.splat(load<f32>(x2 + off))), geluGrad4(v, cdf)), 0));
        store<f32>(o2 + off, f32x4.extract_lane(f32x4.mul(gv, f32x4.mul(v, cdf)), 0));
      }
    }
  }
}

/** f′(x) of unary: 1 − tanh² or gelu′. */
@inline function unaryGrad4(v: v128, gelu: bool): v128 {
  if (gelu) return geluGrad4(v, cdf4(v));
  const t = tanh4(v);
  return f32x4.sub(f32x4.splat(1), f32x4.mul(t, t));
}

// unaryBackward: gradX = gradOut ⊙ f′(x), 4096-element chunks as unary. gelu: 0 = tanh, 1 = gelu
export function unaryBackward(a: usize): void {
  const x = UnaryBackward.x(a), go = UnaryBackward.gradOut(a), gx = UnaryBackward.gradX(a);
  const size = UnaryBackward.size(a), gelu = UnaryBackward.gelu(a) == 1;
  const chunks = (size + UNARY_CHUNK - 1) / UNARY_CHUNK;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    const i1 = min(size, (c + 1) * UNARY_CHUNK);
    let i = c * UNARY_CHUNK;
    for (; i + 4 <= i1; i += 4) {
      const o = <usize>i << 2;
      v128.store(gx + o, f32x4.mul(v128.load(go + o), unaryGrad4(v128.load(x + o), gelu)));
    }
    for (; i < i1; i++) {
      const o = <usize>i << 2;
      store<f32>(gx + o, f32x4.extract_lane(f32x4.mul(f32x4.splat(load<f32>(go + o)), unaryGrad4(f32x4.splat(load<f32>(x + o)), gelu)), 0));
    }
  }
}
