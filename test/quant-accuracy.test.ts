// Quantized models against the f32 PyTorch goldens (issue: quantization): worst per-sequence cosine of the last
// hidden states, and classifier logits, for dtype q8 (W8A8) and q4 (int4, groups of 32) on every fixture model.
// On every backend that runs the format (others skip, saying why); thresholds are the issue's, measured achievable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { GermModel } from "../src/pipeline/germ-model.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./helpers/fixtures.js";
import { GOLDEN_MODELS } from "./helpers/golden-checks.js";
import { dirSource, goldenArrays } from "./helpers/golden.js";
import { cosine } from "./helpers/compare.js";
import { createBackend } from "../src/backend/create.js";
import type { BackendName } from "../src/contract/backend.js";

const root = fixturesDir();
const report: string[] = [];

/** Whether `device` runs `dtype` here: true, or the reason printed for the skip. */
async function runs(device: BackendName, dtype: "q8" | "q4"): Promise<true | string> {
  try {
    const b = await createBackend(device);
    try {
      const ok = b.supports("linear", { format: dtype });
      return ok === true ? true : ok.reason;
    } finally { b.dispose(); }
  } catch (e) { return (e as Error).message; }
}

for (const device of ["reference", "wasm", "webgpu"] as const) {
for (const dtype of ["q8", "q4"] as const) {
  const can = root ? await runs(device, dtype) : NO_FIXTURES;
  // WebGPU is required under CI=true (software Vulkan); elsewhere a missing backend or kernel is a skip with its reason.
  const skip = can === true ? false : device === "webgpu" && process.env.CI === "true" && /adapter|navigator/.test(can) ? false : `skipped: ${device}: ${can}`;
  for (const name of GOLDEN_MODELS) {
    test(`${dtype} on ${device}: ${name}: last hidden states and logits vs the f32 goldens`, { skip }, async () => {
      const dir = join(root!, name), g = readJson(join(dir, "golden.json")), want = goldenArrays(dir);
      const model = await GermModel.fromPretrained(dirSource(dir, ["pytorch_model.bin"]), { device, dtype });
      try {
        const seqs = (g.sequences as any[]).filter((s) => s.last_hidden_state_stored);
        const { lastHiddenState } = await model.forward(seqs.map((s) => s.text));
        const cos = seqs.map((s, i) => cosine(lastHiddenState[i], want(`${s.name}/last_hidden_state`)));
        const worst = Math.min(...cos), mean = cos.reduce((a, b) => a + b, 0) / cos.length;
        let logitErr = 0;
        if (g.model_class === "BertForSequenceClassification") {
          const cls = await model.classify(seqs.map((s) => s.text));
          seqs.forEach((s, i) => {
            const w = want(`${s.name}/cls_logits`);
            cls[i].logits.forEach((v, j) => { logitErr = Math.max(logitErr, Math.abs(v - w[j])); });
          });
        }
        report.push(`# ${dtype} ${device} ${name}: worst cosine ${worst.toFixed(5)}, mean ${mean.toFixed(5)}${logitErr ? `, max |Δ logit| ${logitErr.toFixed(4)}` : ""}`);
        console.log(report[report.length - 1]);
        if (dtype === "q8") {
          assert.ok(worst >= 0.999, `${name} q8: worst cosine ${worst} < 0.999`);
          assert.ok(logitErr <= 0.05, `${name} q8: classifier logits off by ${logitErr} > 0.05`);
        } else if (g.attn_softmax === "softmax1") {
          assert.ok(worst >= 0.985, `${name} q4: worst cosine ${worst} < 0.985`);
        }
      } finally { model.dispose(); }
    });
  }
}
}
