// Node entry of the conformance suite (harness.ts): every case on each backend of GERM_BACKENDS against the
// reference backend, plus the gradient-mode cases. WebGPU here is Dawn (real GPU, or lavapipe/SwiftShader).
import { test } from "node:test";
import { registerConformance, registerGradients, openBackend, type Register } from "./harness.js";
import { CASES } from "./cases.js";
import { backendsUnderTest } from "../helpers/backends.js";

const register: Register = (name, skip, fn) => { test(name, { skip }, fn); };

registerGradients(register);
for (const { name, threads } of backendsUnderTest()) {
  const backend = await openBackend(name as "wasm" | "webgpu", threads);
  // A missing adapter is a skip locally, a failure under CI=true (WebGPU runs on software Vulkan there).
  registerConformance(register, `conformance ${name}${threads ? ` ×${threads}` : ""}`, backend, CASES,
    { requireBackend: process.env.CI === "true" });
}
