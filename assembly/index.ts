// Module entry: exec() (generated from abi.json: one opcode per kernel; every thread — the caller and each worker —
// calls it with the same argument block and the kernels share the work through the block's chunk counter, sched.ts).
import { erf4, exp4, gelu4 } from "./vec";
import { ABI_FINGERPRINT } from "./generated/args";
export { exec } from "./generated/dispatch";

/** First byte the host allocator may use (after any static data). */
export function heapBase(): usize { return __heap_base; }

/** The fingerprint of the abi.json this build was made from (the loader refuses a build whose table differs). */
export function abiFingerprint(): u32 { return ABI_FINGERPRINT; }

// Scalar probes of the vector math, for test/wasm-backend.test.ts (accuracy against the float64 reference).
export function probeErf(x: f32): f32 { return f32x4.extract_lane(erf4(f32x4.splat(x)), 0); }
export function probeExp(x: f32): f32 { return f32x4.extract_lane(exp4(f32x4.splat(x)), 0); }
export function probeGelu(x: f32): f32 { return f32x4.extract_lane(gelu4(f32x4.splat(x)), 0); }

/**
 * Known-answer check of i32x4.relaxed_dot_i8x16_i7x16_add_s (relaxed build only; −1 elsewhere): Σ of 16 products
 * 1·1 plus 0 must be 4 per lane (Node 20's V8 returns twice that). The loader sets caps.relaxedDot from it.
 */
export function probeRelaxedDot(): i32 {
  if (!ASC_FEATURE_RELAXED_SIMD) return -1;
  const ones = i8x16.splat(1);
  const r = i32x4.relaxed_dot_i8x16_i7x16_add_s(ones, ones, i32x4.splat(0));
  return i32x4.extract_lane(r, 0) + i32x4.extract_lane(r, 1) + i32x4.extract_lane(r, 2) + i32x4.extract_lane(r, 3);
}
