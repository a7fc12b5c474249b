// Deno entry for the WebGPU suites: Deno's built-in WebGPU (wgpu, which accepts Debian's stock lavapipe) runs the
// conformance cases and the golden suite. On a software adapter outside CI it runs the representative subset
// (cases marked `quick`, goldens on the safetensors files only): shader compiles there take seconds each. CI=true
// runs everything. Node also loads this file when it runs build/test/, so it registers nothing outside Deno.
import { test } from "node:test";
import { registerConformance, openBackend, type Register } from "../conformance/harness.js";
import { selectCases } from "../conformance/cases.js";
import { quickOnSoftwareGpu } from "../helpers/golden-checks.js";

if ("Deno" in globalThis) {
  const register: Register = (name, skip, fn) => { test(name, { skip }, fn); };
  const backend = await openBackend("webgpu");
  const full = process.env.CI === "true" || process.env.GERM_FULL === "1";
  const quick = typeof backend !== "string" && quickOnSoftwareGpu(backend.caps.description, full);
  const cases = selectCases(quick);
  if (quick) console.log(`# deno webgpu on a software adapter: ${cases.length} representative cases (CI=true or GERM_FULL=1 runs all)`);
  registerConformance(register, "conformance (deno) webgpu", backend, cases, { requireBackend: process.env.CI === "true" });
  await import("../webgpu-backend.test.js");
  await import("../golden-webgpu.test.js");
}
