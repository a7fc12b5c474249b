// `germ <command> --help`: that command's usage, its flags and one example (`germ --help` is the whole page, HELP
// in args.ts). Text only, so the help never loads anything.
import type { Command } from "./args.js";

const INPUT = `Input:
  <input>...              FASTA, FASTQ, CSV/TSV with a 'sequence' column, or one sequence per line;
                          plain or gzip/bgzip; '-' is stdin; several are read in order as one
  --input-format F        auto (default) | fasta | fastq | csv | tsv | plain
  --keep-case             keep letter case (default: upper-case, as the vocabulary is)
  --strict                a character outside ACGTN is an error (default: one warning at the end)`;

const MODEL = `Model:
  -m, --model M           local directory, http(s) URL or hub id (magicslabnu/GERM)
  --revision R            hub branch, tag or commit (default: main)
  --device D              auto (default) | reference | wasm | webgpu
  --threads N             worker threads for the wasm backend
  --attn-softmax S        vanilla | softmax1 (overrides config.json; GERM checkpoints use softmax1)
  --dtype T               f32 (default) | f16 | q8 | q4
  --max-length N          truncate to N tokens including [CLS] and [SEP]`;

const ADAPTER = `  --adapter A             a PEFT LoRA adapter (directory, URL or hub id)
  --merge                 merge the adapter into the weights first`;

const SCALE = `Genome scale (docs/cli.md):
  --shard i/N             only records k (0-based over all inputs) with k mod N = i-1; the output stores
                          each k so that 'germ merge' puts the shards back in input order
  --resume                keep the rows --out holds (cut back to the last complete one), go on after them`;

const COMMON = `  -b, --batch-size N      sequences per forward pass (default 16)
  -q, --quiet             no progress and no warnings (errors only)
  -v, --verbose           also the settings and a line per batch
  -h, --help              this text`;

const text = (usage: string, what: string, sections: string[], example: string) =>
  `Usage: ${usage}\n\n${what}\n\n${sections.join("\n\n")}\n\nExample:\n  ${example}\n\n'germ --help' lists every command.\n`;

export const COMMAND_HELP: Record<Command, string> = {
  embed: text("germ embed <input>... --model M [options]", "One vector per sequence (mean, [CLS] or pooler pooling), in input order.", [INPUT, MODEL, `Output:
  -f, --format F          jsonl (default) | tsv | npy (float32 [sequences, hidden]; with --out x.npy also
                          x.ids.tsv, one id per row) | parquet (the default for --out x.parquet: index, id,
                          start, end, embedding)
  -o, --out FILE          write there instead of stdout
  --pooling P             mean (default) | cls | pooler | max
  --layer K               layer K's output (0-based; -1 = last, -2 = the one before)
${ADAPTER}`, `Long sequences:
  --window N              a row per window of N tokens (or bp) with id, start, end (0-based bp)
  --stride S              distance between window starts (default N)
  --window-unit U         tokens (default) | bp
  --aggregate mean        a row per record: the length-weighted mean of its windows
  --per-token             a row per token with its token, start and end
  --max-batch-tokens N    token budget per forward pass (rows × longest row)`, SCALE, COMMON], "germ embed genome.fa.gz --model magicslabnu/GERM --attn-softmax softmax1 -f npy -o genome.npy --shard 1/4 --resume"),
  classify: text("germ classify <input>... --model M [options]", "Logits, probabilities and label per sequence (a checkpoint with a classifier head).", [INPUT, MODEL, `Output:
  -f, --format F          jsonl (default) | tsv
  -o, --out FILE          write there instead of stdout
  --metrics FILE.json     with a 'label' column: accuracy, macro F1, MCC (also on stderr)
  --max-batch-tokens N    token budget per forward pass
${ADAPTER}`, SCALE, COMMON], "germ classify promoters.tsv --model ./germ-cls -f tsv -o predictions.tsv"),
  predict: text("germ predict <input>... --model M --adapter A [options]", "classify with a fine-tuned LoRA adapter: label and probabilities per sequence.", [INPUT, MODEL, `Output:
  -f, --format F          jsonl (default) | tsv
  -o, --out FILE          write there instead of stdout
${ADAPTER}`, SCALE, COMMON], "germ predict test.csv --model ./germ --adapter ./my-adapter -o predictions.jsonl"),
  tokenize: text("germ tokenize <input>... --model M [options]", "BPE token ids and tokens per sequence (reads tokenizer.json only: no weights, no backend).", [INPUT, `Model:
  -m, --model M           local directory, http(s) URL or hub id (only tokenizer.json is read)
  --revision R            hub branch, tag or commit
  --max-length N          truncate as the model would`, `Output:
  -f, --format F          jsonl (default) | tsv
  -o, --out FILE          write there instead of stdout`, SCALE, COMMON], "germ tokenize reads.fq.gz --model ./germ --max-length 512 -f tsv"),
  outliers: text("germ outliers <input>... --model A [--model B ...] [options]", "GERM paper outlier statistics: per sequence and overall (ALL), the mean per-token inf-norm and\nkurtosis of each layer's mlp.wo and mlp.layernorm output. Several --model: one ALL line each.", [INPUT, `${MODEL}
                          (--dtype and --attn-softmax: once, or once per --model in order)`, `Output:
  -f, --format F          jsonl (default) | tsv
  -o, --out FILE          write there instead of stdout
  --plot FILE.svg         the per-layer kurtosis and inf-norm chart, one line per model
${ADAPTER}`, COMMON], "germ outliers reads.fq --model zhihan1996/DNABERT-2-117M --model magicslabnu/GERM --attn-softmax vanilla --attn-softmax softmax1 --plot chart.svg"),
  quantize: text("germ quantize --model M --dtype q8|q4 --out <dir> [--group-size 64] [--scale-dtype f16] [--smooth-quant 0.5] [--static-activations] [--calibration seqs.fa]", "Write the model with q8 or q4 projection weights to a directory that --model then loads as it is.", [`Options:
  -m, --model M           the float model (directory, URL or hub id)
  --dtype T               q8 | q4
  -o, --out DIR           where the quantized model goes
  --group-size G          q4: weights per scale, 32 (default) | 64 | 128
  --scale-dtype T         q4: f32 (default) | f16: scales rounded to halves, F16 in the file (f16 on WebGPU)
  --smooth-quant A        SmoothQuant α (q8), calibrated on --calibration's sequences
  --static-activations    q8: one activation scale per projection input (max |x| / 127 over --calibration's
                          tokens) instead of one per token at run time
  --calibration F         sequences for --smooth-quant and --static-activations
  --device D              backend for the calibration run`, COMMON], "germ quantize --model ./germ --dtype q8 --out ./germ-q8"),
  finetune: text("germ finetune --model M --train train.csv [--dev dev.csv] [--test test.csv] --out <adapter-dir>", "Train a LoRA adapter on GUE-style CSV files (sequence,label) and write it as a PEFT directory.", [MODEL, `Fine-tuning:
  --train F, --dev F, --test F   CSV files with 'sequence' and 'label' columns
  --epochs N (3)  --lr X (1e-4)  --batch-size N (16)  --lora-r N (8)  --lora-alpha X (16)
  --targets A,B (Wqkv)    LoRA target modules (Wqkv, dense, gated_layers, wo)
  --warmup-steps N (0)  --weight-decay X (0.01)  --max-grad-norm X|none (1.0)  --seed N (42)
  --num-labels N          classes (default: the largest label + 1)
  --lora-dropout X (0.05)  --hidden-dropout X (config.json's hidden_dropout_prob)
  --recompute             recompute activations in the backward pass (memory of one layer)
  -o, --out DIR           the adapter directory`, COMMON], "germ finetune --model ./germ --train train.csv --dev dev.csv --test test.csv --epochs 3 --out ./my-adapter"),
  merge: text("germ merge <out.npy|out.tsv|out.jsonl|out.parquet> <shard>...", "Join the outputs of --shard 1/N … N/N runs (in any order) into the file one unsharded run writes:\nrows in input order, without the record index. An .npy shard comes with its .ids.tsv.", [`Options:
  -f, --format F          jsonl | tsv | npy (default: from the output's extension)
  -q, --quiet             no message at the end`], "germ merge genome.npy part1.npy part2.npy part3.npy part4.npy"),
};
