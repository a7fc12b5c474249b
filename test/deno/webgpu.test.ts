// Deno entry for the WebGPU suites: Deno's built-in WebGPU (wgpu, which accepts Debian's stock lavapipe) runs the
// shared conformance CASES and the compiled golden suite. Build first (npm run build:ts), then:
//   npx deno test -A --no-check test/deno/webgpu.test.ts        (or build/test/deno/webgpu.test.js)
// Node also loads this file when it runs build/test/, so it registers nothing outside Deno.
import { test } from "node:test";
import assert from "node:assert/strict";

if ("Deno" in globalThis) {
  // From test/deno/ (source) or build/test/deno/ (compiled): find the repository root either way.
  const here = import.meta.url;
  const root = new URL(here.includes("/build/test/deno/") ? "../../../" : "../../", here);
  const load = (p: string) => import(new URL(`build/${p}`, root).href);
  const { createBackend } = await load("src/backend/backend.js");
  const { CASES, unsupportedReason } = await load("test/conformance/cases.js");
  const { compare } = await load("test/helpers/compare.js");
  const reference = await createBackend("reference");
  // Deno's node:test drops tests registered after an await inside an async describe(), which is how
  // conformance.test.ts is written; so the same CASES are registered here at top level.
  let webgpu: any = null, reason = "";
  try { webgpu = await createBackend("webgpu"); } catch (e) { reason = (e as Error).message; }
  const skip = webgpu || process.env.CI === "true" ? false : `skipped: ${reason}`;
  const outputOf = async (b: any, c: any) => {
    const keep: any[] = [];
    const out = c.run(b, keep);
    try { return { shape: out.shape, data: await out.data() }; } finally { out.dispose(); keep.forEach((t) => t.dispose()); }
  };
  for (const c of CASES) {
    const why = webgpu ? unsupportedReason(webgpu, c) : null;
    test(`conformance webgpu (deno): ${c.name}`, { skip: skip || (why !== null && `skipped: ${why}`) }, async () => {
      assert.ok(webgpu, `no WebGPU backend: ${reason}`);
      const want = await outputOf(reference, c), got = await outputOf(webgpu, c);
      assert.deepEqual(got.shape, want.shape);
      const r = compare(got.data, want.data, c.atol, c.rtol);
      assert.ok(r.ok, `${c.name}: max |err| ${r.maxAbs} at ${r.worstIndex}`);
    });
  }
  test("conformance webgpu (deno): no buffers leak", { skip }, () => {
    assert.equal(webgpu.stats().buffers, 0);
    webgpu.dispose();
  });
  await load("test/webgpu-backend.test.js");
  await load("test/golden-webgpu.test.js");
}
