// The model golden suite for Node and Deno (node:test): every fixture model, both checkpoint formats, on one
// backend, against the PyTorch reference outputs in test/fixtures. The checks are in golden-checks.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { GermModel } from "../../src/pipeline/germ-model.js";
import type { ModelSource } from "../../src/io/checkpoint.js";
import type { BackendName } from "../../src/contract/backend.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./fixtures.js";
import { GOLDEN_LORA, GOLDEN_MODELS, GOLDEN_QUICK, GOLDEN_TOL_F16, GOLDEN_TOL_F32, checkGolden, fixtureSource, goldenLookup } from "./golden-checks.js";

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
/** Wall time per fixture/format (load + every check), for the same report. */
const timeReport: Record<string, number> = {};

/** Whether the full test set was asked for (CI=true or GERM_FULL=1), rather than the quick software-GPU subsets. */
export const FULL_TESTS = process.env.CI === "true" || process.env.GERM_FULL === "1";

/**
 * `dtype: "f16"` loads f16 GEMM weights and checks within GOLDEN_TOL_F16; `skip` skips every test with that message;
 * `quick` runs only GOLDEN_QUICK (the others are skipped, saying so).
 */
export function runGoldenSuite(device: BackendName, opts: { threads?: number; dtype?: "f32" | "f16"; skip?: string; quick?: boolean } = {}): void {
  const root = fixturesDir();
  const dtype = opts.dtype ?? "f32";
  const tag = `${device}${opts.threads ? ` ×${opts.threads}` : ""}${dtype === "f32" ? "" : ` ${dtype}`}`;
  const skip = opts.skip ?? (root ? false : NO_FIXTURES);
  for (const name of GOLDEN_MODELS) {
    const dir = root ? join(root, name) : "";
    const formats = root && existsSync(join(dir, "pytorch_model.bin")) ? ["safetensors", "bin"] : ["safetensors"];
    for (const format of formats) {
      const out = opts.quick && !(GOLDEN_QUICK.models.includes(name) && GOLDEN_QUICK.formats.includes(format));
      const why = out ? "skipped: outside the quick software-GPU subset (CI=true or GERM_FULL=1 runs it)" : false;
      test(`golden ${name} (${format}) on ${tag}`, { skip: skip || why }, async () => {
        const hide = format === "bin" ? ["model.safetensors"] : ["pytorch_model.bin"];
        const t0 = performance.now();
        const model = await GermModel.fromPretrained(dirSource(dir, hide), { device, threads: opts.threads, dtype });
        try {
          assert.equal(model.backend, device);
          const tol = dtype === "f16" ? GOLDEN_TOL_F16 : GOLDEN_TOL_F32;
          errorReport[`${name}/${format}/${tag}`] = await checkGolden(model, readJson(join(dir, "golden.json")), goldenArrays(dir), tol);
          timeReport[`${name}/${format}/${tag}`] = performance.now() - t0;
        } finally {
          model.dispose();
        }
      });
    }
  }
  // The LoRA golden (in the quick subset too: adapters are what GERM fine-tuning produces).
  test(`golden ${GOLDEN_LORA.adapter} (adapter over ${GOLDEN_LORA.base}) on ${tag}`, { skip }, async () => {
    const dir = join(root!, GOLDEN_LORA.adapter);
    const t0 = performance.now();
    const model = await GermModel.fromPretrained(dirSource(join(root!, GOLDEN_LORA.base)), { device, threads: opts.threads, dtype });
    try {
      await model.loadAdapter("lora", dirSource(dir));
      const tol = dtype === "f16" ? GOLDEN_TOL_F16 : GOLDEN_TOL_F32;
      const key = `${GOLDEN_LORA.adapter}/safetensors/${tag}`;
      errorReport[key] = await checkGolden(model, readJson(join(dir, "golden.json")), goldenArrays(dir), tol, { adapter: "lora" });
      timeReport[key] = performance.now() - t0;
    } finally {
      model.dispose();
    }
  });
  test(`golden error report (${tag})`, { skip }, () => {
    for (const [k, v] of Object.entries(errorReport)) {
      if (k.endsWith(`/${tag}`)) console.log(`# max |err| ${k}: ${v.toExponential(2)} (${timeReport[k].toFixed(0)} ms)`);
    }
  });
}
