// The fuzz targets by name. FUZZ_PARSERS is what a run covers by default (the canary only checks the runner).
import type { Target } from "../target.js";
import { canary } from "./canary.js";
import { configTarget } from "./config.js";
import { pickleTarget } from "./pickle.js";
import { safetensorsTarget } from "./safetensors.js";
import { sequencesTarget } from "./sequences.js";
import { tokenizerTarget } from "./tokenizer.js";
import { zipTarget } from "./zip.js";

export const TARGETS: Record<string, Target> = Object.fromEntries(
  [safetensorsTarget, zipTarget, pickleTarget, configTarget, tokenizerTarget, sequencesTarget, canary].map((t) => [t.name, t]));

export const FUZZ_PARSERS = ["safetensors", "zip", "pickle", "config", "tokenizer", "sequences"];
