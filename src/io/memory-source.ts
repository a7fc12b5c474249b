// A ModelSource over files the caller already holds: an edge worker's bundled data modules, bytes read from KV or
// R2, or File objects from a page's file picker. Values may be lazy, so large weights are read only when asked for.
import { InputError } from "../errors.js";
import type { ModelSource } from "./checkpoint.js";
import { blobFile, bytesFile } from "./random-access.js";

/**
 * One file's contents for memorySource: bytes, a Blob/File, or a function that reads them on demand (null: absent).
 * @category Files & formats
 */
export type FileValue = Uint8Array | ArrayBuffer | Blob | (() => Promise<Uint8Array | ArrayBuffer | Blob | null>);

/**
 * A model from files already in memory, keyed by name (config.json, tokenizer.json, model.safetensors, …): a
 * {@link ModelSource} for {@link GermModel.fromPretrained} or loadAdapter. A file not in `files` is absent.
 * @category Files & formats
 * @example
 * // Cloudflare Workers: the model's files bundled as data modules (ArrayBuffers)
 * import config from "./model/config.json.bin";
 * import tokenizer from "./model/tokenizer.json.bin";
 * import weights from "./model/model.safetensors";
 * const model = await GermModel.fromPretrained(memorySource({ "config.json": config, "tokenizer.json": tokenizer,
 *   "model.safetensors": weights }, "bundled:my-model"));
 * @example
 * // R2 / KV: read each file only when the loader asks for it (`bucket` is the worker's R2 binding)
 * const read = (key: string) => async () => (await bucket.get(key))?.arrayBuffer() ?? null;
 * const src = memorySource({ "config.json": read("germ/config.json"), "tokenizer.json": read("germ/tokenizer.json"),
 *   "model.safetensors": read("germ/model.safetensors") }, "r2:germ");
 * @example
 * // A page: the files the user picked (<input type="file" multiple>)
 * const picked = [...(document.querySelector("input[type=file]") as HTMLInputElement).files!];
 * const model = await GermModel.fromPretrained(memorySource(new Map(picked.map((f) => [f.name, f])), "picked files"));
 */
export function memorySource(files: Record<string, FileValue> | Map<string, FileValue>, location = "memory"): ModelSource {
  const map = files instanceof Map ? files : new Map(Object.entries(files));
  for (const [name, v] of map) {
    if (!(v instanceof Uint8Array || v instanceof ArrayBuffer || typeof v === "function" || isBlob(v))) {
      throw new InputError(`memorySource: ${location}/${name} is ${describe(v)}, not bytes (Uint8Array, ArrayBuffer, Blob or an async function returning one)`);
    }
  }
  const resolve = async (file: string): Promise<Uint8Array | Blob | null> => {
    let v: FileValue | Uint8Array | ArrayBuffer | Blob | null | undefined = map.get(file);
    if (typeof v === "function") v = await v();
    if (v === null || v === undefined) return null;
    if (v instanceof Uint8Array || isBlob(v)) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    throw new InputError(`memorySource: ${location}/${file} resolved to ${describe(v)}, not bytes`);
  };
  return {
    location,
    async get(file) {
      const v = await resolve(file);
      return isBlob(v) ? new Uint8Array(await v.arrayBuffer()) : v;
    },
    // A Blob/File is read a tensor at a time (a picked 470 MB checkpoint is never held whole in JS memory).
    async open(file) {
      const v = await resolve(file);
      return v === null ? null : isBlob(v) ? blobFile(v, `${location}/${file}`) : bytesFile(v, `${location}/${file}`);
    },
  };
}

function isBlob(v: unknown): v is Blob {
  return typeof Blob !== "undefined" && v instanceof Blob;
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? `a ${(v as object).constructor?.name ?? "object"}` : `a ${typeof v}`;
}
