// Chromium entry of the conformance suite (harness.ts) under @web/test-runner's mocha: WebGPU on SwiftShader and
// Wasm in the page. Node also loads this file when it runs build/test/, so it registers nothing outside a page.
import { registerConformance, openBackend, type Register } from "../conformance/harness.js";
import { CASES, selectCases } from "../conformance/cases.js";
import { quickOnSoftwareGpu } from "../helpers/golden-checks.js";

declare const describe: (name: string, fn: () => void) => void;
declare const it: (name: string, fn: (this: { skip(): void }) => Promise<void>) => void;

if (typeof describe === "function" && typeof (globalThis as { document?: unknown }).document !== "undefined") {
  const env = await (await fetch("/__germ_env__.json")).json() as { ci: boolean; full: boolean };
  const register: Register = (name, skip, fn) => {
    it(name, async function () {
      if (skip) { console.warn(`${name}: ${skip}`); this.skip(); }
      await fn();
    });
  };
  // SwiftShader WebGPU is always there with --enable-unsafe-webgpu: missing is a failure in CI.
  const gpu = await openBackend("webgpu");
  // SwiftShader outside CI: the representative subset (OpCase.quick); CI=true or GERM_FULL=1 runs every case.
  const quick = typeof gpu !== "string" && quickOnSoftwareGpu(gpu.caps.description, env.full);
  describe("conformance in Chromium on webgpu", () => registerConformance(register, `chromium webgpu${quick ? " (quick subset)" : ""}`, gpu, selectCases(quick), { requireBackend: env.ci }));
  const wasm = await openBackend("wasm");
  describe("conformance in Chromium on wasm", () => registerConformance(register, "chromium wasm", wasm, CASES, { requireBackend: env.ci }));
}
