// Where the demo's inputs come from: a model folder (file picker or drag and drop) as the File list the worker turns
// into a ModelSource, and sequences (pasted text or an opened file) parsed by germ-js's own readers.

/** Files a model folder needs at least one of (besides config.json and tokenizer.json). */
const WEIGHTS = ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"];

/** An error the page shows as `name: message`, like the library's typed errors. */
export function inputError(message) {
  const e = new Error(message);
  e.name = "InputError";
  return e;
}

/**
 * The model files of a picked folder: only its top level (a fine-tuning run's subfolders are not the model).
 * Files with no relative path (dropped one by one, or set by a test) count as top level.
 */
export function modelFiles(fileList) {
  const all = [...fileList];
  const top = all.filter((f) => !f.webkitRelativePath || f.webkitRelativePath.split("/").length === 2);
  const folder = all.find((f) => f.webkitRelativePath)?.webkitRelativePath.split("/")[0] ?? "";
  const names = new Set(top.map((f) => f.name));
  const missing = ["config.json", "tokenizer.json"].filter((n) => !names.has(n));
  if (!WEIGHTS.some((n) => names.has(n))) missing.push("model.safetensors (or pytorch_model.bin)");
  if (missing.length) {
    const seen = [...names].slice(0, 8).join(", ") || "no files";
    throw inputError(`${folder || "the chosen files"}: missing ${missing.join(", ")} (found: ${seen})`);
  }
  return { files: top, folder: folder || `${top.length} local files` };
}

/** Files of a drop: plain files as they are; a dropped folder contributes its top-level files. */
export async function droppedFiles(dataTransfer) {
  const entries = [...dataTransfer.items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  const dir = entries.find((e) => e.isDirectory);
  if (!dir) return { list: [...dataTransfer.files], folder: "" };
  const reader = dir.createReader();
  const children = [];
  // readEntries answers in batches (100 in Chromium) until it returns an empty one.
  for (let batch; (batch = await new Promise((ok, fail) => reader.readEntries(ok, fail))).length;) children.push(...batch);
  const files = await Promise.all(children.filter((e) => e.isFile).map((e) => new Promise((ok, fail) => e.file(ok, fail))));
  return { list: files, folder: dir.name };
}

/**
 * Sequence records of pasted text (raw lines, FASTA, FASTQ, CSV/TSV with a `sequence` column) or of a file (plain or
 * gzip), through germ-js's parseSequences / readSequences, so the page reads exactly what the CLI reads.
 */
export async function readRecords(lib, { text, file }) {
  if (file) {
    const out = [];
    try {
      for await (const r of lib.readSequences(file.stream(), { name: file.name })) out.push(r);
    } catch (e) {
      if (e instanceof lib.GermError) throw e;
      // The browser reads the file from disk at each run: it fails if the file was moved, changed or deleted since.
      throw inputError(`${file.name}: cannot be read (${e.message}); was it moved, changed or deleted? Open it again`);
    }
    return out;
  }
  if (!text.trim()) throw inputError("no sequences: paste some, or open a FASTA/FASTQ file");
  return lib.parseSequences(text);
}

/** Sequences as the model reads them, and a note about characters the vocabulary lacks (they become [UNK]). */
export function prepare(records, upper) {
  const texts = records.map((r) => (upper ? r.sequence.toUpperCase() : r.sequence));
  let seqs = 0, chars = 0;
  for (const t of texts) {
    const odd = t.match(/[^ACGTN]/g);
    if (odd) { seqs++; chars += odd.length; }
  }
  const note = chars ? `${seqs} sequence${seqs === 1 ? " holds" : "s hold"} ${chars} character${chars === 1 ? "" : "s"} ` +
    `other than A, C, G, T, N${upper ? "" : " (lower case included)"}: the model reads them as unknown tokens.` : "";
  return { texts, note };
}
