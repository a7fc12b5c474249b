// The control block the calling thread and the workers share (i32 slots; DONE on its own cache line), and the
// message that starts a worker. Beneath both threads.ts and worker-body.ts, so neither imports the other.

export const CTRL = { GEN: 0, ARGS: 1, ERROR: 2, DONE: 16, INTS: 32, BYTES: 128 } as const;

/**
 * What a worker needs, all structured-cloneable: the compiled module (so the worker compiles and imports nothing),
 * the shared memory, where the control block is, its thread id, how long it spins, and the slot layout.
 */
export interface WorkerInit { module: WebAssembly.Module; memory: WebAssembly.Memory; ctrl: number; tid: number; spin: number; slots: typeof CTRL }
