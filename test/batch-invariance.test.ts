// Results do not depend on the batching (issue: reliability): the same sequence's hidden states are bit-identical
// alone, in batches of 3 or 16, in reverse order and beside other sequences — on reference, Wasm ×1/×2 and WebGPU.
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
  test(`batch-invariant on ${device}${threads ? ` ×${threads}` : ""}: alone = batches of 3 / 16 = reversed = mixed with others, bit for bit`, { skip }, async () => {
    const load = (batchSize: number) => GermModel.fromPretrained(dirSource(join(FIX!, "tiny-softmax1-cls")), { device, threads, batchSize });
    const one = await load(1), three = await load(3), many = await load(16);
    try {
      const alone = (await one.forward(SEQS)).lastHiddenState;
      const runs: [string, Float32Array[]][] = [
        ["batch 3", (await three.forward(SEQS)).lastHiddenState],
        ["batch 16", (await many.forward(SEQS)).lastHiddenState],
        ["reversed", (await many.forward([...SEQS].reverse())).lastHiddenState.reverse()],
        ["mixed", (await many.forward([OTHERS[0], ...SEQS.slice(0, 4), OTHERS[1], ...SEQS.slice(4), OTHERS[2]])).lastHiddenState.filter((_, i) => i !== 0 && i !== 5 && i !== 11)],
      ];
      for (const [what, got] of runs) got.forEach((h, i) => assert.deepEqual(h, alone[i], `${what}: sequence ${i} (${SEQS[i].length} bp)`));
      const [c1, c16] = [await one.classify(SEQS), await many.classify([...SEQS].reverse())];
      c16.reverse().forEach((c, i) => assert.deepEqual(c.logits, c1[i].logits, `classify logits ${i}`));
    } finally { [one, three, many].forEach((m) => m.dispose()); }
  });
}
