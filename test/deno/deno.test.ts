// Deno entry (`npm run test:deno` runs `deno test -A build/test/deno/`): the Wasm op conformance cases, the Wasm
// goldens (1 and 2 threads) and the Wasm backend tests, unchanged, under Deno's node:test support.
// Under Node (`node --test build/test/`) this file does nothing: those suites already run there directly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createBackend, type Backend } from "../../src/backend/backend.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { CASES, unsupportedReason, type OpCase } from "../conformance/cases.js";
import { compare } from "../helpers/compare.js";

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

if (isDeno) {
  const runCase = async (b: Backend, c: OpCase) => {
    const keep: Tensor[] = [];
    const out = c.run(b, keep);
    try { return { shape: out.shape, data: await out.data() }; } finally { out.dispose(); keep.forEach((t) => t.dispose()); }
  };
  // Deno's node:test does not wait for async describe() bodies, so cases are registered here at top level.
  const reference = await createBackend("reference");
  for (const threads of [1, 2]) {
    const backend = await createBackend("wasm", { threads });
    console.log(`# deno: ${backend.caps.description} (relaxed SIMD: ${backend.caps.relaxedSimd})`);
    for (const c of CASES) {
      const why = unsupportedReason(backend, c);
      test(`conformance (deno): wasm ×${threads}: ${c.name}`, { skip: why !== null && `skipped: ${why}` }, async () => {
        const want = await runCase(reference, c), got = await runCase(backend, c);
        assert.deepEqual(got.shape, want.shape);
        const r = compare(got.data, want.data, c.atol, c.rtol);
        assert.ok(r.ok, `${c.name}: max |err| ${r.maxAbs} at ${r.worstIndex}`);
      });
    }
    test(`conformance (deno): wasm ×${threads}: no buffers leak`, () => {
      assert.equal(backend.stats().buffers, 0);
      backend.dispose();
    });
  }
  await import("../golden-wasm.test.js");
  await import("../wasm-backend.test.js");
}
