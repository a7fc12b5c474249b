// The fuzz runner: `node build/test/fuzz/run.js --n 1000 --seed 1 [--parser safetensors,zip] [--jobs 2]`. Each parser
// runs in its own worker process (worker.ts); the runner times every input out from outside (--hang-ms, default
// 2000), counts a dead worker as a crash of the input it was running and restarts it after that input, prints a
// parser × outcome table, and exits 1 on any untyped error, crash, hang, silent-wrong load or tripwire call.
// `--repro I --parser P` reruns one input in the foreground and prints it (`--save file` writes it).
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { decodeStatus, emptyCounts, STATUS_BYTES } from "./status.js";
import { FAILURES, OUTCOMES, type Outcome } from "./target.js";
import { FUZZ_PARSERS } from "./targets/index.js";

const WORKER = fileURLToPath(new URL("./worker.js", import.meta.url));
const HARNESS_ERROR = 3;

export interface FuzzOptions {
  /** Inputs per parser. */
  n: number;
  seed: number;
  /** Default: every parser (FUZZ_PARSERS). */
  parsers?: string[];
  /** Per-input time limit, enforced from outside the worker. Default 2000 ms. */
  hangMs?: number;
  /** Parsers run at once. Default 1. */
  jobs?: number;
  /** Failure samples kept per outcome and worker. Default 5. */
  samples?: number;
  /** Worker heap limit. Default 2048 MB: an input that needs more is a crash. */
  heapMb?: number;
  log?: (line: string) => void;
}

export interface Sample { index: number; outcome: Outcome | "harness"; reason?: string; what?: string }

export interface ParserResult {
  parser: string;
  counts: Record<Outcome, number>;
  /** Wall time for all inputs of this parser. */
  ms: number;
  /** Slowest single input (as timed inside the worker) and its index. */
  maxMs: number;
  maxIndex: number;
  /** Inputs the fuzzer failed to make (its own bug); they fail the run too. */
  harness: number;
  samples: Sample[];
}

export async function runFuzz(opts: FuzzOptions): Promise<ParserResult[]> {
  const parsers = opts.parsers ?? FUZZ_PARSERS;
  const results: ParserResult[] = new Array(parsers.length);
  let next = 0;
  const lane = async () => {
    while (next < parsers.length) {
      const k = next++;
      results[k] = await runParser(parsers[k]!, opts);
      opts.log?.(`${parsers[k]}: ${OUTCOMES.map((o) => `${o} ${results[k]!.counts[o]}`).join(", ")} (${(results[k]!.ms / 1000).toFixed(1)} s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.jobs ?? 1) }, lane));
  return results;
}

async function runParser(parser: string, opts: FuzzOptions): Promise<ParserResult> {
  const hangMs = opts.hangMs ?? 2000;
  const dir = mkdtempSync(join(tmpdir(), `germ-fuzz-${parser}-`));
  const statusPath = join(dir, "status"), failPath = join(dir, "failures.jsonl");
  writeFileSync(failPath, "");
  const counts = emptyCounts(), samples: Sample[] = [];
  let maxMs = 0, maxIndex = -1, harness = 0;
  const t0 = performance.now();
  try {
    for (let from = 0; from < opts.n;) {
      const pre = new Uint8Array(STATUS_BYTES);
      new Float64Array(pre.buffer)[0] = -1;
      writeFileSync(statusPath, pre);
      const child = spawn(process.execPath, [`--max-old-space-size=${opts.heapMb ?? 2048}`, WORKER, "--parser", parser,
        "--seed", String(opts.seed), "--from", String(from), "--to", String(opts.n), "--status", statusPath,
        "--failures", failPath, "--samples", String(opts.samples ?? 5)], { stdio: ["ignore", "ignore", "pipe"], env: workerEnv() });
      let stderr = "";
      child.stderr!.on("data", (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
      const exited = new Promise<{ code: number | null; signal: string | null }>((res) => child.on("close", (code, signal) => res({ code, signal })));
      let done: { code: number | null; signal: string | null } | undefined;
      void exited.then((x) => { done = x; });
      const fd = openSync(statusPath, "r");
      const buf = new Uint8Array(STATUS_BYTES);
      let last = NaN, since = performance.now(), hung = false;
      try {
        while (!done) {
          await new Promise((r) => setTimeout(r, 25));
          readSync(fd, buf, 0, STATUS_BYTES, 0);
          const idx = new Float64Array(buf.buffer, 0, 1)[0]!;
          const now = performance.now();
          if (idx !== last) { last = idx; since = now; continue; }
          // Starting up (module loading, fixtures) gets a minute; each input gets hangMs.
          if (now - since > (idx < 0 ? 60_000 : hangMs) && !hung) { hung = true; child.kill("SIGKILL"); }
        }
        readSync(fd, buf, 0, STATUS_BYTES, 0);
      } finally { closeSync(fd); }
      const st = decodeStatus(buf), end = done!;
      for (const o of OUTCOMES) counts[o] += st.counts[o];
      harness += st.harness;
      if (st.maxMs > maxMs) { maxMs = st.maxMs; maxIndex = st.maxIndex; }
      if (st.index >= opts.n) break;
      if (end.code === HARNESS_ERROR || st.index < 0) {
        throw new Error(`fuzz ${parser}: the worker failed${st.index < 0 ? " while starting" : ` at input ${st.index}`}: ${stderr.trim() || `exit ${end.code ?? end.signal}`}`);
      }
      const outcome: Outcome = hung ? "hang" : "crash";
      counts[outcome]++;
      const lastLine = stderr.trim().split("\n").filter((l) => l.trim()).slice(-3).join(" ⏎ ").slice(0, 300);
      samples.push({ index: st.index, outcome, what: st.what.slice(0, 300),
        reason: hung ? `no result after ${hangMs} ms` : `worker died (${end.signal ?? `exit ${end.code}`})${lastLine ? `: ${lastLine}` : ""}` });
      from = st.index + 1;
    }
    for (const line of readFileSync(failPath, "utf8").split("\n")) if (line) samples.push(JSON.parse(line) as Sample);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { parser, counts, ms: performance.now() - t0, maxMs, maxIndex, harness, samples };
}

/** The environment without node:test's marker (set when fuzz.test.ts runs this): workers are not test files. */
function workerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** The parser × outcome table, plus a total row. */
export function formatTable(results: ParserResult[]): string {
  const head = ["parser", ...OUTCOMES, "wall s", "slowest ms"];
  const rows = results.map((r) => [r.parser, ...OUTCOMES.map((o) => String(r.counts[o])), (r.ms / 1000).toFixed(1), `${r.maxMs.toFixed(0)} (#${r.maxIndex})`]);
  const total = ["total", ...OUTCOMES.map((o) => String(results.reduce((s, r) => s + r.counts[o], 0))),
    (results.reduce((s, r) => s + r.ms, 0) / 1000).toFixed(1), ""];
  const all = [head, ...rows, total];
  const made = results.filter((r) => r.harness > 0).map((r) => `${r.parser} ${r.harness}`);
  const width = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const table = all.map((r) => r.map((x, c) => (c === 0 ? x.padEnd(width[c]!) : x.padStart(width[c]!))).join("  ")).join("\n");
  return made.length ? `${table}\ninputs the fuzzer could not make (its own bugs): ${made.join(", ")}` : table;
}

export function failuresOf(results: ParserResult[]): number {
  return results.reduce((s, r) => s + r.harness + FAILURES.reduce((t, o) => t + r.counts[o], 0), 0);
}

async function cli(argv: string[]): Promise<number> {
  const get = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  const num = (name: string, def: number) => { const v = get(name); const x = v === undefined ? def : Number(v); if (!Number.isFinite(x)) throw new Error(`--${name} needs a number`); return x; };
  const parsers = get("parser")?.split(",").filter(Boolean);
  for (const p of parsers ?? []) if (!FUZZ_PARSERS.includes(p) && p !== "canary") throw new Error(`unknown parser ${p} (known: ${FUZZ_PARSERS.join(", ")})`);
  const repro = get("repro");
  if (repro !== undefined) {
    if (parsers?.length !== 1) throw new Error("--repro needs exactly one --parser");
    const save = get("save");
    const child = spawn(process.execPath, [WORKER, "--parser", parsers[0]!, "--seed", String(num("seed", 1)), "--from", repro,
      "--to", String(Number(repro) + 1), "--repro", ...(save ? ["--save", save] : [])], { stdio: "inherit" });
    return await new Promise((res) => child.on("exit", (c) => res(c ?? 1)));
  }
  const opts: FuzzOptions = { n: num("n", 1000), seed: num("seed", 1), parsers, jobs: num("jobs", 1), hangMs: num("hang-ms", 2000),
    samples: num("samples", 5), log: (l) => console.error(l) };
  const t0 = performance.now();
  const results = await runFuzz(opts);
  console.log(`\nfuzz: ${opts.n} inputs per parser, seed ${opts.seed}, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  console.log(formatTable(results));
  for (const r of results) for (const s of r.samples) console.log(`  ${r.parser} #${s.index} ${s.outcome}: ${s.reason ?? ""}\n      input: ${s.what ?? ""}`);
  const json = get("json");
  if (json) writeFileSync(json, JSON.stringify({ n: opts.n, seed: opts.seed, results }, null, 2));
  const bad = failuresOf(results);
  if (bad) console.log(`\n${bad} failing input(s); rerun one with --repro INDEX --parser NAME --seed ${opts.seed}`);
  return bad ? 1 : 0;
}

// `node --test build/test/` runs every file under it, this one too: as a test file it does nothing (fuzz.test.ts
// is the test).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && !process.env.NODE_TEST_CONTEXT) {
  cli(process.argv.slice(2)).then((c) => process.exit(c), (e) => { console.error((e as Error).message); process.exit(2); });
}
