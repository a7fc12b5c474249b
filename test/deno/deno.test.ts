// Deno entry (`npm run test:deno` runs `deno test -A build/test/deno/`): the conformance suite on Wasm ×1 and ×2,
// the Wasm goldens, the Wasm backend tests and the fine-tuning tests, unchanged, under Deno's node:test support.
// Under Node (`node --test build/test/`) this file does nothing: those suites already run there directly.
import { test } from "node:test";
import { registerConformance, openBackend, type Register } from "../conformance/harness.js";
import { CASES } from "../conformance/cases.js";

if ("Deno" in globalThis) {
  const register: Register = (name, skip, fn) => { test(name, { skip }, fn); };
  for (const threads of [1, 2]) {
    registerConformance(register, `conformance (deno) wasm ×${threads}`, await openBackend("wasm", threads), CASES, { requireBackend: true });
  }
  await import("../golden-wasm.test.js");
  await import("../wasm-backend.test.js");
  // LoRA fine-tuning: the training goldens (reference, Wasm, and WebGPU through Deno's wgpu) and the fineTune API on Wasm.
  await import("../train.test.js");
  await import("../fine-tune.test.js");
}
