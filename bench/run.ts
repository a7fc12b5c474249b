// `npm run bench`: Wasm backend vs onnxruntime-web (wasm EP) at DNABERT-2-117M shape, same threads, same process.
// Per thread count a child process runs both engines interleaved (ort-web fixes its thread count per process):
// GEMM GFLOP/s at the four layer shapes (128 and 1024 rows), full-encoder tokens/s at 1×128, 8×128, 1×512, and the
// reference backend (1 layer, scaled). Another child measures peak RSS at 8×128. Table to stdout, JSON to bench-results/.
// Options: --threads 1,2  --reps 5  --layers 12  --quick (2 layers, 3 reps, smaller shapes)  --relaxed (also with
// Node 20's --experimental-wasm-relaxed-simd, i.e. the FMA build that Deno/Chromium/Node ≥ 22 load by default).
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpus } from "node:os";
import { runChild, type ChildResult } from "./child.js";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "1,2" }, reps: { type: "string" }, layers: { type: "string" },
    quick: { type: "boolean", default: false }, relaxed: { type: "boolean", default: false }, child: { type: "string" },
    lora: { type: "boolean", default: false },
  },
});
const quick = values.quick!;
const threadCounts = values.threads!.split(",").map(Number);
// LoRA rows run in the plain child with the most threads only (the setting: Wasm, 2 threads).
const opts = { reps: Number(values.reps ?? (quick ? 3 : 5)), layers: Number(values.layers ?? (quick ? 2 : 12)), quick, lora: false };

if (values.child) {
  const r = await runChild(values.child as "compare" | "rss", Number(values.threads), { ...opts, lora: values.lora! });
  console.log("RESULT " + JSON.stringify(r));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const results: ChildResult[] = [];
// --relaxed: also run with Node 20's flag, so the relaxed-SIMD (FMA) build is measured as Deno, Chromium and
// Node ≥ 22 run it by default. Node 20 without the flag gets the plain SIMD build.
const RELAXED_FLAG = "--experimental-wasm-relaxed-simd";
const jobs: [kind: string, threads: number, flags: string[]][] = threadCounts.map((t) => ["compare", t, []]);
if (values.relaxed) threadCounts.forEach((t) => jobs.push(["compare", t, [RELAXED_FLAG]]));
jobs.push(["rss", Math.max(...threadCounts), []]);
for (const [kind, t, flags] of jobs) {
  console.error(`# bench: ${kind}, ${t} thread(s) ${flags.join(" ")}…`);
  const p = spawnSync(process.execPath, [...flags, "--expose-gc", self, "--child", kind, "--threads", String(t), "--reps", String(opts.reps), "--layers", String(opts.layers), ...(quick ? ["--quick"] : []),
    ...(kind === "compare" && t === Math.max(...threadCounts) && flags.length === 0 ? ["--lora"] : [])],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26 });
  const line = p.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) { console.error(p.stdout); throw new Error(`bench child ${kind}/${t} failed (status ${p.status})`); }
  results.push(JSON.parse(line.slice(7)));
}

const f1 = (x: number | undefined) => (x === undefined ? "–" : x.toFixed(1));
const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}×` : "–");
console.log(`\nDNABERT-2-117M shape (${opts.layers} layers, H 768, 12 heads, I 3072, V 4096), random weights; median of ${opts.reps}; ${cpus().length} cores, ${cpus()[0]?.model ?? "?"}`);
console.log("Machine shared with other work: timings are noisy, ratios (same process, interleaved runs) are the fairer number.\n");
for (const r of results.filter((r) => r.kind === "compare")) {
  console.log(`## ${r.threads} thread(s): germ-js ${r.wasm}; ${r.ort}`);
  console.log("| kernel | m | germ-js f32 GFLOP/s | ort-web f32 GFLOP/s | ratio | germ-js q8 GOP/s (vs f32) | germ-js q4 GOP/s (vs f32) |\n|---|---|---|---|---|---|---|");
  for (const g of r.gemm) {
    console.log(`| linear ${g.k}→${g.n} | ${g.m} | ${f1(g.wasm)} | ${f1(g.ort)} | ${ratio(g.wasm, g.ort)} | ${f1(g.q8)} (${ratio(g.q8, g.wasm)}) | ${f1(g.q4)} (${ratio(g.q4, g.wasm)}) |`);
  }
  console.log("\n| forward | germ-js tokens/s | ort-web tokens/s | ratio | reference tokens/s | max |germ − ort| |\n|---|---|---|---|---|---|");
  for (const f of r.forward) console.log(`| ${f.batch}×${f.tokens} | ${f1(f.wasm)} | ${f1(f.ort)} | ${ratio(f.wasm, f.ort)} | ${f.reference ? f1(f.reference) + " (1 layer, scaled)" : "–"} | ${f.maxDiff?.toExponential(1) ?? "–"} |`);
  if (r.q8) {
    console.log(`\n| forward q8 (W8A8) | germ-js q8 tokens/s | ort-web int8 tokens/s | ratio | germ q8 vs own f32 | cosine ort-int8 vs germ-q8 |\n|---|---|---|---|---|---|`);
    if (r.q8Note) console.log(`(germ-js q8 not run here: ${r.q8Note})`);
    r.q8.forEach((f, i) => console.log(`| ${f.batch}×${f.tokens} | ${f1(f.wasm)} | ${f1(f.ort)} | ${ratio(f.wasm, f.ort)} | ${ratio(f.wasm, r.forward[i]?.wasm)} | ${f.cosine?.toFixed(5) ?? "–"} |`));
  }
  if (r.lora) {
    console.log(`\n| LoRA (${quick ? "2" : "8"}×128, f32 base) | tokens/s | base tokens/s (timed beside it) | cost vs base |\n|---|---|---|---|`);
    for (const l of r.lora) console.log(`| ${l.name} | ${f1(l.tokensPerS)} | ${f1(l.baseTokensPerS)} | ${((1 - l.tokensPerS / l.baseTokensPerS) * 100).toFixed(1)} % |`);
  }
  console.log("");
}
for (const r of results.filter((r) => r.kind === "rss")) {
  console.log(`## memory, ${r.threads} thread(s), 8×128 forward: peak RSS ${f1(r.peakRssMB)} MB (after load ${f1(r.loadRssMB)} MB; wasm memory ${f1(r.wasmMemoryMB)} MB; target < 700 MB)`);
}
mkdirSync("bench-results", { recursive: true });
const file = `bench-results/wasm-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
writeFileSync(file, JSON.stringify({ opts, cpus: cpus().length, node: process.version, results }, null, 2));
writeFileSync("bench-results/wasm-latest.json", JSON.stringify({ opts, cpus: cpus().length, node: process.version, results }, null, 2));
console.log(`\nwrote ${file}`);

// Per-op rows over the conformance cases, WebGPU rows and the tokenizer, each in its own process: a missing adapter
// or missing fixtures is reported, not fatal.
for (const script of ["ops.bench.js", "webgpu.bench.js", "tokenizer.bench.js"]) {
  console.log(`\n## ${script.replace(".bench.js", "")}`);
  const extra = script === "ops.bench.js" ? ["--threads", String(Math.max(...threadCounts)), ...(quick ? ["--reps", "3"] : [])]
    : quick ? ["--layers", "1", "--reps", "1"] : [];
  const p = spawnSync(process.execPath, [fileURLToPath(new URL(`./${script}`, import.meta.url)), ...extra],
    { encoding: "utf8", stdio: ["ignore", "inherit", "inherit"] });
  if (p.status !== 0) console.log(`(${script} exited with status ${p.status}; see above)`);
}
