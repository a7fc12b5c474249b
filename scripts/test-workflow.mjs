// workflows/Snakefile with Snakemake's local executor: 50 generated FASTA records through `germ embed --shard i/N`
// jobs and `germ merge`, on the tiny-softmax1 fixture. The merged NPY (+ ids sidecar) must be byte for byte one
// unsharded `germ embed`, and so must a 3-shard JSONL run (50 records do not split evenly); a second run must
// find nothing to do. Skipped when snakemake is missing, except under CI=true (.ci/run installs it).
// Needs the CLI built (npm test builds it). Usage: node scripts/test-workflow.mjs [--cli path/to/cli.js] [--keep]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO } from "./lib/pack.mjs";
import { FIXTURES, MODEL } from "./lib/golden.mjs";

const { values } = parseArgs({ options: { cli: { type: "string" }, keep: { type: "boolean", default: false } } });
const SNAKEFILE = join(REPO, "workflows", "Snakefile");

const version = spawnSync("snakemake", ["--version"], { encoding: "utf8" });
if (version.status !== 0) {
  const msg = "test:workflow: snakemake is not installed (apt-get install snakemake)";
  if (process.env.CI === "true") { console.error(`${msg}; CI=true, so this is a failure`); process.exit(1); }
  console.log(`${msg}: skipped`);
  process.exit(0);
}
if (!FIXTURES) { console.log("test:workflow: skipped: no golden fixtures (test/fixtures or $GERM_FIXTURES)"); process.exit(0); }
// The shipped bin (dist/cli.js, made by build:bundle) first; tsc's build/ when only that exists.
const cli = values.cli ?? [join(REPO, "dist", "cli.js"), join(REPO, "build", "src", "cli", "main.js")].find(existsSync);
if (!cli) { console.error("test:workflow: no CLI: run npm run build first"); process.exit(1); }

const model = join(FIXTURES, MODEL);
const work = mkdtempSync(join(tmpdir(), "germ workflow "));   // a space in every path: the rules must quote
const sh = (s) => `'${s.replaceAll("'", `'\\''`)}'`;
const germ = `${sh(process.execPath)} ${sh(cli)}`;
let failures = 0;
const fail = (msg) => { console.error(`not ok: ${msg}`); failures++; };

/** 50 records, 40–299 bp, a few with N and soft-masked (lower-case) runs; the same every run. */
function fasta() {
  let x = 20261201 >>> 0, text = "";
  const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
  for (let r = 0; r < 50; r++) {
    const n = 40 + (next() % 260);
    let s = "";
    for (let i = 0; i < n; i++) s += "ACGT"[next() >>> 30];
    if (r % 7 === 3) s = s.slice(0, 10) + "NNNN" + s.slice(14).toLowerCase();
    text += `>read_${r} sample=${r % 3}\n${s.replace(/(.{60})/g, "$1\n").replace(/\n$/, "")}\n`;
  }
  return text;
}

function run(cmd, args, what) {
  const p = spawnSync(cmd, args, { cwd: work, encoding: "utf8" });
  if (p.status !== 0) {
    console.error(`${what}: exit ${p.status}\n${p.stdout}\n${p.stderr}`);
    throw new Error(`${what} failed`);
  }
  return p.stdout + p.stderr;
}

function germRun(args, what) {
  return run("sh", ["-c", `${germ} ${args.map(sh).join(" ")}`], what);
}

/** Rows in an NPY header's shape, e.g. "{'descr': '<f4', … 'shape': (25, 64), }" → 25. */
function npyRows(file) {
  const head = readFileSync(file).subarray(0, 256).toString("latin1");
  const m = /'shape': \((\d+),/.exec(head);
  return m ? Number(m[1]) : NaN;
}

function same(a, b, what) {
  const x = readFileSync(join(work, a)), y = readFileSync(join(work, b));
  if (x.equals(y)) console.log(`ok: ${what} (${x.length} bytes)`);
  else fail(`${what}: ${a} (${x.length} bytes) differs from ${b} (${y.length} bytes)`);
}

/** The workflow on in.fa with `shards` shards into `output`; returns Snakemake's output. */
function snakemake(name, shards, output, extra = []) {
  const cfg = join(work, `${name}.yaml`);
  // JSON is YAML: no quoting rules of our own.
  writeFileSync(cfg, JSON.stringify({ germ, model, input: "in put.fa", shards, output, extra: "--batch-size 8", threads: 1 }));
  try {
    return run("snakemake", ["-s", SNAKEFILE, "-c2", "--configfile", cfg, "-d", work, ...extra], `snakemake ${name}`);
  } catch (e) {
    // The rules send germ's stderr to log files: show them, or a CI failure says only "Error in rule …".
    const logs = join(work, `${output}.shards`, "logs");
    for (const f of existsSync(logs) ? readdirSync(logs) : []) console.error(`--- ${f}\n${readFileSync(join(logs, f), "utf8")}`);
    throw e;
  }
}

try {
  console.log(`test:workflow: ${version.stdout.trim() ? `snakemake ${version.stdout.trim()}` : "snakemake"}, CLI ${cli}`);
  writeFileSync(join(work, "in put.fa"), fasta());
  germRun(["embed", "--model", model, "--format", "npy", "--batch-size", "8", "--threads", "1", "--out", "single.npy", "in put.fa"], "germ embed (npy)");
  germRun(["embed", "--model", model, "--format", "jsonl", "--batch-size", "8", "--threads", "1", "--out", "single.jsonl", "in put.fa"], "germ embed (jsonl)");
  if (npyRows(join(work, "single.npy")) !== 50) fail(`single.npy holds ${npyRows(join(work, "single.npy"))} rows, not 50`);

  snakemake("npy", 2, "merged.npy");
  same("merged.npy", "single.npy", "2 shards, NPY: merged = one run");
  same("merged.ids.tsv", "single.ids.tsv", "2 shards, NPY ids sidecar: merged = one run");
  const rows = [1, 2].map((i) => npyRows(join(work, "merged.npy.shards", `shard_${i}_of_2.npy`)));
  if (rows[0] === 25 && rows[1] === 25) console.log("ok: each shard embedded 25 of the 50 records");
  else fail(`shard rows ${rows.join(" + ")}: expected 25 + 25 (is --shard passed through?)`);
  const again = snakemake("npy", 2, "merged.npy", ["-n"]);
  if (/Nothing to be done/.test(again)) console.log("ok: a second run has nothing to do");
  else fail(`a second run would redo jobs:\n${again}`);

  snakemake("jsonl", 3, "merged.jsonl");
  same("merged.jsonl", "single.jsonl", "3 shards, JSONL: merged = one run");
  const shards = readdirSync(join(work, "merged.jsonl.shards")).filter((f) => f.endsWith(".jsonl"));
  if (shards.length !== 3) fail(`3 shard files expected, found ${shards.join(", ")}`);
} catch (e) {
  fail(e.message);
} finally {
  if (values.keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
if (failures) { console.error(`test:workflow: ${failures} failure(s)`); process.exit(1); }
console.log("test:workflow: passed");
