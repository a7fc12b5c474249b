// Random inputs of tests and benches from the library's one seeded PRNG (mulberry32, src/contract/random.ts), so every
// backend and engine sees the same values.
// Isomorphic (no node: imports): the browser and Deno suites use it too.

export { rng, seedOf } from "../../src/contract/random.js";

/** n values uniform in [-scale, scale) (+ offset). */
export function uniform(r: () => number, n: number, scale = 1, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, () => offset + (r() * 2 - 1) * scale);
}

/** n normal values with mean 0 and standard deviation `scale` (Box–Muller). */
export function randn(r: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - r(), v = r();
    const m = scale * Math.sqrt(-2 * Math.log(u));
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return out;
}
