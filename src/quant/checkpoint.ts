// Quantized checkpoints: a HuggingFace-style model.safetensors whose projection weights are stored in a quantized
// format (I8 for q8, U8 nibbles for q4) beside `<name>_scale` (F32) and, for static q8, `<name>_input_scale` (F32
// [1]), with the scheme in __metadata__, so fromPretrained reloads them without re-quantizing. Byte layouts: docs/quantization.md and contract/formats.ts.
import { encodeQ4, FORMATS, isFormatName, Q4_GROUP, Q4_GROUPS, type FormatName } from "../contract/formats.js";
import { toHalfBits } from "../contract/half.js";
import { FormatError } from "../errors.js";
import { toFloat32, type TensorMap } from "../io/raw-tensor.js";
import { writeSafetensors, type TensorToWrite } from "../io/safetensors.js";
import type { GermConfig } from "../model/config.js";
import { inputScaleName, projectionWeights } from "../model/weights.js";

/** __metadata__ keys of a quantized checkpoint. */
export const META = {
  format: "germ.weight_format", version: "germ.version", group: "germ.q4_group", smoothQuant: "germ.smoothquant_alpha",
  activationScales: "germ.activation_scales",
} as const;

/**
 * Whether a checkpoint declares static activation scales (`"germ.activation_scales": "static"`; absent or "dynamic":
 * per token at run time). Only q8 has them; an unknown value, or static without q8, is a FormatError naming the key.
 * @category Quantized checkpoints
 * @example
 * checkpointStaticScales({ "germ.weight_format": "q8", "germ.version": "1", "germ.activation_scales": "static" }, "model.safetensors"); // true
 */
export function checkpointStaticScales(metadata: Record<string, string>, file: string): boolean {
  const v = metadata[META.activationScales];
  if (v === undefined || v === "dynamic") return false;
  if (v !== "static") throw new FormatError(`${file}: __metadata__ "${META.activationScales}" = ${JSON.stringify(v.slice(0, 40))}; expected "static" or "dynamic"`);
  if (metadata[META.format] !== "q8") throw new FormatError(`${file}: __metadata__ "${META.activationScales}" = "static" needs "${META.format}" = "q8" (int8 activations)`);
  return true;
}

/**
 * The projection format a checkpoint declares (null for a plain float checkpoint); an unknown scheme is a FormatError.
 * @category Quantized checkpoints
 * @example
 * checkpointFormat({ "germ.weight_format": "q8", "germ.version": "1" }, "model.safetensors"); // "q8"
 */
export function checkpointFormat(metadata: Record<string, string>, file: string): FormatName | null {
  const f = metadata[META.format];
  if (f === undefined) return null;
  if (!isFormatName(f) || FORMATS[f].scales === "none") {
    throw new FormatError(`${file}: __metadata__ "${META.format}" = ${JSON.stringify(f.slice(0, 40))} is not a quantized weight format germ-js knows (q8, q4)`);
  }
  if (metadata[META.version] !== "1") throw new FormatError(`${file}: __metadata__ "${META.version}" = ${JSON.stringify(metadata[META.version])}; this germ-js reads version "1"`);
  if (f === "q4") checkpointQ4Group(metadata, file);
  return f;
}

/**
 * The q4 group size a quantized checkpoint declares (32, 64 or 128); anything else is a FormatError.
 * @category Quantized checkpoints
 * @example
 * checkpointQ4Group({ "germ.weight_format": "q4", "germ.version": "1", "germ.q4_group": "64" }, "model.safetensors"); // 64
 */
export function checkpointQ4Group(metadata: Record<string, string>, file: string): number {
  const g = metadata[META.group];
  const group = Q4_GROUPS.find((x) => String(x) === g);
  if (group === undefined) {
    throw new FormatError(`${file}: __metadata__ "${META.group}" = ${JSON.stringify(g?.slice(0, 40))}; q4 groups are ${Q4_GROUPS.join(", ")}`);
  }
  return group;
}

/**
 * Options of quantizeCheckpoint.
 * @category Quantized checkpoints
 */
export interface QuantizeCheckpointOptions {
  /** Extra `__metadata__` entries (e.g. germ.smoothquant_alpha). */
  metadata?: Record<string, string>;
  /** q4: weights per scale along k (32, 64 or 128; default 32). */
  group?: number;
  /** q8: a static activation scale per projection weight name (f32 > 0), stored as `<name>_input_scale`. */
  inputScales?: ReadonlyMap<string, number>;
  /** q4: "f16" rounds each scale to a half (encodeQ4) and stores F16 `<name>_scale` tensors; default "f32". */
  scaleDtype?: "f32" | "f16";
}

/**
 * The safetensors bytes of `tensors` with every projection weight encoded in `format` by the reference quantizer —
 * the same bytes fromPretrained({ dtype: format }) computes at load, so loading the file gives the same model.
 * Other tensors are written as stored. This is what GermModel.save writes, for runtimes without a file system.
 * @category Quantized checkpoints
 * @example
 * const url = "https://huggingface.co/zhihan1996/DNABERT-2-117M/resolve/main/model.safetensors";
 * const { tensors } = readSafetensors(new Uint8Array(await (await fetch(url)).arrayBuffer()), url);
 * const q8 = quantizeCheckpoint(tensors, model.config, "q8"); // model.safetensors bytes, ~1/4 of f32
 * const q4 = quantizeCheckpoint(tensors, model.config, "q4", { group: 128 }); // q4 with one scale per 128 weights
 * const q4h = quantizeCheckpoint(tensors, model.config, "q4", { scaleDtype: "f16" }); // F16 scales (exact halves)
 * // static q8: an activation scale per projection weight name (model.quantize({ activationScales: "static" }) calibrates them)
 * const scales = new Map([...tensors.keys()].map((name): [string, number] => [name, 0.02]));
 * const fixed = quantizeCheckpoint(tensors, model.config, "q8", { inputScales: scales });
 */
export function quantizeCheckpoint(tensors: TensorMap, cfg: GermConfig, format: FormatName, opts: QuantizeCheckpointOptions = {}): Uint8Array {
  const { metadata: extraMetadata = {}, group = Q4_GROUP, inputScales, scaleDtype = "f32" } = opts;
  const f = FORMATS[format];
  if (f.scales === "none") throw new FormatError(`quantizeCheckpoint: ${format} is not a quantized format`);
  if (!Q4_GROUPS.includes(group) || (format !== "q4" && group !== Q4_GROUP)) throw new FormatError(`quantizeCheckpoint: group size ${group} (q4 groups are ${Q4_GROUPS.join(", ")})`);
  if (inputScales && format !== "q8") throw new FormatError(`quantizeCheckpoint: static activation scales are for q8 (int8 activations), not ${format}`);
  if (scaleDtype !== "f32" && format !== "q4") throw new FormatError(`quantizeCheckpoint: f16 scales are for q4, not ${format}`);
  const projections = projectionWeights(tensors, cfg);
  const out = new Map<string, TensorToWrite>();
  for (const [name, t] of tensors) {
    const shape = projections.get(name);
    if (!shape) { out.set(name, { dtype: t.dtype, shape: t.shape, data: t.bytes }); continue; }
    const [n, k] = shape;
    const enc = format === "q4" ? encodeQ4(toFloat32(t, name), n, k, group, scaleDtype) : f.encode(toFloat32(t, name), n, k);
    out.set(name, { dtype: format === "q8" ? "I8" : "U8", shape: format === "q8" ? [n, k] : [n, f.dataBytes(n, k) / n], data: enc.data });
    const scaleShape = format === "q8" ? [n] : [n, enc.scales!.length / n];
    out.set(`${name}_scale`, scaleDtype === "f16" ? { dtype: "F16", shape: scaleShape, data: toHalfBits(enc.scales!).subarray(0, enc.scales!.length) }
      : { dtype: "F32", shape: scaleShape, data: enc.scales! });
    if (inputScales) out.set(inputScaleName(name), { dtype: "F32", shape: [1], data: Float32Array.of(checkedInputScale(inputScales, name)) });
  }
  const metadata: Record<string, string> = { ...extraMetadata, [META.format]: format, [META.version]: "1" };
  if (inputScales) metadata[META.activationScales] = "static";
  if (format === "q4") metadata[META.group] = String(group);
  return writeSafetensors(out, metadata);
}

function checkedInputScale(inputScales: ReadonlyMap<string, number>, name: string): number {
  const s = Math.fround(inputScales.get(name) ?? NaN);
  if (!(s > 0 && Number.isFinite(s))) throw new FormatError(`quantizeCheckpoint: static activation scale of "${name}" is ${inputScales.get(name)}; every q8 projection needs a finite one > 0`);
  return s;
}
