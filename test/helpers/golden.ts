// The model golden suite for Node and Deno (node:test): every fixture model, both checkpoint formats, on one
// backend, against the PyTorch reference outputs in ../shared/fixtures. The checks are in golden-checks.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { GermModel } from "../../src/pipeline/germ-model.js";
import type { ModelSource } from "../../src/io/checkpoint.js";
import type { BackendName } from "../../src/backend/backend.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./fixtures.js";
import { GOLDEN_MODELS, checkGolden, fixtureSource, goldenLookup } from "./golden-checks.js";

export { GOLDEN_MODELS };

/** A directory source that can hide files, to force one checkpoint format. */
export function dirSource(dir: string, hide: string[] = []): ModelSource {
  return fixtureSource(dir, async (file) => {
    const p = join(dir, file);
    return existsSync(p) ? new Uint8Array(readFileSync(p)) : null;
  }, hide);
}

export function goldenArrays(dir: string): (name: string) => Float32Array {
  return goldenLookup(new Uint8Array(readFileSync(join(dir, "golden.safetensors"))));
}

/** Max abs error per fixture/format, filled as tests run (printed at the end for the closing note). */
export const errorReport: Record<string, number> = {};

export function runGoldenSuite(device: BackendName, opts: { threads?: number } = {}): void {
  const root = fixturesDir();
  const tag = `${device}${opts.threads ? ` ×${opts.threads}` : ""}`;
  for (const name of GOLDEN_MODELS) {
    const dir = root ? join(root, name) : "";
    const formats = root && existsSync(join(dir, "pytorch_model.bin")) ? ["safetensors", "bin"] : ["safetensors"];
    for (const format of formats) {
      test(`golden ${name} (${format}) on ${tag}`, { skip: root ? false : NO_FIXTURES }, async () => {
        const hide = format === "bin" ? ["model.safetensors"] : ["pytorch_model.bin"];
        const model = await GermModel.fromPretrained(dirSource(dir, hide), { device, threads: opts.threads });
        try {
          assert.equal(model.backend, device);
          errorReport[`${name}/${format}/${tag}`] = await checkGolden(model, readJson(join(dir, "golden.json")), goldenArrays(dir));
        } finally {
          model.dispose();
        }
      });
    }
  }
  test(`golden error report (${tag})`, { skip: root ? false : NO_FIXTURES }, () => {
    for (const [k, v] of Object.entries(errorReport)) console.log(`# max |err| ${k}: ${v.toExponential(2)}`);
  });
}
