// The fuzz suite (issue 13) in npm test: a short seeded run of every parser through the real runner (one worker
// process per parser, per-input time limit from outside, crash = the worker died), which must see only ok and typed
// outcomes; and the canary target, which checks that the runner puts each outcome in its column. The long run is
// `node build/test/fuzz/run.js --n 100000` (test/fuzz/run.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { failuresOf, formatTable, runFuzz } from "./fuzz/run.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";

// Inputs per parser and seed of the short run; the runner's default per-input limit is 2 s, here 10 s so that a
// loaded machine cannot turn a slow input into a "hang" (no input of a passing run comes near either).
const N = Number(process.env.GERM_FUZZ_N ?? 1000), SEED = Number(process.env.GERM_FUZZ_SEED ?? 13);

test("fuzz runner: each outcome lands in its column (canary: ok, typed, untyped, crash, hang, silent-wrong, tripwire)", async () => {
  const [r] = await runFuzz({ n: 14, seed: 1, parsers: ["canary"], hangMs: 500 });
  assert.deepEqual(r!.counts, { ok: 2, typed: 2, untyped: 2, crash: 2, hang: 2, "silent-wrong": 2, tripwire: 2 });
  assert.equal(failuresOf([r!]), 10);
  assert.deepEqual(r!.samples.filter((s) => s.outcome === "crash" || s.outcome === "hang").map((s) => s.index).sort((a, b) => a - b), [3, 4, 10, 11]);
  assert.match(r!.samples.find((s) => s.outcome === "tripwire")!.reason!, /^eval \(/);
});

test(`fuzz: ${N} seeded inputs per parser give only ok or typed outcomes`, { skip: fixturesDir() ? false : NO_FIXTURES, timeout: 600_000 }, async (t) => {
  const results = await runFuzz({ n: N, seed: SEED, hangMs: 10_000, samples: 3 });
  for (const line of formatTable(results).split("\n")) t.diagnostic(line);
  const bad = results.flatMap((r) => r.samples.map((s) => `${r.parser} #${s.index} ${s.outcome}: ${s.reason} [${s.what}]`));
  assert.equal(failuresOf(results), 0, `rerun with node build/test/fuzz/run.js --repro INDEX --parser NAME --seed ${SEED}:\n${bad.join("\n")}`);
  for (const r of results) assert.ok(r.counts.ok > 0 && r.counts.typed > 0, `${r.parser}: both accepted and refused inputs`);
});
