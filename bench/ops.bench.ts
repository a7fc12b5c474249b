// Per-op timings over the conformance cases (test/conformance/cases.ts, the same inputs the tests check): each case's
// op replayed on its uploaded inputs, on Wasm and on WebGPU when an adapter exists; ms per call and GFLOP/s where the
// op counts its flops (contract/spec.ts opFlops: linear, attention). Cases a backend cannot run are listed as skipped.
// Run: node build/bench/ops.bench.js [--threads 2] [--reps 10]   (npm run bench runs it after the model tables)
import { parseArgs } from "node:util";
import type { Backend } from "../src/contract/backend.js";
import { opFlops, type OpArgs, type OpName } from "../src/contract/spec.js";
import { createBackend } from "../src/backend/create.js";
import { CASES, type Disposable } from "../test/conformance/cases.js";
import { skipReason } from "../test/conformance/harness.js";
import { rng } from "../test/helpers/rng.js";

const { values } = parseArgs({ options: { threads: { type: "string", default: "2" }, reps: { type: "string", default: "10" } } });
const reps = Number(values.reps);

/** A view of `b` that records every op it runs, so a case's op can be replayed without re-uploading its inputs. */
function recording(b: Backend, calls: [OpName, unknown][]): Backend {
  return new Proxy(b, {
    get(target, p) {
      if (p === "run") return (op: OpName, args: unknown) => { calls.push([op, args]); target.run(op, args as never); };
      const v = (target as unknown as Record<string | symbol, unknown>)[p];
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function bench(name: string, b: Backend): Promise<void> {
  const software = /software|fallback/i.test(b.caps.description) ? "; software adapter: not meaningful for speed" : "";
  console.log(`\n### ${name}: ${b.caps.description} (median of ${reps}${software})\n| case | ms | GFLOP/s |\n|---|---|---|`);
  for (const c of CASES) {
    const why = skipReason(b, c);
    if (why) { console.log(`| ${c.name} | ${why} | |`); continue; }
    const calls: [OpName, unknown][] = [];
    const keep: Disposable[] = [];
    const out = c.make(rng(c.seed)).run(recording(b, calls), keep);
    await b.flush();
    const [op, args] = calls[calls.length - 1];
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      b.run(op, args as never);
      await b.flush();
      times.push(performance.now() - t0);
    }
    const ms = times.sort((x, y) => x - y)[Math.floor(reps / 2)];
    const flops = opFlops(op, args as OpArgs[typeof op]);
    console.log(`| ${c.name} | ${ms.toFixed(3)} | ${flops ? (flops / ms / 1e6).toFixed(2) : ""} |`);
    out.dispose();
    keep.forEach((t) => t.dispose());
  }
  b.dispose();
}

await bench(`wasm ×${values.threads}`, await createBackend("wasm", { threads: Number(values.threads) }));
try {
  await bench("webgpu", await createBackend("webgpu"));
} catch (e) {
  console.log(`\n### webgpu: skipped: ${(e as Error).message}`);
}
process.exit(0);
