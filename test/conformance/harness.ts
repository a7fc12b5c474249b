// The one conformance runner: every case on a backend under test against the reference backend, a skip with the
// backend's own reason (Backend.supports) for what it cannot run, then a leak check. Isomorphic (no node: imports):
// the Node, Deno and Chromium entries only say how to register a test in their runner.
import type { Backend } from "../../src/contract/backend.js";
import { createBackend } from "../../src/backend/create.js";
import { check, checkGradient } from "../helpers/compare.js";
import { rng } from "../helpers/rng.js";
import { GRADIENT_CASES, type CaseInputs, type Disposable, type OpCase } from "./cases.js";

/** How an entry registers one test: `skip` is false or the reason printed for the skip. */
export type Register = (name: string, skip: string | false, fn: () => Promise<void>) => void;

/** Run one case's inputs on a backend; the output values and shape, everything made disposed. */
export async function output(b: Backend, inputs: CaseInputs): Promise<{ shape: readonly number[]; data: Float32Array }> {
  const keep: Disposable[] = [];
  let out: { shape: readonly number[]; data(): Promise<Float32Array>; dispose(): void } | null = null;
  try {
    out = inputs.run(b, keep);
    return { shape: out.shape, data: await out.data() };
  } finally {
    out?.dispose();
    keep.forEach((t) => t.dispose());
  }
}

/** Why `backend` skips case `c` (its supports() answer), or false when it runs it. */
export function skipReason(backend: Backend, c: OpCase): string | false {
  const ok = backend.supports(c.op, c.needs as never);
  return ok === true ? false : `skipped: ${backend.name}: ${ok.reason}`;
}

/** The worst measured error per op, filled as cases pass (entries print it). */
export type WorstByOp = Record<string, number>;

/**
 * Register `cases` for `backend` (or a string saying why there is none: every case then skips with it, unless
 * `requireBackend`, when the first test fails with it). Each unsupported case is a skip that prints the backend's
 * own reason. Open the backend before registering (Deno's node:test drops tests added inside an async describe).
 */
export function registerConformance(register: Register, label: string, backend: Backend | string, cases: readonly OpCase[],
  opts: { requireBackend?: boolean } = {}): WorstByOp {
  const worst: WorstByOp = {};
  const b = typeof backend === "string" ? null : backend;
  const none = typeof backend === "string" ? `skipped: ${backend}` : false;
  let reference: Promise<Backend> | null = null;
  const ref = () => (reference ??= createBackend("reference"));
  register(`${label}: backend available`, opts.requireBackend ? false : none, async () => {
    if (!b) throw new Error(`${label}: no backend: ${String(backend)}`);
    console.log(`# ${label}: ${b.caps.description}`);
  });
  for (const c of cases) {
    register(`${label}: ${c.name}`, none || (b ? skipReason(b, c) : false), async () => {
      const inputs = c.make(rng(c.seed));
      const want = await output(await ref(), inputs), got = await output(b!, inputs);
      if (got.shape.join() !== want.shape.join()) throw new Error(`${c.name}: shape [${got.shape}] ≠ reference [${want.shape}]`);
      const e = check(got.data, want.data, c.tol, `${c.name} on ${label}`);
      worst[c.op] = Math.max(worst[c.op] ?? 0, e);
      if (c.invariant) check((await output(b!, c.invariant(rng(c.seed)))).data, got.data, { mode: "exact" }, `${c.name} on ${label}, computed another way`);
    });
  }
  register(`${label}: no buffers leak`, none, async () => {
    (await ref()).dispose();
    const live = b!.stats().buffers;
    b!.dispose();
    if (live !== 0) throw new Error(`${label}: ${live} buffers still live after every case disposed its tensors`);
    console.log(`# ${label}: worst measured error per op: ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(", ")}`);
  });
  return worst;
}

/** Open a backend for a conformance entry: the backend, or why there is none. */
export async function openBackend(name: "wasm" | "webgpu" | "reference", threads?: number): Promise<Backend | string> {
  try { return await createBackend(name, { threads }); } catch (e) { return (e as Error).message; }
}

/** The gradient cases (analytic vs central differences) on the reference backend. */
export function registerGradients(register: Register): void {
  for (const g of GRADIENT_CASES) {
    register(`gradient (reference): ${g.name}`, false, async () => {
      const b = await createBackend("reference");
      try {
        const { x, f, grad } = g.make(rng(g.seed));
        const analytic = typeof grad === "function" ? await grad(b) : grad;
        const e = await checkGradient((xs) => f(b, xs), x, analytic, g.name, g.tol);
        console.log(`# gradient ${g.name}: max |analytic − finite difference| ${e.toExponential(2)}`);
      } finally { b.dispose(); }
    });
  }
}
