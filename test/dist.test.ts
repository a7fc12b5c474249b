// The published bundle (dist/, made by `npm run build:bundle`) loads and computes the same embeddings as the
// sources, including the Wasm worker chunk with 2 threads and the `germ` bin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { execFileSync } from "node:child_process";
import { GermModel } from "../src/pipeline/germ-model.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";

const root = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const dist = join(root, "dist", "node.js");
const fixtures = fixturesDir();
const skip = !fixtures ? NO_FIXTURES : !existsSync(dist) ? "skipped: dist/ not built (npm run build:bundle)" : false;

test("dist/node.js embeds like the sources (wasm, 2 threads)", { skip }, async () => {
  const bundled = (await import(pathToFileURL(dist).href)) as { GermModel: typeof GermModel };
  const dir = join(fixtures!, "tiny-softmax1");
  const text = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACA"];
  const a = await bundled.GermModel.fromPretrained(dir, { device: "wasm", threads: 2 });
  const b = await GermModel.fromPretrained(dir, { device: "wasm", threads: 1 });
  try {
    assert.equal(a.backend, "wasm");
    assert.deepEqual(await a.embed(text), await b.embed(text));
  } finally { a.dispose(); b.dispose(); }
});

test("dist/cli.js answers --version", { skip: existsSync(join(root, "dist", "cli.js")) ? false : "skipped: dist/ not built" }, () => {
  assert.match(execFileSync(process.execPath, [join(root, "dist", "cli.js"), "--version"], { encoding: "utf8" }), /^germ-js \d+\.\d+\.\d+/);
});

test("germ-js/ops (dist/ops.js) exposes the op layer: a backend, a weight, a linear", { skip }, async () => {
  const ops = await import(pathToFileURL(join(root, "dist", "ops.js")).href);
  const b = await ops.createBackend("reference");
  const y = ops.linear(ops.Tensor.from(b, new Float32Array([1, 2]), [1, 2]), ops.Weight.from(b, new Float32Array([3, 4]), [1, 2]));
  assert.deepEqual([...(await y.data())], [11]);
  assert.equal(b.supports("linear", { format: "f16" }), true);
  b.dispose();
});

test("dist/: the bin keeps its shebang; comments are gone except the bundler directives germ-js needs", { skip: existsSync(join(root, "dist", "cli.js")) ? false : "skipped: dist/ not built" }, () => {
  assert.ok(readFileSync(join(root, "dist", "cli.js"), "utf8").startsWith("#!/usr/bin/env node\n"), "npx germ needs the shebang");
  const chunks = readdirSync(join(root, "dist", "chunks")).map((f) => readFileSync(join(root, "dist", "chunks", f), "utf8"));
  assert.ok(!chunks.some((c) => c.includes("@example")), "doc comments stripped (they live in dist/types)");
  const directives = chunks.join("\n").match(/import\(\/\* webpackIgnore: true \*\/ \/\* @vite-ignore \*\/ \w+\)/g) ?? [];
  assert.ok(directives.length >= 3, `non-literal imports keep webpackIgnore + @vite-ignore (found ${directives.length})`);
});
