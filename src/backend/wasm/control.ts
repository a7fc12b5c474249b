// The control block the calling thread and the workers share (i32 slots; DONE on its own cache line), and the
// message that starts a worker. Beneath both threads.ts and worker.ts, so neither imports the other.
import type { Variant } from "./loader.js";

export const CTRL = { GEN: 0, ARGS: 1, ERROR: 2, DONE: 16, INTS: 32, BYTES: 128 } as const;

export interface WorkerInit { variant: Variant; memory: WebAssembly.Memory; ctrl: number; tid: number; spin: number }
