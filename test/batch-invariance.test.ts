// Results do not depend on the batching (issue: reliability): the same sequence's hidden states are bit-identical
// alone, in batches of 3 or 16, in reverse order and beside other sequences, in batches cut by a token budget
// (maxBatchTokens, at load or per call; embedWindows and embedTokens too) — on reference, Wasm ×1/×2 and WebGPU.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { GermModel } from "../src/pipeline/germ-model.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";
import { dirSource } from "./helpers/golden.js";
import { createBackend } from "../src/backend/create.js";
import { rng } from "../src/contract/random.js";

const FIX = fixturesDir();
const r = rng(99);
const dna = (n: number) => Array.from({ length: n }, () => "ACGT"[Math.floor(r() * 4)]).join("");
const SEQS = [5, 40, 17, 120, 1, 63, 64, 65, 9].map(dna);
const OTHERS = [33, 7, 200].map(dna);

async function available(device: "webgpu"): Promise<string | false> {
  try { (await createBackend(device)).dispose(); return false; } catch (e) { return `skipped: ${(e as Error).message}`; }
}

for (const [device, threads] of [["reference", undefined], ["wasm", 1], ["wasm", 2], ["webgpu", undefined]] as const) {
  const skip = !FIX ? NO_FIXTURES : device === "webgpu" && process.env.CI !== "true" ? await available("webgpu") : false;
  test(`batch-invariant on ${device}${threads ? ` ×${threads}` : ""}: alone = batches of 3 / 16 = reversed = mixed with others = token budgets, bit for bit`, { skip }, async () => {
    const load = (batchSize?: number, maxBatchTokens?: number) => GermModel.fromPretrained(dirSource(join(FIX!, "tiny-softmax1-cls")), { device, threads, batchSize, maxBatchTokens });
    const one = await load(1), three = await load(3), many = await load(16), budget = await load(undefined, 100);
    try {
      const alone = (await one.forward(SEQS)).lastHiddenState;
      const runs: [string, Float32Array[]][] = [
        ["batch 3", (await three.forward(SEQS)).lastHiddenState],
        ["batch 16", (await many.forward(SEQS)).lastHiddenState],
        ["reversed", (await many.forward([...SEQS].reverse())).lastHiddenState.reverse()],
        ["mixed", (await many.forward([OTHERS[0], ...SEQS.slice(0, 4), OTHERS[1], ...SEQS.slice(4), OTHERS[2]])).lastHiddenState.filter((_, i) => i !== 0 && i !== 5 && i !== 11)],
        // Token budgets: at load (100: rows of ~30 tokens pair up, the 120 bp one runs alone), per call (1: one
        // sequence per batch; 10000: everything in one batch, beyond batchSize 16's cut of the mixed run).
        ["maxBatchTokens 100 (load)", (await budget.forward(SEQS)).lastHiddenState],
        ["maxBatchTokens 1 (call)", (await many.forward(SEQS, { maxBatchTokens: 1 })).lastHiddenState],
        ["maxBatchTokens 10000 (call)", (await budget.forward([...OTHERS, ...SEQS, ...OTHERS, ...OTHERS], { maxBatchTokens: 10000 })).lastHiddenState.slice(3, 3 + SEQS.length)],
        ["embedTokens maxBatchTokens 60", (await three.embedTokens(SEQS, { maxBatchTokens: 60 })).map((t) => t.vectors)],
      ];
      for (const [what, got] of runs) got.forEach((h, i) => assert.deepEqual(h, alone[i], `${what}: sequence ${i} (${SEQS[i].length} bp)`));
      const [c1, c16] = [await one.classify(SEQS), await many.classify([...SEQS].reverse())];
      c16.reverse().forEach((c, i) => assert.deepEqual(c.logits, c1[i].logits, `classify logits ${i}`));
      (await budget.classify(SEQS, { maxBatchTokens: 45 })).forEach((c, i) => assert.deepEqual(c.logits, c1[i].logits, `classify logits ${i}, budget 45`));
      // Windows: the same windows whatever the budget.
      const long = SEQS.join("");
      const w1 = await one.embedWindows([long, SEQS[3]], { window: { size: 80, stride: 50, unit: "bp" } });
      const w2 = await budget.embedWindows([long, SEQS[3]], { window: { size: 80, stride: 50, unit: "bp" }, maxBatchTokens: 200 });
      assert.deepEqual(w2, w1, "embedWindows under a token budget = one window per batch");
    } finally { [one, three, many, budget].forEach((m) => m.dispose()); }
  });
}
