// Feature probes: tiny hand-assembled modules that WebAssembly.validate accepts only where the feature exists, so
// picking a build never decodes the full variants (~100 KB base64 each) just to ask the question.

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const TYPE_VOID = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00]; // one type: () -> ()
const ONE_FUNC = [0x03, 0x02, 0x01, 0x00]; // one function of type 0
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0

/** A module of one function whose body is `ops` (no locals), then drop + end. */
function oneFunction(ops: number[]): Uint8Array {
  const body = [0x00, ...ops, 0x1a, 0x0b];
  return new Uint8Array([...HEADER, ...TYPE_VOID, ...ONE_FUNC, 0x0a, body.length + 2, 0x01, body.length, ...body]);
}

/** Fixed-width SIMD: v128.const. */
const SIMD = oneFunction(V128_ZERO);
/** Relaxed SIMD: i32x4.relaxed_trunc_f32x4_s (0xfd 0x101). */
const RELAXED = oneFunction([...V128_ZERO, 0xfd, 0x81, 0x02]);
/** Threads: an imported shared memory env.memory (min 1, max 1). */
const SHARED_MEMORY = new Uint8Array([...HEADER, 0x02, 0x10, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x03, 0x01, 0x01]);

export type Feature = "simd" | "relaxed" | "threads";
const PROBES: Record<Feature, Uint8Array> = { simd: SIMD, relaxed: RELAXED, threads: SHARED_MEMORY };
const seen = new Map<Feature, boolean>();

/** Whether this runtime's WebAssembly has `feature` (validation only: no code is generated). */
export function hasFeature(feature: Feature): boolean {
  let ok = seen.get(feature);
  if (ok === undefined) {
    try { ok = WebAssembly.validate(PROBES[feature] as BufferSource); } catch { ok = false; }
    seen.set(feature, ok);
  }
  return ok;
}

/** Drop a cached answer (a runtime flag that adds the feature was just set: see relaxed-flag.ts). */
export function forgetFeature(feature: Feature): void {
  seen.delete(feature);
}
