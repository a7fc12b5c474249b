// enableRelaxedSimd: on Node 20 it turns V8's relaxed-SIMD flag on, so the FMA build is picked; the germ CLI does it
// (GERM_RELAXED_SIMD=0 keeps V8's default). Each case runs in a fresh process: the flag is process-wide, and the
// test runner's own process must keep the build the other tests expect. The relaxed build's numbers are checked by
// `npm run test:node:relaxed` (goldens and conformance on Node with the flag).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const fixtures = fixturesDir();

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

/** Whether relaxed SIMD validates in a fresh process without flags (Node ≥ 22: yes; Node 20: no). */
async function onByDefault(): Promise<boolean> {
  const probe = pathToFileURL(join(root, "build/src/backend/wasm/probe.js")).href;
  const r = await run(["--input-type=module", "-e", `import { hasFeature } from ${JSON.stringify(probe)}; console.log(hasFeature("relaxed"));`]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim() === "true";
}

test("enableRelaxedSimd makes the relaxed build the one a Wasm backend picks", async () => {
  const index = pathToFileURL(join(root, "build/src/index.js")).href;
  const create = pathToFileURL(join(root, "build/src/backend/create.js")).href;
  const script = `import { enableRelaxedSimd } from ${JSON.stringify(index)}; import { createBackend } from ${JSON.stringify(create)};
    const before = (await createBackend("wasm", { threads: 1 })).caps.build;
    const ok = await enableRelaxedSimd();
    const after = (await createBackend("wasm", { threads: 1 })).caps.build;
    console.log(JSON.stringify({ before, ok, after }));`;
  const r = await run(["--input-type=module", "-e", script]);
  assert.equal(r.code, 0, r.stderr);
  const { before, ok, after } = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert.equal(ok, true);
  assert.equal(after, "relaxed");
  assert.equal(before, (await onByDefault()) ? "relaxed" : "simd");
});

test("the germ CLI runs the relaxed build (GERM_RELAXED_SIMD=0: V8's default) with the same embeddings within the goldens' tolerance", {
  skip: fixtures ? false : NO_FIXTURES,
}, async () => {
  const cli = join(root, "build/src/cli/main.js"), model = join(fixtures!, "tiny-softmax1");
  const seqs = ">a\nACGTACGTTTGACCA\n>b\nGGGCCCAATTACGATCGATCGGA\n";
  const embed = (env: Record<string, string>) => new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
    const child = execFile(process.execPath, [cli, "embed", "-", "--model", model, "--device", "wasm", "--threads", "1", "--verbose"],
      { env: { ...process.env, ...env } }, (err, stdout, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
    child.stdin!.end(seqs);
  });
  const [relaxed, plain] = [await embed({}), await embed({ GERM_RELAXED_SIMD: "0" })];
  assert.equal(relaxed.code, 0, relaxed.stderr);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(relaxed.stderr, /on wasm \(relaxed, 1 thread/);
  assert.match(plain.stderr, (await onByDefault()) ? /on wasm \(relaxed, 1 thread/ : /on wasm \(simd, 1 thread/);
  const rows = (s: string) => s.trimEnd().split("\n").map((l) => JSON.parse(l) as { id: string; embedding: number[] });
  const a = rows(relaxed.stdout), b = rows(plain.stdout);
  assert.deepEqual(a.map((r) => r.id), ["a", "b"]);
  // FMA vs mul + add: the fixtures' tolerance (1e-4 + 1e-4·|x|) between the two builds, as between either and the goldens.
  a.forEach((r, i) => r.embedding.forEach((x, j) => assert.ok(Math.abs(x - b[i]!.embedding[j]!) <= 1e-4 + 1e-4 * Math.abs(x), `${r.id}[${j}]`)));
});
