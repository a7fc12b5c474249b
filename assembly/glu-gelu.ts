// gluGelu: out[r,i] = gelu_erf(x[r,i])·x[r,inner+i]; unary: elementwise tanh or gelu. Both vectorised with
// exact-erf GELU from vec.ts; scalar tails go through the same vector code one lane at a time.
import { claim, COUNTER } from "./sched";
import { GluGelu, Unary } from "./generated/args";
import { gelu4, tanh4 } from "./vec";

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
