// One fuzz worker process: runs inputs [from, to) of one target, classifying each, and rewrites its status record
// before every input (status.ts) so the runner can time inputs out and survive crashes. With --repro it runs one
// input and prints everything about it.
import { appendFileSync, openSync, writeFileSync, writeSync } from "node:fs";
import { Rand } from "./rand.js";
import { encodeStatus, emptyCounts, STATUS_BYTES, type Status } from "./status.js";
import { classify, FAILURES, type FuzzInput } from "./target.js";
import { TARGETS } from "./targets/index.js";
import { installTripwire, takeTrips } from "./tripwire.js";

/** Exit status for a worker that cannot run at all (unknown target, setup failed): the runner stops. */
export const HARNESS_ERROR = 3;

function arg(name: string, def?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : def;
  if (v === undefined) throw new Error(`fuzz worker: --${name} is required`);
  return v;
}

async function main(): Promise<void> {
  const parser = arg("parser"), seed = Number(arg("seed")), from = Number(arg("from")), to = Number(arg("to"));
  const repro = process.argv.includes("--repro");
  const target = TARGETS[parser];
  if (!target) throw new Error(`fuzz worker: no target ${parser}`);
  await target.setup();
  installTripwire();
  const statusFd = repro ? -1 : openSync(arg("status"), "r+");
  const failures = repro ? "" : arg("failures");
  const perOutcome = Number(arg("samples", "5"));
  const buf = new Uint8Array(STATUS_BYTES);
  const st: Status = { index: -1, counts: emptyCounts(), maxMs: 0, maxIndex: -1, harness: 0, what: "" };
  const write = () => { if (statusFd >= 0) { encodeStatus(st, buf); writeSync(statusFd, buf, 0, STATUS_BYTES, 0); } };
  const sampled = emptyCounts();
  for (let i = from; i < to; i++) {
    st.index = i;
    st.what = "";
    write();
    let input: FuzzInput;
    try {
      input = target.make(Rand.of(parser, seed, i));
    } catch (e) {
      // A bug in the fuzzer, not in a parser: reported apart (and failing the run), and the run goes on.
      st.harness++;
      const reason = `the input maker threw ${((e as Error).stack ?? String(e)).split("\n").slice(0, 3).join(" ").slice(0, 300)}`;
      if (repro) console.log(reason);
      else appendFileSync(failures, `${JSON.stringify({ index: i, outcome: "harness", reason })}\n`);
      continue;
    }
    st.what = input.what.join(" | ");
    write();
    const t0 = performance.now();
    let threw = false, err: unknown;
    try { await target.check(input); } catch (e) { threw = true; err = e; }
    const ms = performance.now() - t0;
    const trips = takeTrips();
    const { outcome, reason } = trips.length ? { outcome: "tripwire" as const, reason: trips.join(", ") } : classify(err, threw);
    st.counts[outcome]++;
    if (ms > st.maxMs) { st.maxMs = ms; st.maxIndex = i; }
    if (repro) {
      console.log(JSON.stringify({ parser, seed, index: i, outcome, reason, what: input.what, ms: Math.round(ms) }, null, 2));
      if (threw) console.log(err instanceof Error ? err.stack : String(err));
      const save = process.argv.indexOf("--save");
      if (save >= 0) writeFileSync(process.argv[save + 1]!, target.bytes(input));
    } else if (FAILURES.includes(outcome) && sampled[outcome]++ < perOutcome) {
      appendFileSync(failures, `${JSON.stringify({ index: i, outcome, reason, what: st.what.slice(0, 300) })}\n`);
    }
  }
  st.index = to;
  write();
  process.exit(0);
}

// Started by the runner, always with --parser. `node --test build/test/` also runs this file, bare: then it does nothing.
if (process.argv.includes("--parser")) {
  main().catch((e) => {
    process.stderr.write(`fuzz worker: ${(e as Error).stack ?? e}\n`);
    process.exit(HARNESS_ERROR);
  });
}
