// Genome-scale bench (issue 12): DNABERT-2-117M's shape with random weights, written as a checkpoint directory and
// loaded by GermModel.fromPretrained, Wasm backend. Each part runs in its own process (peak RSS is per process):
//   a) the lambda phage genome (48,502 bp) in 512-token windows ([CLS] + 510 + [SEP]), stride 256 tokens:
//      wall time, tokens/s, peak RSS (targets ≤ 90 s, ≤ 800 MB);
//   b) the bowtie2 example reads through the CLI path (runCli: streaming gzip reader, tokenizer, embed, NPY sink) vs
//      the encoder alone (model.forward on the same token ids, same batches): throughput ratio (target ≥ 0.9);
//   c) (a) as a user types it: `germ embed lambda_virus.fa.gz --window 510 --stride 256 --out x.npy`, the compiled CLI
//      in its own process (load included; on Node 20 the CLI turns relaxed SIMD on: relaxed-flag.ts).
// Inputs come from Debian's bowtie2 examples when installed, else deterministic random DNA of the same sizes.
// Run: node build/bench/genome.bench.js [--threads 2] [--layers 12] [--reads 10000] [--only a|b|c]
import { spawnSync } from "node:child_process";
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import { GermModel, readSequences, writeSafetensors, type TensorToWrite } from "../src/index.js";
import { runCli } from "../src/cli/commands.js";
import { windowRanges } from "../src/pipeline/windows.js";
import type { CliModel } from "../src/cli/types.js";
import { fixturesDir } from "../test/helpers/fixtures.js";
import { rng } from "../test/helpers/rng.js";
import { H, HEADS, I, LAYERS, V, weight } from "./model-117m.js";
import { peakRssMB } from "./peak-rss.js";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "2" }, layers: { type: "string", default: String(LAYERS) },
    reads: { type: "string", default: "10000" }, "max-batch-tokens": { type: "string" }, only: { type: "string" }, child: { type: "string" }, dir: { type: "string" },
  },
});
const threads = Number(values.threads), layers = Number(values.layers), nReads = Number(values.reads);
// The library's batching by default (16 sequences a pass); --max-batch-tokens N caps rows × longest row instead.
const maxBatchTokens = values["max-batch-tokens"] === undefined ? undefined : Number(values["max-batch-tokens"]);
const EXAMPLES = "/usr/share/doc/bowtie2/examples";
const LAMBDA_BP = 48_502, WINDOW = 510, STRIDE = 256, BATCH = 16, CHUNKS = 10;

/** The path that exists: `file` or `file.gz` (Debian gzips the examples). */
const found = (file: string) => [file, file + ".gz"].find(existsSync);

function randomDna(n: number, r: () => number): string {
  return Array.from({ length: n }, () => "ACGT"[Math.floor(r() * 4)]).join("");
}

/** DNABERT-2 tensor names → bench/model-117m.ts's names and init (same seeds: the same model as `npm run bench`). */
function checkpoint(dir: string): void {
  const t = new Map<string, TensorToWrite>();
  const put = (name: string, shape: number[], src: string, scale: number, offset = 0) =>
    t.set(name, { dtype: "F32", shape, data: weight(src, shape.reduce((a, b) => a * b, 1), scale, offset) });
  put("bert.embeddings.word_embeddings.weight", [V, H], "wordEmb", 1);
  const type = new Float32Array(2 * H);
  type.set(weight("typeEmb0", H, 0.1));
  t.set("bert.embeddings.token_type_embeddings.weight", { dtype: "F32", shape: [2, H], data: type });
  put("bert.embeddings.LayerNorm.weight", [H], "embLnG", 0.1, 1);
  put("bert.embeddings.LayerNorm.bias", [H], "embLnB", 0.02);
  for (let l = 0; l < layers; l++) {
    const p = `bert.encoder.layer.${l}.`, q = `l${l}.`;
    put(p + "attention.self.Wqkv.weight", [3 * H, H], q + "qkvW", 1 / Math.sqrt(H));
    put(p + "attention.self.Wqkv.bias", [3 * H], q + "qkvB", 0.02);
    put(p + "attention.output.dense.weight", [H, H], q + "attnOutW", 1 / Math.sqrt(H));
    put(p + "attention.output.dense.bias", [H], q + "attnOutB", 0.02);
    put(p + "attention.output.LayerNorm.weight", [H], q + "attnLnG", 0.1, 1);
    put(p + "attention.output.LayerNorm.bias", [H], q + "attnLnB", 0.02);
    put(p + "mlp.gated_layers.weight", [2 * I, H], q + "gatedW", 1 / Math.sqrt(H));
    put(p + "mlp.wo.weight", [H, I], q + "woW", 1 / Math.sqrt(I));
    put(p + "mlp.wo.bias", [H], q + "woB", 0.02);
    put(p + "mlp.layernorm.weight", [H], q + "mlpLnG", 0.1, 1);
    put(p + "mlp.layernorm.bias", [H], q + "mlpLnB", 0.02);
  }
  writeFileSync(join(dir, "model.safetensors"), writeSafetensors(t));
  // DNABERT-2's own tokenizer (the fixtures hold a verbatim copy) and its config with the 117M sizes.
  const fixture = join(fixturesDir() ?? "test/fixtures", "tiny-softmax1");
  copyFileSync(join(fixture, "tokenizer.json"), join(dir, "tokenizer.json"));
  const cfg = JSON.parse(readFileSync(join(fixture, "config.json"), "utf8"));
  Object.assign(cfg, { _name_or_path: "random-dnabert2-117m", hidden_size: H, intermediate_size: I, num_attention_heads: HEADS,
    num_hidden_layers: layers, vocab_size: V, attn_softmax: "vanilla" });
  writeFileSync(join(dir, "config.json"), JSON.stringify(cfg, null, 2));
}

const load = () => GermModel.fromPretrained(values.dir!, { device: "wasm", threads, ...(maxBatchTokens ? { maxBatchTokens } : {}) });
const rssMB = () => process.memoryUsage().rss / 2 ** 20;
const peakMB = peakRssMB;

/** a) lambda phage in token windows. */
async function childGenome() {
  const file = found(`${EXAMPLES}/reference/lambda_virus.fa`);
  let genome = "";
  if (file) for await (const r of readSequences(createReadStream(file), { name: file })) genome += r.sequence;
  else genome = randomDna(LAMBDA_BP, rng(48502));
  const t0 = performance.now();
  const model = await load();
  const loadS = (performance.now() - t0) / 1000;
  (globalThis as { gc?: () => void }).gc?.(); // what stays after the load (the file's bytes are garbage by now)
  const loadRssMB = rssMB(), loadPeakRssMB = peakMB();
  const content = model.tokenizer.encode(genome).ids.length - 2;
  const spans = windowRanges(content, WINDOW, STRIDE); // as embedWindows cuts them (last one partial)
  const tokens = spans.reduce((n, [i, j]) => n + j - i + 2, 0);
  // GermModel.embedWindows when this build has it; else bp substrings of ≈ 512 tokens (2,500 bp, stride 1,250).
  const api = model as unknown as { embedWindows?: (t: string[], o: object) => Promise<unknown[]> };
  let mode: string, n: number, runTokens = tokens;
  const t1 = performance.now();
  if (typeof api.embedWindows === "function") {
    mode = `embedWindows, ${WINDOW} tokens + [CLS]/[SEP], stride ${STRIDE} tokens`;
    n = (await api.embedWindows([genome], { window: { size: WINDOW, stride: STRIDE, unit: "tokens" } })).length;
  } else {
    mode = "bp windows (no embedWindows in this build): 2,500 bp, stride 1,250 bp";
    const texts: string[] = [];
    for (let s = 0; s < genome.length; s += 1250) { texts.push(genome.slice(s, s + 2500)); if (s + 2500 >= genome.length) break; }
    runTokens = texts.reduce((k, s) => k + model.tokenizer.encode(s).ids.length, 0);
    n = (await model.embed(texts)).length;
  }
  const embedS = (performance.now() - t1) / 1000;
  const info = model.info;
  model.dispose();
  return { input: file ?? `random ${LAMBDA_BP} bp`, bp: genome.length, mode, windows: n, tokens: runTokens, loadS, embedS,
    tokensPerS: runTokens / embedS, loadRssMB, loadPeakRssMB, peakRssMB: peakMB(), backend: `${info.backend} (${info.build}, ${info.threads} threads)` };
}

/** b) reads through runCli vs model.forward on the same ids. */
async function childReads() {
  const file = found(`${EXAMPLES}/reads/reads_1.fq`);
  const work = mkdtempSync(join(tmpdir(), "germ-genome-bench-"));
  // The first nReads records, gzipped again (in CHUNKS files): the CLI path still inflates gzip as it reads.
  let fq: string;
  if (file) {
    fq = (file.endsWith(".gz") ? gunzipSync(readFileSync(file)) : readFileSync(file)).toString("latin1");
  } else {
    const r = rng(10_000);
    fq = Array.from({ length: nReads }, (_, k) => {
      const s = randomDna(50 + Math.floor(r() * 150), r);
      return `@r${k}\n${s}\n+\n${"I".repeat(s.length)}\n`;
    }).join("");
  }
  // CHUNKS pieces (whole batches each), timed alternately, encoder then CLI, so machine noise hits both alike.
  const records = fq.split("\n").slice(0, 4 * nReads);
  const per = Math.max(BATCH, Math.ceil(nReads / CHUNKS / BATCH) * BATCH);
  const files: string[] = [];
  for (let k = 0; 4 * k * per < records.length; k++) {
    files.push(join(work, `reads${k}.fq.gz`));
    writeFileSync(files[k]!, gzipSync(records.slice(4 * k * per, 4 * (k + 1) * per).join("\n") + "\n", { level: 6 }));
  }
  const model = await load();
  // The CLI path, minus the load: the loader hands over the loaded model (and runCli's dispose is held back).
  const keep = new Proxy(model, {
    get: (m, p) => (p === "dispose" ? () => {} : typeof Reflect.get(m, p) === "function" ? Reflect.get(m, p).bind(m) : Reflect.get(m, p)),
  }) as unknown as CliModel;
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const io = { stdout: sink, stderr: { write: () => true }, stdin: () => (async function* () {})(), version: "bench", progress: false };
  let encS = 0, cliS = 0, tokens = 0, n = 0, npyBytes = 0;
  for (const [k, file] of files.entries()) {
    const seqs: string[] = [];
    for await (const r of readSequences(createReadStream(file), { name: file })) seqs.push(r.sequence);
    const ids = seqs.map((s) => model.tokenizer.encode(s).ids);
    if (k === 0) await model.forward({ inputIds: ids.slice(0, BATCH) }); // warm-up
    tokens += ids.reduce((a, x) => a + x.length, 0);
    n += seqs.length;
    // Encoder alone: the same batches of BATCH sequences the CLI hands to the model.
    for (let i = 0; i < ids.length; i += BATCH) {
      const t = performance.now();
      await model.forward({ inputIds: ids.slice(i, i + BATCH) });
      encS += (performance.now() - t) / 1000;
    }
    const out = join(work, `reads${k}.npy`), t = performance.now();
    const code = await runCli(["embed", file, "--model", values.dir!, "--format", "npy", "--out", out, "--batch-size", String(BATCH)], io, async () => keep);
    cliS += (performance.now() - t) / 1000;
    if (code !== 0) throw new Error(`runCli exited with ${code}`);
    npyBytes += readFileSync(out).length;
  }
  model.dispose();
  rmSync(work, { recursive: true, force: true });
  return { input: file ? `${file} (first ${n} reads)` : `${n} random reads`, reads: n, tokens,
    encoderS: encS, cliS, encoderTokensPerS: tokens / encS, cliTokensPerS: tokens / cliS, ratio: encS / cliS, npyBytes, peakRssMB: peakMB() };
}

/** c) the lambda genome through the compiled CLI; this process becomes `germ` (main.ts reads process.argv). */
async function childCli() {
  const file = found(`${EXAMPLES}/reference/lambda_virus.fa`);
  const work = mkdtempSync(join(tmpdir(), "germ-genome-cli-"));
  const input = file ?? join(work, "lambda.fa");
  if (!file) writeFileSync(input, `>random\n${randomDna(LAMBDA_BP, rng(48502))}\n`);
  const out = join(work, "lambda.npy"), cli = join(fileURLToPath(import.meta.url), "../../src/cli/main.js");
  const args = ["embed", input, "--model", values.dir!, "--device", "wasm", "--threads", String(threads), "--window", String(WINDOW), "--stride", String(STRIDE), "--out", out, "--verbose"];
  const t0 = performance.now();
  const done = new Promise<number>((res) => process.once("beforeExit", () => res(Number(process.exitCode ?? 0))));
  process.argv = [process.argv[0]!, cli, ...args];
  await import(cli);
  const code = await done;
  const wallS = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`germ exited with ${code}`);
  const rows = Number(/'shape': \((\d+),/.exec(readFileSync(out).subarray(0, 256).toString("latin1"))?.[1]);
  rmSync(work, { recursive: true, force: true });
  return { input: file ?? `random ${LAMBDA_BP} bp`, command: `germ ${args.map((a) => a.replace(values.dir!, "<117M>").replace(work, "<tmp>")).join(" ")}`, windows: rows, wallS, peakRssMB: peakMB() };
}

if (values.child) {
  const r = values.child === "a" ? await childGenome() : values.child === "b" ? await childReads() : await childCli();
  console.log("RESULT " + JSON.stringify(r));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), "germ-117m-"));
try {
  console.error(`# genome bench: writing a random ${layers}-layer DNABERT-2-117M checkpoint to ${dir}…`);
  checkpoint(dir);
  const self = fileURLToPath(import.meta.url);
  const results: Record<string, any> = {};
  for (const part of ["a", "b", "c"].filter((p) => !values.only || values.only === p)) {
    console.error(`# genome bench: part ${part}…`);
    const p = spawnSync(process.execPath, ["--expose-gc", self, "--child", part, "--dir", dir, "--threads", String(threads), "--layers", String(layers), "--reads", String(nReads),
      ...(maxBatchTokens ? ["--max-batch-tokens", String(maxBatchTokens)] : [])],
      { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26 });
    const line = p.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (!line) { console.error(p.stdout); throw new Error(`genome bench part ${part} failed (status ${p.status})`); }
    results[part] = JSON.parse(line.slice(7));
  }
  const f = (x: number, d = 1) => x.toFixed(d);
  console.log(`\nDNABERT-2-117M shape (${layers} layers), random weights, Wasm ${threads} thread(s); ${cpus().length} cores, ${cpus()[0]?.model ?? "?"}, Node ${process.version}`);
  console.log("Machine shared with other work: wall times are noisy; (b)'s ratio is timed in one process.\n");
  const a = results.a, b = results.b, c = results.c;
  if (a) {
    console.log(`## a) ${a.input}: ${a.bp} bp, ${a.mode}; ${a.backend}; batches: ${maxBatchTokens ? `≤ ${maxBatchTokens} tokens` : "the default budget (≤ 16 windows and ≤ 4096 tokens: 8 windows of 512)"}`);
    console.log("| windows | tokens | load s | embed s | tokens/s | peak RSS during load MB | RSS after load + gc MB | peak RSS MB |");
    console.log("|---|---|---|---|---|---|---|---|");
    console.log(`| ${a.windows} | ${a.tokens} | ${f(a.loadS)} | ${f(a.embedS)} (target ≤ 90) | ${f(a.tokensPerS)} | ${f(a.loadPeakRssMB, 0)} | ${f(a.loadRssMB, 0)} | ${f(a.peakRssMB, 0)} (target ≤ 800) |\n`);
  }
  if (b) {
    console.log(`## b) ${b.input}: ${b.tokens} tokens, batches of ${BATCH}, ${CHUNKS} chunks timed alternately`);
    console.log("| path | s | tokens/s |\n|---|---|---|");
    console.log(`| encoder alone (model.forward, same ids) | ${f(b.encoderS)} | ${f(b.encoderTokensPerS)} |`);
    console.log(`| CLI path (gzip reader, tokenizer, embed, NPY sink) | ${f(b.cliS)} | ${f(b.cliTokensPerS)} |`);
    console.log(`CLI / encoder throughput: ${f(b.ratio, 3)} (target ≥ 0.9); NPY ${b.npyBytes} bytes; peak RSS ${f(b.peakRssMB, 0)} MB\n`);
  }
  if (c) {
    console.log(`## c) ${c.input} through the CLI (its own process, load included): \`${c.command}\``);
    console.log("| windows | wall s (target ≤ 90) | peak RSS MB (target ≤ 800) |\n|---|---|---|");
    console.log(`| ${c.windows} | ${f(c.wallS)} | ${f(c.peakRssMB, 0)} |\n`);
  }
  mkdirSync("bench-results", { recursive: true });
  writeFileSync("bench-results/genome-latest.json", JSON.stringify({ layers, threads, cpus: cpus().length, node: process.version, results }, null, 2));
  console.log("wrote bench-results/genome-latest.json");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
