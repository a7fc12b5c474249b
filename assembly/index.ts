// Module entry: one exec() per op call. Every thread (the caller and each worker) calls exec with the same
// argument block; the kernels share the work through the block's chunk counter (sched.ts).
import { linear, packPanels } from "./linear";
import { attention } from "./attention";
import { layerNorm } from "./layer-norm";
import { gluGelu, unary } from "./glu-gelu";
import { gather, meanPool } from "./gather";
import { erf4, exp4, gelu4 } from "./vec";

// Opcodes; src/backend/wasm/kernels.ts holds the same table.
const LINEAR = 1, PACK = 2, UNPACK = 3, ATTENTION = 4, LAYER_NORM = 5, GLU_GELU = 6, GATHER = 7, MEAN_POOL = 8, UNARY = 9;

export function exec(a: usize, tid: i32): void {
  switch (load<i32>(a)) {
    case LINEAR: linear(a); break;
    case PACK: packPanels(a, tid, false); break;
    case UNPACK: packPanels(a, tid, true); break;
    case ATTENTION: attention(a, tid); break;
    case LAYER_NORM: layerNorm(a); break;
    case GLU_GELU: gluGelu(a); break;
    case GATHER: gather(a); break;
    case MEAN_POOL: meanPool(a); break;
    case UNARY: unary(a); break;
    default: unreachable();
  }
}

/** First byte the host allocator may use (after any static data). */
export function heapBase(): usize { return __heap_base; }

// Scalar probes of the vector math, for test/wasm-backend.test.ts (accuracy against the float64 reference).
export function probeErf(x: f32): f32 { return f32x4.extract_lane(erf4(f32x4.splat(x)), 0); }
export function probeExp(x: f32): f32 { return f32x4.extract_lane(exp4(f32x4.splat(x)), 0); }
export function probeGelu(x: f32): f32 { return f32x4.extract_lane(gelu4(f32x4.splat(x)), 0); }
