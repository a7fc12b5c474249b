// GERM's WnAn fake-quant evaluation (GermModel.simulate) on the twin fixtures tiny-softmax / tiny-softmax1:
// W8A8, W6A6, W4A4 against the f32 goldens (worst / mean cosine of last hidden states, max |Δ|), as in
// docs/quantization.md. Fewer bits must not fit better, and W8A8 must stay within q8's accuracy. On the reference
// backend, and on WebGPU when an adapter is present (its fakeQuant kernel is bit-exact, shaders/fake-quant.wgsl).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { GermModel } from "../src/pipeline/germ-model.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./helpers/fixtures.js";
import { dirSource, goldenArrays } from "./helpers/golden.js";
import { cosine } from "./helpers/compare.js";
import { createWebGpuBackend } from "../src/backend/webgpu/webgpu.js";
import type { BackendName } from "../src/contract/backend.js";

const root = fixturesDir();
const probe = await createWebGpuBackend({});
const noGpu = "unavailable" in probe ? `skipped: no WebGPU adapter (${probe.unavailable})` : null;
if (!("unavailable" in probe)) probe.dispose();

const devices: [BackendName, string | null][] = [["reference", null], ["webgpu", noGpu]];
for (const [device, skip] of devices) for (const name of ["tiny-softmax", "tiny-softmax1"]) {
  const why = root ? skip ?? false : NO_FIXTURES;
  test(`simulate WnAn on ${name} (${device}): W8A8, W6A6, W4A4 vs the f32 goldens`, { skip: why }, async () => {
    const dir = join(root!, name), g = readJson(join(dir, "golden.json")), want = goldenArrays(dir);
    const seqs = (g.sequences as any[]).filter((s) => s.last_hidden_state_stored);
    const base = await GermModel.fromPretrained(dirSource(dir, ["pytorch_model.bin"]), { device });
    const worst: number[] = [];
    try {
      for (const bits of [8, 6, 4]) {
        const sim = await base.simulate({ wBits: bits, aBits: bits });
        try {
          assert.equal(sim.backend, device);
          const { lastHiddenState } = await sim.forward(seqs.map((s) => s.text));
          const cos = seqs.map((s, i) => cosine(lastHiddenState[i], want(`${s.name}/last_hidden_state`)));
          let maxAbs = 0;
          seqs.forEach((s, i) => want(`${s.name}/last_hidden_state`).forEach((v, j) => { maxAbs = Math.max(maxAbs, Math.abs(v - lastHiddenState[i][j])); }));
          worst.push(Math.min(...cos));
          console.log(`# ${name} ${device} W${bits}A${bits}: worst cosine ${Math.min(...cos).toFixed(5)}, mean ${(cos.reduce((a, b) => a + b, 0) / cos.length).toFixed(5)}, max |Δ| ${maxAbs.toFixed(4)}`);
        } finally { sim.dispose(); }
      }
    } finally { base.dispose(); }
    assert.ok(worst[0] >= 0.999, `W8A8 worst cosine ${worst[0]}`);
    assert.ok(worst[0] >= worst[1] && worst[1] >= worst[2], `cosine must not rise as bits fall: ${worst}`);
  });
}

// GERM's own observers: weights per tensor, encoder projection inputs with static per-tensor ranges calibrated on
// sequences (here held out from the golden ones: random DNA), heads per token. Reported; W8A8 must stay close.
for (const name of ["tiny-softmax", "tiny-softmax1"]) {
  test(`simulate with per-tensor observers (calibrated static ranges) on ${name}: W8A8 / W6A6 vs the f32 goldens`, { skip: root ? false : NO_FIXTURES }, async () => {
    const { calibrateRanges } = await import("../src/quant/calibrate.js");
    const { packBatch } = await import("../src/model/encoder.js");
    const dir = join(root!, name), g = readJson(join(dir, "golden.json")), want = goldenArrays(dir);
    const seqs = (g.sequences as any[]).filter((s) => s.last_hidden_state_stored);
    let st = 11;
    const rand = () => (st = (st * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const calibration = Array.from({ length: 24 }, () => Array.from({ length: 60 + Math.floor(rand() * 80) }, () => "ACGT"[Math.floor(rand() * 4)]).join(""));
    const base = await GermModel.fromPretrained(dirSource(dir, ["pytorch_model.bin"]), { device: "reference" });
    try {
      await assert.rejects(base.simulate({ wBits: 8, aBits: 8, observers: "per-tensor" }), /needs calibration sequences/);
      await assert.rejects(base.simulate({ wBits: 8, aBits: 8, calibration }), /calibration is for observers "per-tensor"/);
      // Every encoder projection gets a range, lo < 0 < hi or at least lo < hi.
      const state = (base as unknown as { state: Parameters<typeof calibrateRanges>[0] }).state;
      const ranges = await calibrateRanges(state, [packBatch(calibration.map((t) => base.tokenizer.encode(t).ids))]);
      assert.equal(ranges.size, 4 * base.config.numHiddenLayers);
      for (const [k, [lo, hi]] of ranges) assert.ok(/^encoder\.layer\.\d+\./.test(k) && lo < hi, `${k}: [${lo}, ${hi}]`);
      const line: string[] = [];
      for (const bits of [8, 6]) {
        const sim = await base.simulate({ wBits: bits, aBits: bits, observers: "per-tensor", calibration });
        const chan = await base.simulate({ wBits: bits, aBits: bits });
        try {
          const [a, b] = [(await sim.forward(seqs.map((s) => s.text))).lastHiddenState, (await chan.forward(seqs.map((s) => s.text))).lastHiddenState];
          const cos = seqs.map((s, i) => cosine(a[i], want(`${s.name}/last_hidden_state`)));
          assert.ok(a.some((v, i) => v.some((x, j) => x !== b[i][j])), "per-tensor observers give other values than per-channel ones");
          line.push(`W${bits}A${bits} worst ${Math.min(...cos).toFixed(5)} mean ${(cos.reduce((x, y) => x + y, 0) / cos.length).toFixed(5)}`);
          if (bits === 8) assert.ok(Math.min(...cos) >= 0.99, `${name} per-tensor W8A8: worst cosine ${Math.min(...cos)}`);
        } finally { sim.dispose(); chan.dispose(); }
      }
      console.log(`# ${name} per-tensor observers (static ranges from 24 random sequences): ${line.join("; ")}`);
    } finally { base.dispose(); }
  });
}
