// adamw: one torch AdamW step in place, elementwise in f32 with the scalar factors the host computed in f64
// (kernels/adamw.ts): p ·= decay; m = β1·m + (1 − β1)·g; v = β2·v + ((1 − β2)·g)·g; p −= step·m / (√v / bc2 + eps).
// Plain mul and add (no FMA), so every build and thread count gives the same bits. 4096-element chunks.
import { claim, COUNTER } from "./sched";
import { Adamw } from "./generated/args";

const CHUNK = 4096;

export function adamw(a: usize): void {
  const P = Adamw.param(a), G = Adamw.grad(a), M = Adamw.m(a), V = Adamw.v(a), size = Adamw.size(a);
  const decay = f32x4.splat(Adamw.decay(a)), b1 = f32x4.splat(Adamw.beta1(a)), c1 = f32x4.splat(Adamw.oneMinusBeta1(a));
  const b2 = f32x4.splat(Adamw.beta2(a)), c2 = f32x4.splat(Adamw.oneMinusBeta2(a)), bc2 = f32x4.splat(Adamw.bc2(a));
  const step = f32x4.splat(Adamw.stepSize(a)), eps = f32x4.splat(Adamw.eps(a));
  const chunks = (size + CHUNK - 1) / CHUNK;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    const i1 = min(size, (c + 1) * CHUNK);
    for (let i = c * CHUNK; i < i1; i += 4) {
      const o = <usize>i << 2;
      // the op's last group (size mod 4) goes one lane at a time through the same vector code
      const full = i + 4 <= i1;
      const g = full ? v128.load(G + o) : f32x4.splat(load<f32>(G + o));
      let p = full ? v128.load(P + o) : f32x4.splat(load<f32>(P + o));
      let m = full ? v128.load(M + o) : f32x4.splat(load<f32>(M + o));
      let v = full ? v128.load(V + o) : f32x4.splat(load<f32>(V + o));
      p = f32x4.mul(p, decay);
      m = f32x4.add(f32x4.mul(b1, m), f32x4.mul(c1, g));
      v = f32x4.add(f32x4.mul(b2, v), f32x4.mul(f32x4.mul(c2, g), g));
      p = f32x4.sub(p, f32x4.mul(step, f32x4.div(m, f32x4.add(f32x4.div(f32x4.sqrt(v), bc2), eps))));
      if (full) { v128.store(P + o, p); v128.store(M + o, m); v128.store(V + o, v); continue; }
      store<f32>(P + o, f32x4.extract_lane(p, 0)); store<f32>(M + o, f32x4.extract_lane(m, 0)); store<f32>(V + o, f32x4.extract_lane(v, 0));
      i -= 3;
    }
  }
}
