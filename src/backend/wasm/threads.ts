// Worker pool for the threaded build: N−1 workers plus the calling thread share one WebAssembly.Memory.
// An op runs synchronously: the caller publishes the argument block (new generation), works on it as thread 0,
// then waits until every worker has counted itself done. Workers spin briefly, then sleep in Atomics.wait.
import { runtime } from "../../env.js";
import { BackendError } from "../../errors.js";
import type { Variant } from "./loader.js";
import { CTRL, type WorkerInit } from "./control.js";

interface AnyWorker { postMessage(m: unknown): void; terminate(): unknown; unref?(): void }

export class ThreadPool {
  private readonly i32: Int32Array;
  /** Atomics.wait is not allowed on a browser's main thread: spin there instead. */
  private readonly canWait: boolean;

  private constructor(memory: WebAssembly.Memory, ctrl: number, private readonly workers: AnyWorker[], private readonly spin: number) {
    this.i32 = new Int32Array(memory.buffer, ctrl, CTRL.INTS);
    let ok = true;
    try { Atomics.wait(this.i32, CTRL.GEN, -1, 0); } catch { ok = false; }
    this.canWait = ok;
  }

  static async start(variant: Variant, memory: WebAssembly.Memory, ctrl: number, threads: number, spin = 20000): Promise<ThreadPool> {
    const workers: AnyWorker[] = [];
    const ready: Promise<void>[] = [];
    try {
      for (let tid = 1; tid < threads; tid++) {
        const init: WorkerInit = { variant, memory, ctrl, tid, spin };
        const { worker, first } = await spawn();
        workers.push(worker);
        worker.postMessage(init);
        ready.push(first.then((m) => {
          if (m !== "ready") throw new BackendError(`wasm: worker ${tid} failed to start: ${String(m)}`);
          // Only now: an unref'd worker's messages do not keep Deno's event loop alive while we await "ready".
          // Afterwards a forgotten dispose() must not keep the process alive.
          worker.unref?.();
        }));
      }
      await Promise.all(ready);
    } catch (e) {
      workers.forEach((w) => w.terminate());
      throw e instanceof BackendError ? e : new BackendError(`wasm: could not start worker threads: ${(e as Error).message}`);
    }
    return new ThreadPool(memory, ctrl, workers, spin);
  }

  get size(): number { return this.workers.length + 1; }

  /** Run exec(args, tid) on every thread; returns when all are done. */
  run(exec: (args: number, tid: number) => void, args: number): void {
    const c = this.i32;
    Atomics.store(c, CTRL.DONE, 0);
    Atomics.store(c, CTRL.ARGS, args);
    Atomics.add(c, CTRL.GEN, 1);
    Atomics.notify(c, CTRL.GEN);
    exec(args, 0);
    const n = this.workers.length;
    let done = Atomics.load(c, CTRL.DONE);
    for (let i = 0; done < n; i++) {
      if (this.canWait && i > this.spin) Atomics.wait(c, CTRL.DONE, done, 5);
      done = Atomics.load(c, CTRL.DONE);
    }
    const err = Atomics.exchange(c, CTRL.ERROR, 0);
    if (err !== 0) throw new BackendError(`wasm: worker thread ${err} trapped while running an op (its message is on stderr)`);
  }

  dispose(): void {
    Atomics.store(this.i32, CTRL.ARGS, 0);
    Atomics.add(this.i32, CTRL.GEN, 1);
    Atomics.notify(this.i32, CTRL.GEN);
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}

/** A worker running worker.js; `first` is its first message ("ready"), later ones (trap reports) go to stderr. */
async function spawn(): Promise<{ worker: AnyWorker; first: Promise<unknown> }> {
  let resolve!: (m: unknown) => void, reject!: (e: Error) => void, started = false;
  const first = new Promise<unknown>((res, rej) => { resolve = res; reject = rej; });
  const onMessage = (m: unknown) => {
    if (!started) { started = true; resolve(m); } else console.error(`germ-js wasm worker: ${String(m)}`);
  };
  if (runtime === "node" || runtime === "deno") {
    const { Worker } = await import("node:worker_threads");
    const worker = new Worker(new URL("./worker.js", import.meta.url));
    worker.on("message", onMessage);
    worker.once("error", reject);
    return { worker, first };
  }
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  worker.addEventListener("message", (e) => onMessage(e.data));
  worker.addEventListener("error", (e) => reject(new Error(e.message)), { once: true });
  return { worker, first };
}
