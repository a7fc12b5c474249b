// The fixture model as bundled bytes: workerd data modules (ArrayBuffers) wrapped by germ-js's memorySource(), the way
// an edge app ships a model without a filesystem. scripts/test-edge.mjs declares the "tiny-softmax1/…" modules.
import { memorySource } from "germ-js";
import config from "./tiny-softmax1/config.json";
import tokenizer from "./tiny-softmax1/tokenizer.json";
import weights from "./tiny-softmax1/model.safetensors";

const FILES = { "config.json": config, "tokenizer.json": tokenizer, "model.safetensors": weights };

export const bundledModel = memorySource(FILES, "bundled:tiny-softmax1");
