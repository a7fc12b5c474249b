// Module entry: one exec() per op call. Every thread (the caller and each worker) calls exec with the same
// argument block; the kernels share the work through the block's chunk counter (sched.ts).
import { linear, packPanels } from "./linear";
import { attention } from "./attention";
import { layerNorm } from "./layer-norm";
import { gluGelu, unary } from "./glu-gelu";
import { gather, meanPool } from "./gather";

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
