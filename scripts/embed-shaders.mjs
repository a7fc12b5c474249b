// Build step: shaders/*.wgsl → src/backend/webgpu/generated/shaders.ts (WGSL as strings, because Deno and plain
// ESM cannot import .wgsl). Runs each kernel through scripts/wgsl-preprocess.mjs (`// #include lib/x.wgsl`,
// `// #if NAME` / `#if !NAME` / `#elif` / `#else` / `#endif` on the defines of the VARIANTS table below) and reflects
// its `params` uniform struct with webgpu-utils, so TS writes uniforms by field name and never hand-codes offsets.
// Preprocessor for type/layout changes, WGSL `override` constants for branches (see VARIANTS).
// Usage: node scripts/embed-shaders.mjs  (run by `npm run build:ts` before tsc)
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const shaderDir = join(root, "shaders");
const outFile = join(root, "src/backend/webgpu/generated/shaders.ts");

// webgpu-utils 2.x names Float16Array in a top-level table; Node 20 lacks it. Only f32/u32/i32 fields are
// reflected here, so any 2-byte view satisfies that table (build script only; the library never loads it).
// It also reads the GPUShaderStage constants (values from the WebGPU spec).
globalThis.Float16Array ??= Uint16Array;
globalThis.GPUShaderStage ??= { VERTEX: 1, FRAGMENT: 2, COMPUTE: 4 };
const { makeShaderDataDefinitions } = await import("webgpu-utils");
const { preprocess, WgslPreprocessError } = await import("./wgsl-preprocess.mjs");

// Variants: kernel name → { file, defines }. A file listed here yields exactly the kernels listed for it; every
// other shaders/*.wgsl yields one kernel named from the file (kebab → camelCase), with no defines. Each derived
// variant is pinned by test/shader-variants.test.ts (the lines it may change, and nothing else).
// Preprocessor defines are for type and layout changes (storage element types, enables, packed loads): code that
// cannot exist in the other variant. A runtime choice that needs no new code path stays a WGSL `override` constant
// (as HAS_BIAS is in linear.wgsl), set per pipeline, so it costs no extra kernel here.
// linearF16: w is array<f16>, widened to f32 as the tile is loaded (same tiling and summation order; the only
// numeric change is the weight rounding done on the host). Needs shader-f16.
// linearQ4: w is q4's bytes (array<u32>, 8 nibbles per word) plus a group-scale binding, dequantized to f32 as the
// tile is loaded (same tiling and summation order). linearQ4H: the same with f16 scales (array<f16>, widened: the
// values are exact halves), for half the scale bytes; needs shader-f16.
// linearQ8 / linearQ8Dot4: the W8A8 GEMM after quantizeRows; the same integer sums, unpacked with extractBits or
// with dot4I8Packed (which only exists where the packed_4x8_integer_dot_product language feature does, so it cannot
// be an override branch: a shader naming it fails to compile without the feature).
const VARIANTS = {
  linear: { file: "linear.wgsl", defines: {} },
  linearF16: { file: "linear.wgsl", defines: { W_F16: true } },
  linearQ4: { file: "linear.wgsl", defines: { W_Q4: true } },
  linearQ4H: { file: "linear.wgsl", defines: { W_Q4: true, SCALES_F16: true } },
  linearQ8: { file: "linear-q8.wgsl", defines: {} },
  linearQ8Dot4: { file: "linear-q8.wgsl", defines: { DOT4: true } },
};

const camel = (file) => file.replace(/\.wgsl$/, "").replace(/-(\w)/g, (_, c) => c.toUpperCase());
const files = readdirSync(shaderDir).filter((f) => f.endsWith(".wgsl")).sort();
const declared = new Set(Object.values(VARIANTS).flatMap((v) => Object.keys(v.defines)));
const jobs = {};
for (const [name, v] of Object.entries(VARIANTS)) {
  if (!files.includes(v.file)) throw new Error(`VARIANTS.${name}: shaders/${v.file} does not exist`);
  jobs[name] = v;
}
for (const file of files) {
  if (Object.values(VARIANTS).some((v) => v.file === file)) continue;
  const name = camel(file);
  if (jobs[name]) throw new Error(`shaders/${file} yields kernel '${name}', which VARIANTS already names (for shaders/${jobs[name].file})`);
  jobs[name] = { file, defines: {} };
}

const read = (file) => readFileSync(join(shaderDir, file), "utf8");
const kernels = {};
for (const name of Object.keys(jobs).sort()) {
  const { file, defines } = jobs[name];
  const on = Object.keys(defines).filter((d) => defines[d]).sort();
  const label = `shaders/${file}${on.length ? ` [${on.join(", ")}]` : ""}`;
  let code, used;
  try {
    ({ code, used } = preprocess(file, { read, defines, declared }));
  } catch (e) {
    throw new Error(`embed-shaders: kernel ${name}: ${e instanceof WgslPreprocessError ? `shaders/${e.message}` : e.message}`);
  }
  for (const d of Object.keys(defines)) {
    if (!used.has(d)) throw new Error(`embed-shaders: VARIANTS.${name} sets ${d}, but shaders/${file} (with its includes) never tests it`);
  }
  const defs = makeShaderDataDefinitions(code);
  const params = defs.uniforms.params;
  if (!params) throw new Error(`${label}: no 'params' uniform`);
  const fields = {};
  for (const [field, f] of Object.entries(params.typeDefinition.fields)) {
    const type = f.type.type;
    if (!["u32", "i32", "f32"].includes(type)) throw new Error(`${label}: params.${field} is ${type}; only scalar u32/i32/f32 fields are supported`);
    fields[field] = { offset: f.offset, type };
  }
  const overrides = [...code.matchAll(/^override (\w+)/gm)].map((m) => m[1]).sort();
  kernels[name] = { file: label, code, params: { size: params.size, fields }, overrides };
}

const body = Object.entries(kernels).map(([name, k]) =>
  `  ${name}: {\n    file: ${JSON.stringify(k.file)},\n    params: ${JSON.stringify(k.params)},\n` +
  `    overrides: ${JSON.stringify(k.overrides)},\n    code: ${JSON.stringify(k.code)},\n  },`).join("\n");

const ts = `// Generated by scripts/embed-shaders.mjs from shaders/*.wgsl — do not edit; edit the .wgsl files and rebuild.
export interface ShaderParamField { offset: number; type: "u32" | "i32" | "f32" }
export interface ShaderSource {
  file: string;
  /** Layout of the kernel's \`params\` uniform struct, reflected with webgpu-utils. */
  params: { size: number; fields: Record<string, ShaderParamField> };
  /** Pipeline-overridable constants (compile-time variants). */
  overrides: readonly string[];
  code: string;
}

export const SHADERS = {
${body}
} satisfies Record<string, ShaderSource>;

export type KernelName = keyof typeof SHADERS;
`;
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, ts);
console.log(`embed-shaders: ${Object.keys(kernels).length} kernels → ${outFile.slice(root.length + 1)}`);
