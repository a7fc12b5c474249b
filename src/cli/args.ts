// Command-line parsing for `germ`: node:util parseArgs plus validation into one typed CliOptions.
// Every mistake here is a UsageError (exit code 2); nothing is loaded before the arguments are known good.
import { parseArgs } from "node:util";
import { Q4_GROUPS } from "../contract/formats.js";
import { InputError } from "../errors.js";
import type { SequenceFormat } from "../io/fasta.js";
import type { Shard } from "./shard.js";

/** A mistake in the command line itself: exit code 2, with a pointer to --help. */
export class UsageError extends InputError {}

export const COMMANDS = ["embed", "classify", "predict", "tokenize", "outliers", "quantize", "finetune", "merge"] as const;
export type Command = (typeof COMMANDS)[number];
export type Device = "reference" | "wasm" | "webgpu" | "auto";
export type OutputFormat = "jsonl" | "tsv" | "npy" | "parquet";
export type Pooling = "mean" | "cls" | "pooler" | "max";
export type Dtype = "f32" | "f16" | "q8" | "q4";

export type AttnSoftmax = "vanilla" | "softmax1";

/** One `--model` with its `--dtype` and `--attn-softmax`, and its name in outliers' summary lines and chart. */
export interface ModelSpec { model: string; dtype?: Dtype; attnSoftmax?: AttnSoftmax; name: string }

export interface CliOptions {
  command: Command;
  /** Paths of the sequence files (plain or gzip), "-" for stdin; read in order as one input. */
  inputs: string[];
  /** The (first) --model. */
  model: string;
  /** Every --model with its --dtype (outliers takes several; other commands exactly one). */
  models: ModelSpec[];
  revision?: string;
  device: Device;
  threads?: number;
  pooling: Pooling;
  format: OutputFormat;
  inputFormat: SequenceFormat;
  batchSize: number;
  out?: string;
  keepCase: boolean;
  /** A character outside ACGTN stops the run (exit 1) instead of a warning at the end. */
  strict: boolean;
  maxLength?: number;
  attnSoftmax?: AttnSoftmax;
  /** Undefined: f32, or what a quantized checkpoint stores. */
  dtype?: Dtype;
  /** outliers: write the per-layer chart (SVG) of every model there. */
  plot?: string;
  /** A PEFT LoRA adapter (directory, URL or hub id) every sequence runs with. */
  adapter?: string;
  /** Merge the adapter into the base weights before running (f32/f16 models). */
  merge: boolean;
  /** finetune: the GUE-style CSV files and the training settings. */
  train?: { train: string; dev?: string; test?: string; epochs: number; lr: number; loraR: number; loraAlpha: number; targets: string[];
    warmupSteps: number; weightDecay: number; maxGradNorm: number | null; seed: number; numLabels?: number; recompute: boolean;
    /** Dropout: LoRA input (default 0.05, GERM's recipe) and hidden (default: config.json's hidden_dropout_prob). */
    loraDropout: number; hiddenDropout?: number };
  /** quantize: the calibration sequences' file (for smoothQuant and staticActivations). */
  calibration?: string;
  /** quantize: SmoothQuant α (q8), calibrated on `calibration`. */
  smoothQuant?: number;
  /** quantize --static-activations: one q8 activation scale per projection input, calibrated on `calibration`. */
  staticActivations?: boolean;
  /** quantize --dtype q4: weights per scale (32, 64 or 128); undefined is 32. */
  groupSize?: number;
  /** quantize --scale-dtype f16: q4 scales rounded to halves (F16 in the file, f16 on WebGPU). */
  scaleDtype?: "f32" | "f16";
  /** --shard i/N: this run takes records k with k mod N = i - 1, and its output stores each k (shard.ts). */
  shard?: Shard;
  /** --resume: keep what --out already holds (cut back to its last complete row) and go on after it. */
  resume: boolean;
  /** Token budget per forward pass (the model's maxBatchTokens); results do not depend on it. */
  maxBatchTokens?: number;
  /** --batch-size as given, for the model (undefined with --max-batch-tokens alone: the token budget decides). */
  modelBatchSize?: number;
  /** embed: pool (or, with --per-token, write) encoder layer K's output (0-based; negative counts from the end). */
  layer?: number;
  /** embed --window N [--stride S] [--window-unit bp|tokens]: one row per window (model.embedWindows). */
  window?: { size: number; stride?: number; unit: "bp" | "tokens" };
  /** embed --window … --aggregate mean: one row per record, the length-weighted mean of its windows. */
  aggregate?: "mean";
  /** embed --per-token: one row per token (model.embedTokens), with its bp offsets. */
  perToken: boolean;
  /** classify/predict: also write accuracy, macro F1 and MCC over the labelled records to this JSON file. */
  metrics?: string;
  /** --quiet: no progress and no warnings (errors only); --verbose: also a line per batch and the settings. */
  verbosity: "quiet" | "normal" | "verbose";
}

export type ParsedArgs = { kind: "help"; command?: Command } | { kind: "version" } | { kind: "run"; options: CliOptions };

export const HELP = `Usage: germ <command> <input>... --model <dir|url|hub-id> [options]
       germ outliers <input>... --model A [--model B ...] [--dtype T ...] [--plot chart.svg]
       germ quantize --model <dir|url|hub-id> --dtype q8|q4 --out <dir> [--group-size 64] [--scale-dtype f16] [--smooth-quant 0.5] [--static-activations] [--calibration seqs.fa]
       germ finetune --model <dir|url|hub-id> --train train.csv [--dev dev.csv] [--test test.csv] --out <adapter-dir>
       germ merge <out.npy|.tsv|.jsonl|.parquet> <shard>...   (the outputs of --shard i/N runs, in input order)

Commands:
  embed       one vector per sequence (mean or [CLS] pooling)
  classify    logits, probabilities and label (needs a checkpoint with a classifier head)
  predict     classify with a fine-tuned adapter (--adapter required): label and probabilities per sequence
  tokenize    BPE token ids and tokens (reads tokenizer.json only: no weights, no backend)
  outliers    GERM paper outlier statistics (validate_sc.py): per sequence and overall, the mean
              per-token inf-norm and kurtosis of each layer's mlp.wo and mlp.layernorm output.
              Several --model: one summary line per model (no per-sequence lines), the same input
              through each; --plot chart.svg draws every model's layers in one chart (docs/cli.md)
  quantize    write the model with q8 or q4 projection weights to --out (a directory that
              --model then loads as it is, without re-quantizing; docs/quantization.md)
  finetune    train a LoRA adapter on a GUE-style CSV (sequence,label) and write it to --out as a
              PEFT directory (loads in Python's peft, and here with --adapter). Evaluates --dev after
              each epoch and --test at the end (accuracy, macro F1, MCC); Ctrl-C saves what is trained
  merge       join the outputs of --shard 1/N … N/N runs into the file one unsharded run writes

Input:
  <input>...              FASTA, FASTQ, CSV or TSV with a 'sequence' column (GUE: sequence,label), or
                          one sequence per line; plain or gzip/bgzip (.gz, recognized by its content);
                          '-' reads stdin. Several inputs are read in order as one; any size streams
                          through in batches (docs/cli.md)
  --input-format F        auto (default) | fasta | fastq | csv | tsv | plain
  --keep-case             keep letter case. By default sequences are upper-cased: soft-masked genome
                          regions are lower-case, and the DNABERT-2/GERM vocabulary has only upper-case
                          tokens, so 'acgt' would be read as [UNK]
  --strict                a character outside ACGTN (RNA, protein, IUPAC codes) is an error; by default
                          they are counted and reported in one warning at the end. Binary input is always
                          an error

Model:
  -m, --model M           local directory, http(s) URL of a directory, or hub id (magicslabnu/GERM);
                          outliers takes several (--model A --model B) to compare them
  --revision R            hub branch, tag or commit (default: main)
  --device D              auto (default) | reference | wasm | webgpu
  --threads N             worker threads for the wasm backend
  --attn-softmax S        vanilla | softmax1 (overrides config.json; GERM checkpoints use softmax1).
                          With several --model, like --dtype: one for all, or one per --model
  --dtype T               projection weights: f32 (default) | f16 (WebGPU with shader-f16) | q8 (int8
                          weights and activations) | q4 (int4 weights, groups of 32), on every backend.
                          A quantized checkpoint loads as stored without it. With several --model:
                          one --dtype for all, or one per --model in their order
                          (--model m --model m --dtype f32 --dtype q8 compares f32 with q8)
  --max-length N          truncate to N tokens including [CLS] and [SEP]
  --adapter A             embed, classify, outliers: apply a HuggingFace PEFT LoRA adapter (directory,
                          URL or hub id: adapter_config.json + adapter_model.safetensors or .bin); its own
                          classifier and labels replace the model's
  --merge                 merge the adapter into the weights first (f32/f16; same results, base speed)

Fine-tuning (finetune):
  --train F, --dev F, --test F   CSV files with 'sequence' and 'label' columns (labels 0…C-1, or
                          numbers with --num-labels 1 for regression)
  --epochs N (3)  --lr X (1e-4)  --batch-size N (16)  --lora-r N (8)  --lora-alpha X (16)
  --targets A,B (Wqkv)    LoRA target modules (peft names: Wqkv, dense, gated_layers, wo)
  --warmup-steps N (0)  --weight-decay X (0.01)  --max-grad-norm X|none (1.0)  --seed N (42)
  --num-labels N          classes (default: the largest label + 1)
  --lora-dropout X (0.05) --hidden-dropout X (config.json's hidden_dropout_prob): dropout in training
  --recompute             recompute each layer's activations in the backward pass (memory of one layer)

Output:
  -f, --format F          jsonl (default) | tsv | npy (embed only: float32 [sequences, hidden],
                          rows in input order; with --out x.npy also x.ids.tsv, one id per row, and a
                          header that stays right if the run stops early) | parquet (embed only)
  -o, --out FILE          write there instead of stdout; embed --out x.npy writes NPY, --out x.parquet
                          Parquet (index, id, start, end, embedding as a list of float32; docs/cli.md)
  --pooling P             embed: mean (default) | cls | pooler | max (per dimension, over the tokens)
  --layer K               embed: encoder layer K's output instead of the last (0-based; -1 = last,
                          -2 = the one before); only layers 0…K run
  --window N              embed: cut each record into windows of N tokens (or bp) and write one row per
                          window with its id, start and end (bp, 0-based, end exclusive)
  --stride S              distance between window starts (default N: windows tile the record)
  --window-unit U         tokens (default: N tokens of the record's own tokenization) | bp
  --aggregate mean        one row per record: the length-weighted mean of its windows' vectors
  --per-token             embed: one row per token ([CLS] … [SEP]) with its token, start and end
  --max-batch-tokens N    token budget per forward pass (rows × longest row); a longer sequence runs
                          alone. Alone (no --batch-size) the budget decides how many sequences per pass
  --plot FILE.svg         outliers: the per-layer kurtosis and inf-norm chart, one line per model
  --metrics FILE.json     classify, predict on a CSV/TSV with a 'label' column: accuracy, macro F1 and MCC
                          (also printed on stderr whenever the input has labels)
  --shard i/N             embed, classify, predict, tokenize: only records k (0-based) with k mod N = i-1;
                          the output stores each k, for 'germ merge' (docs/cli.md)
  --resume                keep the rows --out holds (cut back to the last complete one) and go on after them
  -b, --batch-size N      sequences per forward pass (default 16)

  -q, --quiet             no progress, no warnings, no closing messages (errors only)
  -v, --verbose           also the settings, and a line per batch above the progress
  -h, --help              this text (germ <command> --help: that command's flags and an example)
  --version               print the version

Progress (sequences, tokens, tokens/s, and an ETA when the input files' size is known) is drawn on
stderr when it is a terminal; warnings print above it. Ctrl-C stops after the current batch and closes the
output (a second Ctrl-C quits at once). Exit codes: 0 ok, 1 runtime error, 2 usage error, 130 interrupted.
`;

const OPTIONS = {
  model: { type: "string", short: "m", multiple: true },
  revision: { type: "string" },
  device: { type: "string" },
  threads: { type: "string" },
  pooling: { type: "string" },
  format: { type: "string", short: "f" },
  "input-format": { type: "string" },
  "batch-size": { type: "string", short: "b" },
  out: { type: "string", short: "o" },
  "keep-case": { type: "boolean" },
  strict: { type: "boolean" },
  "max-length": { type: "string" },
  "attn-softmax": { type: "string", multiple: true },
  dtype: { type: "string", multiple: true },
  plot: { type: "string" },
  adapter: { type: "string" },
  merge: { type: "boolean" },
  train: { type: "string" }, dev: { type: "string" }, test: { type: "string" },
  epochs: { type: "string" }, lr: { type: "string" }, "lora-r": { type: "string" }, "lora-alpha": { type: "string" },
  targets: { type: "string" }, "warmup-steps": { type: "string" }, "weight-decay": { type: "string" },
  "max-grad-norm": { type: "string" }, seed: { type: "string" }, "num-labels": { type: "string" }, recompute: { type: "boolean" },
  "lora-dropout": { type: "string" }, "hidden-dropout": { type: "string" },
  calibration: { type: "string" }, "smooth-quant": { type: "string" }, "group-size": { type: "string" }, "static-activations": { type: "boolean" }, "scale-dtype": { type: "string" },
  "max-batch-tokens": { type: "string" }, layer: { type: "string" }, window: { type: "string" }, stride: { type: "string" },
  "window-unit": { type: "string" }, aggregate: { type: "string" }, "per-token": { type: "boolean" },
  metrics: { type: "string" }, shard: { type: "string" }, resume: { type: "boolean" }, quiet: { type: "boolean", short: "q" }, verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

/** Parse argv (without `node` and the script path). Throws UsageError. */
export function parseCliArgs(argv: string[]): ParsedArgs {
  let parsed;
  try {
    // `--layer -2` (a negative number) would read as an option to parseArgs: join it as `--layer=-2`.
    const args = argv.flatMap((a, i) => (a === "--layer" && /^-\d+$/.test(argv[i + 1] ?? "") ? [] : i > 0 && argv[i - 1] === "--layer" && /^-\d+$/.test(a) ? [`--layer=${a}`] : [a]));
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
  const { values: v, positionals } = parsed;
  const [command, ...inputs] = positionals;
  const known = command !== undefined && (COMMANDS as readonly string[]).includes(command);
  if (v.help) return known ? { kind: "help", command: command as Command } : { kind: "help" };
  if (v.version) return { kind: "version" };
  const input = inputs[0];
  if (command === undefined) throw new UsageError(`missing command (${COMMANDS.join(", ")})`);
  if (!known) throw new UsageError(`unknown command '${command}' (expected ${COMMANDS.join(", ")})`);
  if (v.quiet && v.verbose) throw new UsageError(`${command}: --quiet and --verbose contradict each other`);
  const verbosity = v.quiet ? "quiet" : v.verbose ? "verbose" : "normal";
  if (command === "merge") return { kind: "run", options: mergeOptions(v, inputs, verbosity) };
  const resumable = ["embed", "classify", "predict", "tokenize"];
  for (const flag of ["shard", "resume"] as const) {
    if (v[flag] !== undefined && !resumable.includes(command)) {
      throw new UsageError(`${command}: --${flag} applies to ${resumable.join(", ")}${command === "outliers" ? " (outliers' ALL line needs every sequence)" : ""}`);
    }
  }
  if (v.metrics !== undefined) {
    if (command !== "classify" && command !== "predict") throw new UsageError(`${command}: --metrics applies to classify and predict (a CSV/TSV with a label column)`);
    if (v.metrics === "" || v.metrics === "-") throw new UsageError(`${command}: --metrics needs a file name (FILE.json)`);
    if (v.metrics === v.out) throw new UsageError(`${command}: --metrics and --out name the same file`);
  }
  if (v["max-batch-tokens"] !== undefined && !["embed", "classify", "predict", "outliers"].includes(command)) {
    throw new UsageError(`${command}: --max-batch-tokens applies to embed, classify, predict and outliers`);
  }
  for (const flag of ["layer", "window", "per-token"] as const) {
    if (v[flag] !== undefined && command !== "embed") throw new UsageError(`${command}: --${flag} applies to embed only`);
  }
  for (const flag of ["stride", "window-unit", "aggregate"] as const) {
    if (v[flag] !== undefined && v.window === undefined) throw new UsageError(`${command}: --${flag} needs --window N`);
  }
  if (v["per-token"] && v.window !== undefined) throw new UsageError("embed: --per-token and --window exclude each other (a token's vector does not depend on windows you choose here)");
  if (v["per-token"] && v.pooling !== undefined) throw new UsageError("embed: --per-token writes every token's vector, so --pooling does not apply");
  if (v.resume && (v["per-token"] || (v.window !== undefined && v.aggregate === undefined))) {
    throw new UsageError(`embed: --resume needs one row per record; with ${v["per-token"] ? "--per-token" : "--window (without --aggregate)"} a record has several: split the work with --shard instead`);
  }
  if (v.resume && v.out === undefined) throw new UsageError(`${command}: --resume needs --out FILE (it goes on after the rows that file holds)`);
  const models = (v.model ?? []).filter((m) => m !== "");
  if (models.length !== (v.model ?? []).length) throw new UsageError(`${command}: --model needs a directory, URL or hub id`);
  if (command !== "outliers" && models.length > 1) throw new UsageError(`${command}: --model given ${models.length} times; several models only for outliers`);
  // Per-model options: given once (every model) or once per --model, paired in order.
  const perModel = <T extends string>(flag: "dtype" | "attn-softmax", allowed: readonly T[]): T[] => {
    const given = (v[flag] ?? []).map((x) => oneOf(`--${flag}`, x, allowed));
    if (command !== "outliers" && given.length > 1) throw new UsageError(`${command}: --${flag} given ${given.length} times; it takes one value`);
    if (given.length > 1 && given.length !== models.length) {
      throw new UsageError(`${command}: --${flag} given ${given.length} times for ${models.length} --model: give one for every model, or one per --model in their order`);
    }
    return given;
  };
  const dtypes = perModel("dtype", ["f32", "f16", "q8", "q4"] as const);
  const softmaxes = perModel("attn-softmax", ["vanilla", "softmax1"] as const);
  const dtype = dtypes[0];
  if (v.plot !== undefined) {
    if (command !== "outliers") throw new UsageError(`${command}: --plot applies to outliers only`);
    if (!/[^\\/]\.svg$/i.test(v.plot)) throw new UsageError(`outliers: --plot writes an SVG chart, so its file name must end in .svg; got '${v.plot}'`);
    if (v.out !== undefined && v.out === v.plot) throw new UsageError("outliers: --plot and --out name the same file");
  }
  const trainFlags = ["train", "dev", "test", "epochs", "lr", "lora-r", "lora-alpha", "targets", "warmup-steps", "weight-decay", "max-grad-norm", "seed", "num-labels", "recompute",
    "lora-dropout", "hidden-dropout"] as const;
  if (command !== "quantize" && (v.calibration !== undefined || v["smooth-quant"] !== undefined || v["group-size"] !== undefined || v["static-activations"] || v["scale-dtype"] !== undefined)) {
    throw new UsageError(`${command}: --calibration, --smooth-quant, --static-activations, --group-size and --scale-dtype apply to quantize only`);
  }
  if (command !== "finetune") {
    const f = trainFlags.find((k) => v[k] !== undefined);
    if (f) throw new UsageError(`${command}: --${f} applies to finetune only`);
  }
  if (command === "finetune") {
    if (input !== undefined) throw new UsageError(`finetune: unexpected argument '${input}' (it reads --train and writes --out)`);
    if (!v.train) throw new UsageError("finetune: --train <file.csv> is required");
    if (!v.out) throw new UsageError("finetune: --out <adapter-dir> is required");
    if (v.adapter !== undefined) throw new UsageError("finetune: --adapter is for embed, classify, predict and outliers");
  } else if (command === "quantize") {
    if (input !== undefined) throw new UsageError(`quantize: unexpected argument '${input}' (it reads --model and writes --out)`);
    if (models.length === 0) throw new UsageError("quantize: --model is required");
    if (dtype !== "q8" && dtype !== "q4") throw new UsageError("quantize: --dtype q8 or --dtype q4 is required");
    if (!v.out) throw new UsageError("quantize: --out <dir> is required");
    if (v.calibration === undefined) {
      if (v["smooth-quant"] !== undefined) throw new UsageError("quantize: --smooth-quant and --calibration go together (SmoothQuant calibrates on those sequences)");
      if (v["static-activations"]) throw new UsageError("quantize: --static-activations and --calibration go together (the scales are measured on those sequences)");
    } else if (v["smooth-quant"] === undefined && !v["static-activations"]) {
      throw new UsageError("quantize: --calibration is for --smooth-quant or --static-activations (they calibrate on its sequences)");
    }
    if (v["smooth-quant"] !== undefined && dtype !== "q8") throw new UsageError("quantize: --smooth-quant applies to --dtype q8 (int8 activations)");
    if (v["static-activations"] && dtype !== "q8") throw new UsageError("quantize: --static-activations applies to --dtype q8 (int8 activations)");
    if (v["group-size"] !== undefined && (dtype !== "q4" || !Q4_GROUPS.includes(Number(v["group-size"])))) {
      throw new UsageError(`quantize: --group-size ${v["group-size"].slice(0, 20)}: ${dtype === "q4" ? `q4 groups are ${Q4_GROUPS.join(", ")}` : "applies to --dtype q4"}`);
    }
    if (v["scale-dtype"] !== undefined && dtype !== "q4") throw new UsageError("quantize: --scale-dtype applies to --dtype q4 (q8 row scales stay f32)");
  } else if (input === undefined) throw new UsageError(`${command}: missing <input> (a sequence file, or - for stdin)`);
  if (inputs.filter((i) => i === "-").length > 1) throw new UsageError(`${command}: stdin ('-') can be read only once`);
  if (models.length === 0) throw new UsageError(`${command}: --model is required`);
  const cmd = command as Command;
  // embed --out x.npy / x.parquet is NPY / Parquet without -f (otherwise as given, jsonl by default): a user who names
  // the file .npy expects an NPY file, not JSONL under that name.
  const ext = /\.(npy|parquet)$/i.exec(v.out ?? "")?.[1]?.toLowerCase() as "npy" | "parquet" | undefined;
  const inferred = cmd === "embed" && v.format === undefined ? ext : undefined;
  const format = oneOf("--format", v.format ?? inferred ?? "jsonl", ["jsonl", "tsv", "npy", "parquet"] as const);
  if ((format === "npy" || format === "parquet") && cmd !== "embed") {
    throw new UsageError(`${cmd}: --format ${format} holds one vector per sequence, so it is only for embed; use jsonl or tsv`);
  }
  if (format === "parquet" && (v.out === undefined || v.out === "-")) throw new UsageError("embed: --format parquet needs --out FILE.parquet (the file's footer is written last)");
  if (v.pooling !== undefined && cmd !== "embed") throw new UsageError(`${cmd}: --pooling applies to embed only`);
  if (v.adapter !== undefined && (cmd === "tokenize" || cmd === "quantize")) throw new UsageError(`${cmd}: --adapter applies to embed, classify, predict and outliers`);
  if (cmd === "predict" && v.adapter === undefined) throw new UsageError("predict: --adapter <dir|url|hub-id> is required (the fine-tuned adapter)");
  if (v.adapter === "") throw new UsageError(`${cmd}: --adapter needs a directory, URL or hub id`);
  if (v.merge && v.adapter === undefined) throw new UsageError(`${cmd}: --merge needs --adapter`);
  return {
    kind: "run",
    options: {
      command: cmd,
      inputs,
      model: models[0]!,
      models: modelSpecs(models, dtypes, softmaxes),
      revision: v.revision,
      device: oneOf("--device", v.device ?? "auto", ["auto", "reference", "wasm", "webgpu"] as const),
      threads: v.threads === undefined ? undefined : positiveInt("--threads", v.threads),
      pooling: oneOf("--pooling", v.pooling ?? "mean", ["mean", "cls", "pooler", "max"] as const),
      format,
      inputFormat: oneOf("--input-format", v["input-format"] ?? "auto", ["auto", "fasta", "fastq", "csv", "tsv", "plain"] as const),
      // With --max-batch-tokens alone the model forms batches by tokens, so each call gets more records.
      batchSize: v["batch-size"] !== undefined ? positiveInt("--batch-size", v["batch-size"]) : v["max-batch-tokens"] !== undefined ? 256 : 16,
      modelBatchSize: v["batch-size"] !== undefined ? positiveInt("--batch-size", v["batch-size"]) : v["max-batch-tokens"] !== undefined ? undefined : 16,
      maxBatchTokens: v["max-batch-tokens"] === undefined ? undefined : positiveInt("--max-batch-tokens", v["max-batch-tokens"]),
      layer: v.layer === undefined ? undefined : integer("--layer", v.layer),
      window: v.window === undefined ? undefined : {
        size: positiveInt("--window", v.window),
        stride: v.stride === undefined ? undefined : positiveInt("--stride", v.stride),
        unit: oneOf("--window-unit", v["window-unit"] ?? "tokens", ["tokens", "bp"] as const),
      },
      aggregate: v.aggregate === undefined ? undefined : oneOf("--aggregate", v.aggregate, ["mean"] as const),
      perToken: v["per-token"] ?? false,
      out: v.out,
      keepCase: v["keep-case"] ?? false,
      strict: v.strict ?? false,
      // [CLS] and [SEP] alone take two tokens.
      maxLength: v["max-length"] === undefined ? undefined : positiveInt("--max-length", v["max-length"], 2),
      attnSoftmax: softmaxes[0],
      dtype,
      plot: v.plot,
      adapter: v.adapter,
      merge: v.merge ?? false,
      shard: v.shard === undefined ? undefined : parseShard(v.shard),
      resume: v.resume ?? false,
      metrics: v.metrics,
      verbosity,
      calibration: v.calibration,
      smoothQuant: v["smooth-quant"] === undefined ? undefined : positiveNumber("--smooth-quant", v["smooth-quant"]),
      staticActivations: v["static-activations"] ?? false,
      groupSize: v["group-size"] === undefined ? undefined : Number(v["group-size"]),
      scaleDtype: v["scale-dtype"] === undefined ? undefined : oneOf("--scale-dtype", v["scale-dtype"], ["f32", "f16"] as const),
      train: cmd !== "finetune" ? undefined : {
        train: v.train!, dev: v.dev, test: v.test,
        epochs: v.epochs === undefined ? 3 : positiveInt("--epochs", v.epochs),
        lr: v.lr === undefined ? 1e-4 : positiveNumber("--lr", v.lr),
        loraR: v["lora-r"] === undefined ? 8 : positiveInt("--lora-r", v["lora-r"]),
        loraAlpha: v["lora-alpha"] === undefined ? 16 : positiveNumber("--lora-alpha", v["lora-alpha"]),
        targets: (v.targets ?? "Wqkv").split(",").map((t) => t.trim()).filter(Boolean),
        warmupSteps: v["warmup-steps"] === undefined ? 0 : positiveInt("--warmup-steps", v["warmup-steps"], 0),
        weightDecay: v["weight-decay"] === undefined ? 0.01 : positiveNumber("--weight-decay", v["weight-decay"], true),
        maxGradNorm: v["max-grad-norm"] === undefined ? 1 : v["max-grad-norm"] === "none" ? null : positiveNumber("--max-grad-norm", v["max-grad-norm"]),
        seed: v.seed === undefined ? 42 : positiveInt("--seed", v.seed, 0),
        numLabels: v["num-labels"] === undefined ? undefined : positiveInt("--num-labels", v["num-labels"]),
        recompute: v.recompute ?? false,
        loraDropout: v["lora-dropout"] === undefined ? 0.05 : probability("--lora-dropout", v["lora-dropout"]),
        hiddenDropout: v["hidden-dropout"] === undefined ? undefined : probability("--hidden-dropout", v["hidden-dropout"]),
      },
    },
  };
}

/**
 * Pair each --model with its --dtype and --attn-softmax (one for all, or one each in order) and name it: the path's
 * last component, plus the dtype when it is not f32 ("germ q8"). Names that still collide take their attn-softmax
 * when those differ ("tiny softmax1"), then their parent ("a/germ"), then a number ("germ #1", "germ #2"), so the
 * summary lines and the chart's legend tell the models apart.
 */
export function modelSpecs(models: string[], dtypes: Dtype[], softmaxes: AttnSoftmax[] = []): ModelSpec[] {
  const pick = <T>(given: T[], i: number) => (given.length === 1 ? given[0] : given[i]);
  const specs = models.map((model, i) => ({ model, dtype: pick(dtypes, i), attnSoftmax: pick(softmaxes, i) }));
  const parts = models.map((m) => m.replace(/[\\/]+$/, "").split(/[\\/]/).filter(Boolean));
  const dtypeOf = (i: number) => (specs[i]!.dtype !== undefined && specs[i]!.dtype !== "f32" ? ` ${specs[i]!.dtype}` : "");
  let names = models.map((m, i) => (parts[i]!.at(-1) ?? m) + dtypeOf(i));
  const clashing = (i: number) => names.filter((n) => n === names[i]).length > 1;
  names = names.map((n, i) => (clashing(i) && specs[i]!.attnSoftmax ? `${n} ${specs[i]!.attnSoftmax}` : n));
  const short = [...names];
  names = names.map((n, i) => (clashing(i) && parts[i]!.length > 1 ? parts[i]!.slice(-2).join("/") + n.slice(parts[i]!.at(-1)!.length) : n));
  const seen = new Map<string, number>();
  names = names.map((n, i) => {
    if (!clashing(i)) return n;
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return `${short[i]} #${k}`;
  });
  return specs.map((spec, i) => ({ ...spec, name: names[i]! }));
}

/**
 * `germ merge OUT IN...`: the format from --format or OUT's extension (.npy, .tsv, .parquet, .jsonl/.ndjson/.json); the
 * inputs are sharded outputs (files, not stdin: an NPY comes with its ids sidecar).
 */
function mergeOptions(v: Record<string, unknown>, files: string[], verbosity: CliOptions["verbosity"]): CliOptions {
  const [out, ...inputs] = files;
  if (out === undefined || inputs.length === 0) throw new UsageError("merge: expected OUT and one or more shard files (germ merge out.npy a.npy b.npy …)");
  const allowed = new Set(["format", "quiet", "verbose"]);
  const other = Object.keys(v).find((k) => !allowed.has(k) && v[k] !== undefined);
  if (other) throw new UsageError(`merge: --${other} does not apply (merge takes OUT, the shard files and --format)`);
  const ext = /\.(npy|tsv|parquet|jsonl|ndjson|json)$/i.exec(out)?.[1]?.toLowerCase();
  const guessed = ext === "npy" || ext === "tsv" || ext === "parquet" ? ext : ext ? "jsonl" : undefined;
  if (v.format === undefined && guessed === undefined) throw new UsageError(`merge: cannot tell the format from '${out}'; name it .npy, .tsv, .jsonl or .parquet, or give --format`);
  const format = oneOf("--format", (v.format as string | undefined) ?? guessed!, ["jsonl", "tsv", "npy", "parquet"] as const);
  if (inputs.includes("-") || out === "-") throw new UsageError("merge: reads and writes files, not stdin or stdout ('-')");
  if (inputs.includes(out)) throw new UsageError(`merge: '${out}' is both the output and a shard file`);
  return {
    command: "merge", inputs, out, model: "", models: [], device: "auto", pooling: "mean", format, inputFormat: "auto", batchSize: 16,
    keepCase: false, strict: false, merge: false, resume: false, verbosity, perToken: false,
  };
}

function parseShard(value: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard must be i/N with 1 ≤ i ≤ N (e.g. --shard 2/8); got '${value}'`);
  }
  return { index, count };
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} must be one of ${allowed.join(", ")}; got '${value}'`);
}

function positiveNumber(flag: string, value: string, zeroOk = false): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || (!zeroOk && n === 0)) throw new UsageError(`${flag} must be a ${zeroOk ? "non-negative" : "positive"} number; got '${value}'`);
  return n;
}

/** A probability in [0, 1) (dropout). */
function probability(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !(n >= 0 && n < 1)) throw new UsageError(`${flag} must be a probability in [0, 1); got '${value}'`);
  return n;
}

/** An integer, negative allowed (--layer -1). */
function integer(flag: string, value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`${flag} must be an integer (0-based; negative counts from the end); got '${value}'`);
  return n;
}

function positiveInt(flag: string, value: string, min = 1): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${flag} must be an integer ≥ ${min}; got '${value}'`);
  }
  return n;
}
