// dropout: out[i] = hash(seed, i) ≥ threshold ? x[i]·scale : 0 (contract/dropout.ts: lowbias32 twice, u32 compare).
// Chunks of 4096 elements are claimed by the threads; the mask depends only on (seed, i), never on the chunking.
import { claim, COUNTER } from "./sched";
import { Dropout } from "./generated/args";

const CHUNK = 4096;

@inline function mix(v: u32): u32 {
  v ^= v >> 16; v *= 0x7feb352d;
  v ^= v >> 15; v *= 0x846ca68b;
  return v ^ (v >> 16);
}

export function dropout(a: usize): void {
  const x = Dropout.x(a), out = Dropout.out(a), size = Dropout.size(a), scale = Dropout.scale(a);
  const k = mix(<u32>Dropout.seed(a)), threshold = <u32>Dropout.threshold(a);
  const chunks = (size + CHUNK - 1) / CHUNK;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    const i1 = min(size, (c + 1) * CHUNK);
    for (let i = c * CHUNK; i < i1; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, mix(mix(<u32>i) ^ k) >= threshold ? load<f32>(x + o) * scale : 0);
    }
  }
}
