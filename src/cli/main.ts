#!/usr/bin/env node
// Entry point of the `germ` command: wires runCli (commands.ts) to the real process and GermModel.
// GermModel is imported lazily so `germ --help` works without loading any backend code, and `germ tokenize` never
// imports it: it reads tokenizer.json alone (no weights, no backend, no GPU probe).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FormatError } from "../errors.js";
import { CLI_ADAPTER, runCli, type CliModel, type ModelLoader, type TokenizerLoader } from "./commands.js";

const loadGermModel: ModelLoader = async (dirOrUrl, { adapter, merge, quiet, verbose, ...opts }) => {
  const { GermModel } = await import("../pipeline/germ-model.js");
  // The FMA build on Node 20 too (relaxed-flag.ts); GERM_RELAXED_SIMD=0 keeps V8's default.
  if (process.env.GERM_RELAXED_SIMD !== "0") await (await import("../backend/wasm/relaxed-flag.js")).enableRelaxedSimd();
  const model = await GermModel.fromPretrained(dirOrUrl, opts);
  // One line on what really runs, on a terminal (logs and pipes stay clean, as with the progress line) or with -v.
  const { backend, build, threads } = model.info;
  if ((process.stderr.isTTY && !quiet) || verbose) process.stderr.write(`germ: ${dirOrUrl} on ${backend} (${build}, ${threads} thread${threads > 1 ? "s" : ""}, ${model.dtype})\n`);
  try {
    if (adapter !== undefined) {
      await model.loadAdapter(CLI_ADAPTER, adapter);
      if (merge) await model.merge(CLI_ADAPTER);
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  const cli: CliModel = model;
  return cli;
};

const loadTokenizer: TokenizerLoader = async (dirOrUrl, { revision, onProgress }) => {
  const [{ openSource }, { DnaTokenizer }] = await Promise.all([import("../io/source.js"), import("../tokenizer/tokenizer.js")]);
  const src = await openSource(dirOrUrl, { revision, onProgress });
  const bytes = await src.get("tokenizer.json");
  if (!bytes) throw new FormatError(`${src.location}: tokenizer.json not found`);
  return DnaTokenizer.fromJSON(new TextDecoder().decode(bytes));
};

/** The package version: package.json is found by walking up (build/src/cli/ in development, dist/ when published). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "germ-js" && pkg.version) return pkg.version;
    } catch {
      // not here; keep walking up
    }
  }
  return "unknown";
}

function stdin(): AsyncIterable<Uint8Array> {
  if (process.stdin.isTTY) process.stderr.write("germ: reading sequences from stdin (end with Ctrl-D)\n");
  return process.stdin;
}

// A closed pipe (`germ embed x.fa ... | head`) is a normal way to stop reading, not a crash.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

// Ctrl-C: finetune stops after the current step and saves the adapter; embed, classify, … stop after the current
// batch and close their output (an NPY file's header then counts the rows written). A second Ctrl-C quits at once.
// quantize keeps the default (Ctrl-C quits).
const interrupt = new AbortController();
const command = process.argv.slice(2).find((a) => !a.startsWith("-"));
if (command !== undefined && command !== "quantize") {
  process.on("SIGINT", () => {
    if (interrupt.signal.aborted) process.exit(130);
    if (command !== "finetune") process.stderr.write("\ngerm: stopping after the current batch (Ctrl-C again to quit now)\n");
    interrupt.abort();
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin,
  version: packageVersion(),
  interrupt: interrupt.signal,
}, loadGermModel, loadTokenizer);
// Interrupted, the output is closed: a read of stdin or a download still pending must not keep the process alive.
if (process.exitCode === 130) process.exit(130);
