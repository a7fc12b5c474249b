// The whole Wasm worker thread as one self-contained function: it references nothing outside itself (types only),
// so its source text (workerBody.toString()) also starts Blob-URL and eval workers where a bundler did not emit
// worker.js. It instantiates the module it is sent on the shared memory, then loops: wait for a new generation in
// the control block, run exec(args, tid) (claiming chunks beside the other threads), count itself done.
// Runs under node:worker_threads (Node, Deno) and as a Web Worker (browsers); no top-level await, no static imports.
import type { WorkerInit } from "./control.js";

export function workerBody(): void {
  type Reply = (msg: unknown) => void;
  const serve = async (init: WorkerInit, reply: Reply): Promise<void> => {
    let exec: (args: number, tid: number) => void;
    try {
      const instance = await WebAssembly.instantiate(init.module, { env: { memory: init.memory } });
      exec = (instance.exports as { exec: typeof exec }).exec;
    } catch (e) {
      reply(`error: instantiating the Wasm module failed: ${(e as Error).message}`);
      return;
    }
    const S = init.slots;
    // The control block sits in the first pages, so a view of the initial (shared, never detached) buffer covers it.
    const i32 = new Int32Array(init.memory.buffer, init.ctrl, S.INTS);
    // Read the generation before saying ready: the caller may publish the first op as soon as it hears from us.
    let seen = Atomics.load(i32, S.GEN);
    reply("ready");
    for (;;) {
      let g = Atomics.load(i32, S.GEN);
      for (let i = 0; g === seen && i < init.spin; i++) g = Atomics.load(i32, S.GEN);
      while (g === seen) { Atomics.wait(i32, S.GEN, seen); g = Atomics.load(i32, S.GEN); }
      seen = g;
      const args = Atomics.load(i32, S.ARGS);
      if (args === 0) break;
      try {
        exec(args, init.tid);
      } catch (e) {
        Atomics.store(i32, S.ERROR, init.tid);
        reply(`error: ${(e as Error).message}`);
      }
      Atomics.add(i32, S.DONE, 1);
      Atomics.notify(i32, S.DONE);
    }
  };
  const g = globalThis as { WorkerGlobalScope?: unknown; onmessage?: unknown; postMessage?: (m: unknown) => void };
  if (g.WorkerGlobalScope !== undefined) {
    g.onmessage = (e: MessageEvent<WorkerInit>) => { void serve(e.data, (m) => g.postMessage!(m)); };
    return;
  }
  // Node and Deno: parentPort, through a specifier bundlers leave alone.
  const specifier = "node:worker_threads";
  void import(/* webpackIgnore: true */ /* @vite-ignore */ specifier).then((wt: typeof import("node:worker_threads")) => {
    const port = wt.parentPort!;
    port.once("message", (init: WorkerInit) => { void serve(init, (m) => port.postMessage(m)); });
  });
}
