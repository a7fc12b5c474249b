// adapter_config.json of a HuggingFace PEFT LoRA adapter: what germ-js applies, what it ignores (training-only
// settings) and what it refuses with a ConfigError naming the field (DoRA, trained biases, …): never silently wrong.
import { ConfigError } from "../errors.js";
import { warnOnce } from "../log.js";

/** Which modules get LoRA: peft's list rule (name equal or ending in "." + entry) or a regex fullmatch-ed. */
export type ModuleMatcher = { list: readonly string[] } | { regex: RegExp; source: string };

export interface AdapterConfig {
  r: number;
  alpha: number;
  rslora: boolean;
  targets: ModuleMatcher;
  exclude: ModuleMatcher | null;
  modulesToSave: readonly string[];
  /** Per-module rank / alpha overrides (keys are regex fragments matched as peft's get_pattern_key). */
  rankPattern: Readonly<Record<string, number>>;
  alphaPattern: Readonly<Record<string, number>>;
  /** Only these encoder layers (peft's layers_to_transform), or all. */
  layers: readonly number[] | null;
}

// Training-only settings (lora_dropout, init_lora_weights, loftq/eva/corda init, task_type, …) change nothing at
// inference and are read past; everything that would change the function is applied or refused below.
export function parseAdapterConfig(json: unknown, file: string): AdapterConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ConfigError(`${file}: expected a JSON object`);
  const c = json as Record<string, unknown>;
  const refuse = (field: string, why: string): never => { throw new ConfigError(`${file}: ${field} ${why}`); };
  if (c.peft_type !== "LORA") refuse("peft_type", `is ${JSON.stringify(c.peft_type)}; germ-js applies LoRA adapters only ("LORA")`);
  const posInt = (field: string, v: unknown): number => (Number.isInteger(v) && (v as number) > 0 ? (v as number) : refuse(field, `must be a positive integer, got ${JSON.stringify(v)}`));
  const num = (field: string, v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : refuse(field, `must be a finite number, got ${JSON.stringify(v)}`));
  const r = posInt("r", c.r);
  const alpha = c.lora_alpha === undefined ? 8 : num("lora_alpha", c.lora_alpha);
  if (c.use_dora === true) refuse("use_dora", "is true: DoRA adapters (magnitude vectors) are not supported");
  if (c.bias !== undefined && c.bias !== "none") {
    refuse("bias", `is ${JSON.stringify(c.bias)}: adapters that train biases are not supported (only "none"; germ-js keeps the base model's biases)`);
  }
  if (c.lora_bias === true) refuse("lora_bias", "is true: a bias on lora_B is not supported");
  if (c.layer_replication != null) refuse("layer_replication", "is set: layer replication is not supported");
  if (c.trainable_token_indices != null) refuse("trainable_token_indices", "is set: trainable token embeddings are not supported");
  if (Array.isArray(c.target_parameters) ? c.target_parameters.length > 0 : c.target_parameters != null) {
    refuse("target_parameters", "is set: LoRA on bare parameters is not supported (only Linear modules)");
  }
  // peft turns fan_in_fan_out off for torch Linear layers (it only means something for GPT-2's Conv1D).
  if (c.fan_in_fan_out === true) warnOnce(`fan_in_fan_out:${file}`, `${file}: fan_in_fan_out is true; ignored for Linear modules, as peft does`);
  return {
    r, alpha, rslora: c.use_rslora === true,
    targets: matcher(c.target_modules, "target_modules", file, true)!,
    exclude: matcher(c.exclude_modules, "exclude_modules", file, false),
    modulesToSave: stringList(c.modules_to_save, "modules_to_save", file),
    rankPattern: pattern(c.rank_pattern, "rank_pattern", file, (k, v) => posInt(`rank_pattern["${k}"]`, v)),
    alphaPattern: pattern(c.alpha_pattern, "alpha_pattern", file, (k, v) => num(`alpha_pattern["${k}"]`, v)),
    layers: c.layers_to_transform == null ? null
      : Array.isArray(c.layers_to_transform) ? c.layers_to_transform.map((v, i) => (Number.isInteger(v) && v >= 0 ? v as number : refuse(`layers_to_transform[${i}]`, `must be a layer index, got ${JSON.stringify(v)}`)))
      : [Number.isInteger(c.layers_to_transform) ? c.layers_to_transform as number : refuse("layers_to_transform", `must be a layer index or a list, got ${JSON.stringify(c.layers_to_transform)}`)],
  };
}

function stringList(v: unknown, field: string, file: string): string[] {
  if (v == null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) throw new ConfigError(`${file}: ${field} must be a list of module names`);
  return v as string[];
}

function matcher(v: unknown, field: string, file: string, required: boolean): ModuleMatcher | null {
  if (v == null) {
    if (required) throw new ConfigError(`${file}: ${field} is missing: which modules the adapter targets`);
    return null;
  }
  if (typeof v === "string") {
    // Python's re.fullmatch; the patterns peft users write (alternations, classes, .*) mean the same in JS.
    try { return { regex: new RegExp(`^(?:${v})$`, "u"), source: v }; } catch (e) {
      throw new ConfigError(`${file}: ${field} ${JSON.stringify(v)} is not a regular expression JavaScript can read (${(e as Error).message})`);
    }
  }
  return { list: stringList(v, field, file) };
}

function pattern(v: unknown, field: string, file: string, value: (k: string, v: unknown) => number): Record<string, number> {
  if (v == null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw new ConfigError(`${file}: ${field} must be an object of module pattern → number`);
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) out[k] = value(k, x);
  return out;
}

/** peft's rule: does `name` (a module's full name in the adapter's base model) match? */
export function matches(m: ModuleMatcher, name: string): boolean {
  if ("regex" in m) return m.regex.test(name);
  return m.list.some((e) => name === e || name.endsWith(`.${e}`));
}

/** peft's get_pattern_key: the first pattern key `p` with re.match(`(.*\.)?(p)$`, name), in the file's order. */
export function patternValue(patterns: Readonly<Record<string, number>>, name: string, fallback: number, file: string): number {
  for (const [p, v] of Object.entries(patterns)) {
    let re: RegExp;
    try { re = new RegExp(`^(?:.*\\.)?(?:${p})$`, "u"); } catch (e) {
      throw new ConfigError(`${file}: pattern ${JSON.stringify(p)} is not a regular expression JavaScript can read (${(e as Error).message})`);
    }
    if (re.test(name)) return v;
  }
  return fallback;
}

/** peft's scaling: lora_alpha / r, or lora_alpha / √r with rsLoRA. */
export function loraScale(cfg: AdapterConfig, alpha: number, r: number): number {
  return cfg.rslora ? alpha / Math.sqrt(r) : alpha / r;
}

/**
 * A module's name in the adapter's base model (peft matches and names tensors by it): encoder and pooler modules
 * carry "bert." in BertFor* classes; the classifier and the MLM head ("cls.…") never do.
 */
export function peftModuleName(module: string, prefixed: boolean): string {
  return prefixed && !module.startsWith("classifier") && !module.startsWith("cls.") ? `bert.${module}` : module;
}
