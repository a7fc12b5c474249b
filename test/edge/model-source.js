// The fixture model as bundled bytes: workerd data modules (ArrayBuffers) wrapped as a germ-js ModelSource, the way
// an edge app ships a model without a filesystem. scripts/test-edge.mjs declares the "tiny-softmax1/…" modules.
import config from "./tiny-softmax1/config.json";
import tokenizer from "./tiny-softmax1/tokenizer.json";
import weights from "./tiny-softmax1/model.safetensors";

const FILES = { "config.json": config, "tokenizer.json": tokenizer, "model.safetensors": weights };

/** @type {import("germ-js").ModelSource} */
export const bundledModel = {
  location: "bundled:tiny-softmax1",
  get: async (file) => (FILES[file] ? new Uint8Array(FILES[file]) : null),
};
