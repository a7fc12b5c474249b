// One op suite against every backend: each case runs on the backend under test and on the reference backend
// with the same seeded inputs, and the outputs must agree within the case's stated tolerance.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createBackend, unavailableReason, type Backend, type BackendName } from "../../src/backend/backend.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { CASES, unsupportedReason, type OpCase } from "./cases.js";
import { compare } from "../helpers/compare.js";
import { backendsUnderTest } from "../helpers/backends.js";

async function runCase(b: Backend, c: OpCase): Promise<{ shape: readonly number[]; data: Float32Array }> {
  const keep: Tensor[] = [];
  const out = c.run(b, keep);
  try { return { shape: out.shape, data: await out.data() }; } finally { out.dispose(); keep.forEach((t) => t.dispose()); }
}

for (const { name, threads } of backendsUnderTest()) {
  describe(`conformance: ${name}${threads ? ` ×${threads}` : ""}`, async () => {
    let backend: Backend | null = null;
    let reason = "";
    try { backend = await createBackend(name as BackendName, { threads }); } catch (e) { reason = (e as Error).message; }
    const reference = await createBackend("reference");
    const skip = backend ? false : `skipped: ${unavailableReason(name as BackendName) ?? reason}`;
    for (const c of CASES) {
      const why = backend ? unsupportedReason(backend, c) : null;
      test(c.name, { skip: skip || (why !== null && `skipped: ${why}`) }, async () => {
        const want = await runCase(reference, c);
        const got = await runCase(backend!, c);
        assert.deepEqual(got.shape, want.shape);
        const r = compare(got.data, want.data, c.atol, c.rtol);
        assert.ok(r.ok, `${c.name} on ${name}: max |err| ${r.maxAbs} at ${r.worstIndex} (got ${got.data[r.worstIndex]}, ref ${want.data[r.worstIndex]})`);
      });
    }
    test("no buffers leak", { skip }, () => {
      assert.equal(backend!.stats().buffers, 0, "every conformance tensor was disposed");
      backend!.dispose();
    });
  });
}
