// Worker thread of the Wasm backend: instantiates the threaded build on the shared memory, then loops: wait for a
// new generation in the control block, run exec(args, tid) (claiming chunks beside the other threads), count done.
// Runs under node:worker_threads (Node, Deno) and as a module Web Worker (browsers).
import { compiled, instantiate, type Variant } from "./loader.js";
import { CTRL, type WorkerInit } from "./control.js";

async function serve(init: WorkerInit, reply: (msg: unknown) => void): Promise<void> {
  const ex = await instantiate(await compiled(init.variant), init.memory);
  // The control block sits in the first pages, so a view of the initial (shared, never detached) buffer covers it.
  const i32 = new Int32Array(init.memory.buffer, init.ctrl, CTRL.INTS);
  // Read the generation before saying ready: the caller may publish the first op as soon as it hears from us.
  let seen = Atomics.load(i32, CTRL.GEN);
  reply("ready");
  for (;;) {
    let g = Atomics.load(i32, CTRL.GEN);
    for (let i = 0; g === seen && i < init.spin; i++) g = Atomics.load(i32, CTRL.GEN);
    while (g === seen) { Atomics.wait(i32, CTRL.GEN, seen); g = Atomics.load(i32, CTRL.GEN); }
    seen = g;
    const args = Atomics.load(i32, CTRL.ARGS);
    if (args === 0) break;
    try {
      ex.exec(args, init.tid);
    } catch (e) {
      Atomics.store(i32, CTRL.ERROR, init.tid);
      reply(`error: ${(e as Error).message}`);
    }
    Atomics.add(i32, CTRL.DONE, 1);
    Atomics.notify(i32, CTRL.DONE);
  }
}

const g = globalThis as { WorkerGlobalScope?: unknown; onmessage?: unknown; postMessage?: (m: unknown) => void };
if (g.WorkerGlobalScope !== undefined) {
  g.onmessage = (e: MessageEvent<WorkerInit>) => { void serve(e.data, (m) => g.postMessage!(m)); };
} else {
  const { parentPort } = await import("node:worker_threads");
  parentPort!.once("message", (init: WorkerInit) => { void serve(init, (m) => parentPort!.postMessage(m)); });
}
