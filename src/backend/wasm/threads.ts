// Worker pool for the threaded build: N−1 workers plus the calling thread share one WebAssembly.Memory.
// An op runs synchronously: the caller publishes the argument block (new generation), works on it as thread 0,
// then waits until every worker has counted itself done. Workers spin briefly, then sleep in Atomics.wait.
// Each worker gets the compiled module in its first message, so it imports and compiles nothing; how it is started
// (worker.js or the inline source) is decided once per process by the first worker that says "ready".
import { nodeBuiltin, runtime } from "../../env.js";
import { BackendError } from "../../errors.js";
import { CTRL, type WorkerInit } from "./control.js";
import { workerBody } from "./worker-body.js";

interface AnyWorker { postMessage(m: unknown): void; terminate(): unknown; unref?(): void }
/** A started worker and its first message ("ready", or an error string); later ones (trap reports) go to stderr. */
interface Spawned { worker: AnyWorker; first: Promise<unknown> }
interface Launcher { what: string; spawn(): Promise<Spawned> }

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

  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, ctrl: number, threads: number, spin = 20000): Promise<ThreadPool> {
    const workers: AnyWorker[] = [];
    const init = (tid: number): WorkerInit => ({ module, memory, ctrl, tid, spin, slots: CTRL });
    try {
      const first = await startFirst(init(1));
      workers.push(first.worker);
      const ready: Promise<void>[] = [];
      for (let tid = 2; tid < threads; tid++) {
        const s = await first.launcher.spawn();
        workers.push(s.worker);
        ready.push(handshake(s, init(tid), first.launcher.what));
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

/** Send the init message and wait for "ready"; anything else names the launcher and the message. */
async function handshake(s: Spawned, init: WorkerInit, what: string): Promise<void> {
  s.worker.postMessage(init);
  const m = await s.first;
  if (m !== "ready") throw new Error(`worker ${init.tid} (${what}) failed: ${String(m)}`);
  // Only now: an unref'd worker's messages do not keep Deno's event loop alive while we await "ready".
  // Afterwards a forgotten dispose() must not keep the process alive.
  s.worker.unref?.();
}

let chosen: Launcher | null = null;

/** Start worker 1 with the launcher that worked before, else try each in order; all failures are reported together. */
async function startFirst(init: WorkerInit): Promise<{ worker: AnyWorker; launcher: Launcher }> {
  const tried: string[] = [];
  for (const launcher of chosen ? [chosen] : await launchers()) {
    let s: Spawned | undefined;
    try {
      s = await launcher.spawn();
      await handshake(s, init, launcher.what);
      chosen = launcher;
      return { worker: s.worker, launcher };
    } catch (e) {
      s?.worker.terminate();
      tried.push(`${launcher.what}: ${(e as Error).message}`);
    }
  }
  throw new BackendError(`wasm: could not start worker threads (${tried.join("; ")})`);
}

// The worker file beside this module. As a variable (in Node's branch) bundlers neither rewrite nor emit it.
const WORKER_FILE = "./worker.js";
/** Where worker.js is expected, for messages (never throws: a bundler may have rewritten import.meta.url). */
function workerHref(): string {
  try { return new URL(/* webpackIgnore: true */ WORKER_FILE, import.meta.url).href; } catch { return WORKER_FILE; }
}
const INLINE_SOURCE = (): string => `(${workerBody.toString()})();`;

/** How workers can be started here, in order of preference. */
async function launchers(): Promise<Launcher[]> {
  if (runtime === "node" || runtime === "deno") {
    const { Worker } = await nodeBuiltin("worker_threads");
    const nodeWorker = (w: InstanceType<typeof Worker>): Spawned => {
      const first = firstMessage((on) => { w.on("message", on.message); w.once("error", on.error); });
      return { worker: w, first };
    };
    const file = new URL(/* webpackIgnore: true */ WORKER_FILE, import.meta.url);
    return [
      { what: file.href, spawn: async () => nodeWorker(new Worker(file)) },
      // A bundled Node app may not have worker.js beside its bundle.
      { what: "an eval worker", spawn: async () => nodeWorker(new Worker(INLINE_SOURCE(), { eval: true })) },
    ];
  }
  if (typeof Worker === "undefined") throw new BackendError("wasm: this runtime has no Worker (edge runtimes run single-threaded)");
  const webWorker = (w: Worker): Spawned => {
    const first = firstMessage((on) => {
      w.addEventListener("message", (e) => on.message(e.data));
      // A script that did not load (404, HTML instead of JS, blocked) gives an error event without a message.
      w.addEventListener("error", (e) => on.error(new Error(e.message || "the script did not load (HTTP error, wrong MIME type, or blocked)")), { once: true });
    });
    return { worker: w, first };
  };
  return [
    // The inline source first: it works whatever the bundler did with worker.js (esbuild and rollup don't emit it,
    // Vite's dev server pre-bundles it away) and makes no request that could 404.
    { what: "a blob: worker", spawn: async () => {
      const url = URL.createObjectURL(new Blob([INLINE_SOURCE()], { type: "text/javascript" }));
      try { return webWorker(new Worker(url, { type: "module" })); } finally { setTimeout(() => URL.revokeObjectURL(url), 60_000); }
    } },
    // Pages whose Content-Security-Policy forbids blob: workers: the worker file, which bundlers (Vite, webpack) emit
    // from this one literal pattern; with esbuild or rollup copy germ-js/worker next to the bundle.
    // (The name uses WORKER_FILE: a second literal new URL("./worker.js", …) would make webpack emit a raw copy.)
    { what: `${workerHref()} (germ-js/worker)`, spawn: async () => webWorker(new Worker(new URL("./worker.js", import.meta.url), { type: "module" })) },
  ];
}

function firstMessage(wire: (on: { message(m: unknown): void; error(e: Error): void }) => void): Promise<unknown> {
  let started = false;
  return new Promise<unknown>((resolve, reject) => {
    wire({
      message: (m) => { if (!started) { started = true; resolve(m); } else console.error(`germ-js wasm worker: ${String(m)}`); },
      error: (e) => { if (!started) { started = true; reject(e); } else console.error(`germ-js wasm worker: ${e.message}`); },
    });
  });
}
