// Windows over long sequences (issue 12): where windows lie (partial last window, gaps, one window for a short
// record), bp windows equal embed() of their substring bit for bit, token windows run [CLS] tokens [SEP] with bp
// spans from the offsets, aggregateWindows, option validation (InputError naming the option) and cancellation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { GermModel } from "../src/pipeline/germ-model.js";
import { InputError } from "../src/errors.js";
import { aggregateWindows, windowRanges, type WindowEmbedding } from "../src/pipeline/windows.js";
import { planBatches } from "../src/pipeline/batching.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";
import { dirSource } from "./helpers/golden.js";
import { rng } from "../src/contract/random.js";

const FIX = fixturesDir();
const skip = FIX ? false : NO_FIXTURES;
const r = rng(7);
const dna = (n: number, alpha = "ACGT") => Array.from({ length: n }, () => alpha[Math.floor(r() * alpha.length)]).join("");

test("windowRanges: tiling, overlap, gaps, partial last window, short and empty records", () => {
  assert.deepEqual(windowRanges(10, 4, 4), [[0, 4], [4, 8], [8, 10]]);
  assert.deepEqual(windowRanges(10, 4, 2), [[0, 4], [2, 6], [4, 8], [6, 10]], "stops at the window that reaches the end");
  assert.deepEqual(windowRanges(10, 4, 3), [[0, 4], [3, 7], [6, 10]]);
  assert.deepEqual(windowRanges(10, 3, 5), [[0, 3], [5, 8]], "stride > size leaves gaps");
  assert.deepEqual(windowRanges(11, 3, 5), [[0, 3], [5, 8], [10, 11]], "a partial last window after a gap");
  assert.deepEqual(windowRanges(3, 8, 2), [[0, 3]], "shorter than a window: the whole record");
  assert.deepEqual(windowRanges(8, 8, 2), [[0, 8]]);
  assert.deepEqual(windowRanges(0, 8, 8), [[0, 0]], "an empty record has one empty window");
});

test("planBatches: rows × longest ≤ maxBatchTokens, a longer row alone, order kept, batchSize still applies", () => {
  const lens = [5, 40, 17, 120, 1, 63, 64, 65, 9];
  const order = lens.map((_, i) => i);
  for (const budget of [1, 50, 128, 200, 1000]) {
    for (const size of [2, 16, Infinity]) {
      const b = planBatches(order, lens, size, budget);
      assert.deepEqual(b.flat(), order, "every row once, in order");
      for (const batch of b) {
        const padded = batch.length * Math.max(...batch.map((i) => lens[i]));
        assert.ok(batch.length <= size && (padded <= budget || batch.length === 1), `budget ${budget}: batch ${batch} padded ${padded}`);
      }
    }
  }
  assert.deepEqual(planBatches(order, lens, 4), [[0, 1, 2, 3], [4, 5, 6, 7], [8]], "no budget: batches of batchSize");
});

test("aggregateWindows: length-weighted or plain mean per record", () => {
  const v = (...x: number[]) => Float32Array.from(x);
  const w: WindowEmbedding[] = [
    { seq: 0, start: 0, end: 3, vector: v(1, 0) }, { seq: 0, start: 3, end: 4, vector: v(5, 4) },
    { seq: 1, start: 0, end: 0, vector: v(2, 2) },
  ];
  assert.deepEqual(aggregateWindows(w), [v(2, 1), v(2, 2)]);
  assert.deepEqual(aggregateWindows(w, { weight: "none" }), [v(3, 2), v(2, 2)]);
  assert.throws(() => aggregateWindows(w, { records: 3 }), InputError, "a record without windows");
  assert.throws(() => aggregateWindows(w, { weight: "bp" as "none" }), /weight/);
});

for (const device of ["wasm", "reference"] as const) {
  test(`embedWindows on ${device}: bp windows = embed(substring) bit for bit; token windows; validation; abort`, { skip }, async () => {
    const model = await GermModel.fromPretrained(dirSource(join(FIX!, "tiny-softmax1-cls")), { device });
    try {
      const H = model.config.hiddenSize;
      // Random DNA with N and lower case (lower case tokenizes to [UNK]s: still a substring, still equal).
      const long = device === "wasm" ? dna(1400, "ACGTACGTACGTNacgt") : dna(700, "ACGTN");
      const texts = [long, dna(90), ""];
      for (const [size, stride] of device === "wasm" ? [[300, 300], [300, 170], [250, 400], [2000, 10]] : [[300, 170], [250, 400]]) {
        for (const pooling of device === "wasm" ? (["mean", "max", "cls", "pooler"] as const) : (["mean"] as const)) {
          const got = await model.embedWindows(texts, { window: { size, stride, unit: "bp" }, pooling });
          const want: { seq: number; start: number; end: number }[] = [];
          texts.forEach((t, seq) => { for (const [start, end] of windowRanges(t.length, size, stride)) want.push({ seq, start, end }); });
          assert.deepEqual(got.map(({ seq, start, end }) => ({ seq, start, end })), want, `size ${size} stride ${stride}: windows`);
          const direct = await model.embed(got.map((w) => texts[w.seq].slice(w.start, w.end)), { pooling });
          got.forEach((w, i) => assert.deepEqual(w.vector, direct[i], `size ${size} stride ${stride} ${pooling}: window ${i} [${w.start}, ${w.end}) = embed(substring)`));
          const last = got.filter((w) => w.seq === 0).at(-1)!;
          // Without gaps the last window ends at the record's end (partial); with gaps the end may fall in a gap.
          if (stride <= size) assert.equal(last.end, long.length, "the last window ends at the record's end (partial)");
          else assert.ok(last.start + stride >= long.length, "no further window start fits");
        }
      }
      // Token windows: [CLS] + a slice of the record's own tokens + [SEP]; spans from the offsets tile the record.
      const enc = model.tokenizer.encode(long, { offsets: true });
      const content = enc.ids.slice(1, -1), offs = enc.offsets!.slice(1, -1);
      for (const [size, stride] of [[64, 64], [64, 40], [30, 50]]) {
        const got = await model.embedWindows([long, "ACGT"], { window: { size, stride, unit: "tokens" }, pooling: "cls" });
        const ranges = windowRanges(content.length, size, stride);
        const mine = got.filter((w) => w.seq === 0);
        assert.equal(mine.length, ranges.length);
        const ids = ranges.map(([i, j]) => [1, ...content.slice(i, j), 2]);
        const hidden = (await model.forward({ inputIds: ids })).lastHiddenState;
        mine.forEach((w, k) => {
          const [i, j] = ranges[k];
          assert.deepEqual([w.start, w.end], [offs[i][0], offs[j - 1][1]], `token window ${k}: bp span`);
          assert.deepEqual(w.vector, hidden[k].slice(0, H), `token window ${k}: its [CLS] row`);
        });
        if (stride === size) mine.slice(1).forEach((w, k) => assert.equal(w.start, mine[k].end, "tiling token windows are contiguous in bp"));
        if (stride <= size) assert.deepEqual([mine[0].start, mine.at(-1)!.end], [0, long.length]);
        assert.deepEqual(got.filter((w) => w.seq === 1).map((w) => [w.start, w.end]), [[0, 4]], "a short record is one window");
      }
      const dflt = await model.embedWindows(["ACGTAGCATCGG"]);
      assert.deepEqual(dflt.map((w) => [w.seq, w.start, w.end]), [[0, 0, 12]], "default: 510-token windows");
      assert.deepEqual(dflt[0].vector, (await model.embed(["ACGTAGCATCGG"]))[0], "one default window = embed (same tokens)");
      // Options are validated, naming the option.
      const bad: [object, RegExp][] = [
        [{ window: { size: 0, unit: "bp" } }, /window\.size/], [{ window: { size: 1.5, unit: "bp" } }, /window\.size/],
        [{ window: { unit: "bp" } }, /window\.size/], [{ window: { size: 10, stride: 0 } }, /window\.stride/],
        [{ window: { size: 10, stride: -2, unit: "bp" } }, /window\.stride/], [{ window: { size: 10, unit: "kb" } }, /window\.unit/],
        [{ window: 500 }, /window/], [{ pooling: "sum" }, /pooling/], [{ maxBatchTokens: 0 }, /maxBatchTokens/],
      ];
      for (const [o, re] of bad) await assert.rejects(model.embedWindows(texts, o as object), (e: Error) => e instanceof InputError && re.test(e.message), JSON.stringify(o));
      await assert.rejects(model.embedTokens(texts, { maxBatchTokens: 1.5 }), (e: Error) => e instanceof InputError && /maxBatchTokens/.test(e.message));
      await assert.rejects(model.embed(texts, { maxBatchTokens: -1 }), (e: Error) => e instanceof InputError && /maxBatchTokens/.test(e.message));
      await assert.rejects(model.embedWindows([], {}), InputError);
      // An aborted signal stops the new calls with its reason; the model stays usable.
      const ac = new AbortController();
      ac.abort(new Error("stop here"));
      await assert.rejects(model.embedWindows(texts, { window: { size: 100, unit: "bp" }, signal: ac.signal }), /stop here/);
      await assert.rejects(model.embedTokens(texts, { signal: ac.signal }), /stop here/);
      const late = new AbortController();
      const p = model.embedWindows([long], { window: { size: 50, unit: "bp" }, signal: late.signal, maxBatchTokens: 40 });
      setTimeout(() => late.abort(new Error("mid-run")), 0);
      await assert.rejects(p, /mid-run/);
      assert.equal((await model.embed(["ACGT"])).length, 1);
    } finally { model.dispose(); }
  });
}

test("maxBatchTokens is validated at load", { skip }, async () => {
  for (const v of [0, 2.5, -3]) {
    await assert.rejects(GermModel.fromPretrained(dirSource(join(FIX!, "tiny-softmax1-cls")), { device: "reference", maxBatchTokens: v }),
      (e: Error) => e instanceof InputError && /maxBatchTokens/.test(e.message));
  }
});
