// How the Wasm backend meets its hosts: feature probes that agree with the full builds, precompiled modules from
// env.wasmModules (edge runtimes), a runtime that forbids compiling (unavailable, so `auto` falls back), and
// worker threads that start without worker.js beside the code (a bundled app: the inline eval/blob worker).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { bytesOf, compiled, pickVariant, type Variant } from "../src/backend/wasm/loader.js";
import { hasFeature } from "../src/backend/wasm/probe.js";
import { createBackend } from "../src/backend/create.js";
import { env } from "../src/env.js";
import { GermModel } from "../src/pipeline/germ-model.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";

const root = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const fixtures = fixturesDir();

test("the tiny feature probes answer as validating each full build does", async () => {
  const need: Record<Variant, ("simd" | "relaxed" | "threads")[]> = {
    "simd": ["simd"], "relaxed": ["simd", "relaxed"], "simd-mt": ["simd", "threads"], "relaxed-mt": ["simd", "relaxed", "threads"],
  };
  for (const v of Object.keys(need) as Variant[]) {
    const full = WebAssembly.validate((await bytesOf(v)) as BufferSource);
    assert.equal(need[v].every(hasFeature), full, `${v}: probes ${need[v].map((f) => `${f}=${hasFeature(f)}`).join(" ")}, full build validates: ${full}`);
  }
});

test("env.wasmModules: only the precompiled builds given are used; a missing one is named", async () => {
  const simd = await compiled("simd");
  env.wasmModules = { simd };
  try {
    assert.equal(pickVariant(false), "simd");
    assert.equal(await compiled("simd"), simd);
    const b = await createBackend("wasm", { threads: 1 });
    assert.equal(b.caps.build, "simd");
    b.dispose();
    const mt = pickVariant(true);
    assert.ok(typeof mt !== "string" && /no simd-mt or relaxed-mt build/.test(mt.unavailable), JSON.stringify(mt));
    env.wasmModules = { relaxed: simd }; // a relaxed entry is taken only where relaxed SIMD validates
    const only = pickVariant(false);
    if (hasFeature("relaxed")) assert.equal(only, "relaxed");
    else assert.ok(typeof only !== "string" && /env\.wasmModules has no simd or relaxed build/.test(only.unavailable));
  } finally {
    env.wasmModules = null;
  }
});

/** Runs `body` (an ES module's source) in a fresh Node process; returns its stdout. */
function runNode(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), "germ-host-"));
  try {
    writeFileSync(join(dir, "main.mjs"), body);
    return execFileSync(process.execPath, [join(dir, "main.mjs")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

test("a runtime that forbids compiling Wasm: the backend is unavailable with the fix named, auto falls back to reference", { skip: fixtures ? false : NO_FIXTURES }, () => {
  const src = (p: string) => JSON.stringify(pathToFileURL(join(root, "build/src", p)).href);
  const out = runNode(`
    // As workerd does: compiling from bytes throws; instantiating a given Module would still work.
    const refuse = () => { throw new WebAssembly.CompileError("WebAssembly.compile(): Wasm code generation disallowed by embedder"); };
    WebAssembly.compile = async () => refuse();
    WebAssembly.Module = function () { refuse(); };
    const { createWasmBackend } = await import(${src("backend/wasm/wasm.js")});
    const { GermModel } = await import(${src("pipeline/germ-model.js")});
    const { env } = await import(${src("env.js")});
    env.logLevel = "error";
    const r = await createWasmBackend({ threads: 1 });
    const m = await GermModel.fromPretrained(${JSON.stringify(join(fixtures ?? "", "tiny-softmax1"))}, { device: "auto" });
    console.log(JSON.stringify({ unavailable: r.unavailable ?? null, auto: m.backend }));
    m.dispose();
  `);
  const r = JSON.parse(out.trim().split("\n").pop()!);
  assert.equal(r.auto, "reference");
  assert.match(r.unavailable, /does not compile WebAssembly at run time \(.*disallowed by embedder\).*germ-js\/wasm\/simd\.wasm.*env\.wasmModules = \{ simd \}/);
});

test("threads start without worker.js beside the code (esbuild-bundled Node app: eval worker), same numbers", { skip: !fixtures ? NO_FIXTURES : !existsSync(join(root, "dist/node.js")) ? "skipped: dist/ not built" : false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "germ-bundled-"));
  try {
    const model = join(fixtures!, "tiny-softmax1");
    writeFileSync(join(dir, "app.mjs"), `import { GermModel } from ${JSON.stringify(join(root, "dist/node.js"))};
      const m = await GermModel.fromPretrained(${JSON.stringify(model)}, { device: "wasm", threads: 2 });
      console.log(JSON.stringify({ info: m.info, e: (await m.embed(["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACA"])).map((v) => [...v]) }));
      m.dispose();`);
    execFileSync(join(root, "node_modules/.bin/esbuild"), ["app.mjs", "--bundle", "--platform=node", "--format=esm", "--log-level=error", "--outfile=out/app.mjs"], { cwd: dir });
    assert.ok(!existsSync(join(dir, "out/worker.js")), "the bundle has no worker.js beside it");
    const r = JSON.parse(execFileSync(process.execPath, [join(dir, "out/app.mjs")], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n").pop()!);
    assert.equal(r.info.threads, 2);
    const ref = await GermModel.fromPretrained(model, { device: "wasm", threads: 1 });
    try {
      assert.deepEqual(r.e, (await ref.embed(["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACA"])).map((v) => [...v]), "bit-identical to 1 thread");
    } finally { ref.dispose(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
