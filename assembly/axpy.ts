// axpy: out = alpha·x + y, elementwise; out may alias y. Chunks of 4096 elements are claimed by the threads.
import { claim, COUNTER } from "./sched";
import { Axpy } from "./generated/args";
import { madd } from "./vec";

const CHUNK = 4096;

export function axpy(a: usize): void {
  const x = Axpy.x(a), y = Axpy.y(a), out = Axpy.out(a), size = Axpy.size(a), alpha = Axpy.alpha(a);
  const va = f32x4.splat(alpha);
  const chunks = (size + CHUNK - 1) / CHUNK;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    const i1 = min(size, (c + 1) * CHUNK);
    let i = c * CHUNK;
    for (; i + 4 <= i1; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, madd(va, v128.load(x + o), v128.load(y + o)));
    }
    for (; i < i1; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, alpha * load<f32>(x + o) + load<f32>(y + o));
    }
  }
}
