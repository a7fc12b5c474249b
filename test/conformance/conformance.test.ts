// Node entry of the conformance suite (harness.ts): every case on each backend of GERM_BACKENDS against the
// reference backend, plus the gradient-mode cases. WebGPU here is Dawn (real GPU, or lavapipe/SwiftShader).
import { test } from "node:test";
import { registerConformance, registerGradients, openBackend, type Register } from "./harness.js";
import { selectCases } from "./cases.js";
import { backendsUnderTest } from "../helpers/backends.js";
import { quickOnSoftwareGpu } from "../helpers/golden-checks.js";
import { FULL_TESTS } from "../helpers/golden.js";

const register: Register = (name, skip, fn) => { test(name, { skip }, fn); };

registerGradients(register);
for (const { name, threads } of backendsUnderTest()) {
  const backend = await openBackend(name as "wasm" | "webgpu", threads);
  // A missing adapter is a skip locally, a failure under CI=true (WebGPU runs on software Vulkan there).
  // A software GPU adapter outside CI runs the representative subset (OpCase.quick); CI=true runs every case.
  const quick = typeof backend !== "string" && name === "webgpu" && quickOnSoftwareGpu(backend.caps.description, FULL_TESTS);
  registerConformance(register, `conformance ${name}${threads ? ` ×${threads}` : ""}${quick ? " (quick subset)" : ""}`, backend, selectCases(quick),
    { requireBackend: process.env.CI === "true" });
}
