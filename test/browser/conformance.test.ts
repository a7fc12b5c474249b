// The shared op conformance CASES on WebGPU in headless Chromium (SwiftShader), against the reference backend.
// Node also loads this file when it runs build/test/, so it registers nothing outside a page.
import { createBackend, type Backend } from "../../src/backend/backend.js";
import { CASES, unsupportedReason, type OpCase } from "../conformance/cases.js";

declare const describe: (name: string, fn: () => void) => void;
declare const it: (name: string, fn: (this: { skip(): void }) => Promise<void>) => void;
declare const before: (fn: (this: { skip(): void }) => Promise<void>) => void;
declare const after: (fn: () => void) => void;

async function output(b: Backend, c: OpCase): Promise<Float32Array> {
  const keep: { dispose(): void }[] = [];
  const out = c.run(b, keep as never);
  try { return await out.data(); } finally { out.dispose(); keep.forEach((t) => t.dispose()); }
}

if (typeof describe === "function" && typeof (globalThis as { document?: unknown }).document !== "undefined") {
  describe("conformance in Chromium on webgpu", () => {
    let gpu: Backend | null = null, ref: Backend;
    const worst: Record<string, number> = {};
    before(async function () {
      ref = await createBackend("reference");
      const env = await (await fetch("/__germ_env__.json")).json() as { ci: boolean };
      try { gpu = await createBackend("webgpu"); } catch (e) {
        if (env.ci) throw e; // SwiftShader WebGPU is always there with --enable-unsafe-webgpu: missing is a failure in CI
        console.warn(`skipped: webgpu unavailable in Chromium: ${(e as Error).message}`);
        this.skip();
      }
    });
    for (const c of CASES) {
      it(c.name, async function () {
        const why = unsupportedReason(gpu!, c);
        if (why !== null) { console.warn(`skipped ${c.name}: ${why}`); this.skip(); }
        const want = await output(ref, c), got = await output(gpu!, c);
        if (got.length !== want.length) throw new Error(`length ${got.length} ≠ ${want.length}`);
        let m = 0;
        for (let i = 0; i < want.length; i++) {
          const d = Math.abs(got[i] - want[i]);
          if (!(d <= c.atol + c.rtol * Math.abs(want[i]))) throw new Error(`[${i}]: got ${got[i]}, want ${want[i]}`);
          m = Math.max(m, d);
        }
        const k = `${c.op}${/ ×\d/.test(c.name) ? " (scaled)" : ""}`;
        worst[k] = Math.max(worst[k] ?? 0, m);
      });
    }
    it("no buffers leak", async () => {
      const live = gpu!.stats().buffers;
      gpu!.dispose();
      if (live !== 0) throw new Error(`${live} webgpu buffers still live after every case disposed its tensors`);
    });
    after(() => {
      console.log(`conformance max |err| (webgpu/chromium): ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join("; ")}`);
    });
  });
}
