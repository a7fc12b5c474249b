// DNABERT-2-117M-shaped encoder with deterministic random weights, built twice from the same seeds: as germ-js
// ModelState on a backend, and as an ONNX graph (standard opset-17 ops) for onnxruntime-web.
import type { Backend } from "../src/contract/backend.js";
import { Tensor } from "../src/tensor/tensor.js";
import { Weight } from "../src/tensor/weight.js";
import { parseConfig, type GermConfig } from "../src/model/config.js";
import type { LayerWeights } from "../src/model/weights.js";
import type { ModelState } from "../src/model/state.js";
import { alibiSlopes } from "../src/contract/math.js";
import { quantizeRows, type FormatName } from "../src/contract/formats.js";
import { rng, seedOf, uniform } from "../test/helpers/rng.js";
import { DT, model, node, tensor, valueInfo, type Msg } from "./onnx-proto.js";

export const H = 768, HEADS = 12, I = 3072, V = 4096, LAYERS = 12;

export function config(layers = LAYERS): GermConfig {
  return { ...parseConfig({ num_hidden_layers: layers }), attnSoftmax: "vanilla" };
}

/** Uniform(−scale, scale) (+ offset) from a seed derived from the tensor's name: identical for both engines. */
export function weight(name: string, size: number, scale: number, offset = 0): Float32Array {
  return uniform(rng(seedOf(name)), size, scale, offset);
}

type Spec = [name: string, shape: number[], scale: number, offset?: number];

function layerSpecs(l: number): Spec[] {
  const p = `l${l}.`;
  return [
    [p + "qkvW", [3 * H, H], 1 / Math.sqrt(H)], [p + "qkvB", [3 * H], 0.02],
    [p + "attnOutW", [H, H], 1 / Math.sqrt(H)], [p + "attnOutB", [H], 0.02],
    [p + "attnLnG", [H], 0.1, 1], [p + "attnLnB", [H], 0.02],
    [p + "gatedW", [2 * I, H], 1 / Math.sqrt(H)],
    [p + "woW", [H, I], 1 / Math.sqrt(I)], [p + "woB", [H], 0.02],
    [p + "mlpLnG", [H], 0.1, 1], [p + "mlpLnB", [H], 0.02],
  ];
}
const EMB: Spec[] = [["wordEmb", [V, H], 1], ["typeEmb0", [H], 0.1], ["embLnG", [H], 0.1, 1], ["embLnB", [H], 0.02]];

const make = ([name, shape, scale, offset]: Spec) => weight(name, shape.reduce((a, b) => a * b, 1), scale, offset);

/** The model on backend `b`; projection weights in `format` (f16 only where the backend runs it). */
export function buildModel(b: Backend, layers = LAYERS, format: FormatName = "f32"): ModelState {
  const t = (s: Spec) => Tensor.from(b, make(s), s[1]);
  const wt = (s: Spec) => Weight.from(b, make(s), s[1] as [number, number], format);
  const [wordEmb, typeEmb0, embLnG, embLnB] = EMB.map(t);
  const layerW = Array.from({ length: layers }, (_, l) => {
    const [qkvW, qkvB, attnOutW, attnOutB, attnLnG, attnLnB, gatedW, woW, woB, mlpLnG, mlpLnB] = layerSpecs(l);
    return {
      qkv: { name: "qkv", w: wt(qkvW), b: t(qkvB) }, attnOut: { name: "attnOut", w: wt(attnOutW), b: t(attnOutB) },
      attnLnG: t(attnLnG), attnLnB: t(attnLnB), gated: { name: "gated", w: wt(gatedW) },
      wo: { name: "wo", w: wt(woW), b: t(woB) }, mlpLnG: t(mlpLnG), mlpLnB: t(mlpLnB),
    } satisfies LayerWeights;
  });
  const none = { ok: false as const, missing: [] };
  const weights = { wordEmb, typeEmb0, embLnG, embLnB, layers: layerW, pooler: none, classifier: none, mlm: none, unused: [] };
  return { config: config(layers), backend: b, weights, format, slopes: alibiSlopes(HEADS) };
}

/** Token ids of `batch` sequences of `tokens` each (deterministic). */
export function tokenIds(batch: number, tokens: number): Int32Array {
  return Int32Array.from({ length: batch * tokens }, (_, i) => 5 + ((i * 2654435761) >>> 0) % (V - 5));
}

/**
 * The same encoder as ONNX for `batch` equal-length sequences of `tokens`: Gather → LayerNormalization → layers of
 * Gemm(transB) · multi-head attention (MatMul, + ALiBi constant, Softmax, MatMul) · Gemm · Add+LayerNormalization ·
 * Gemm · Split · erf-GELU·gate · Gemm · Add+LayerNormalization. onnxruntime fuses what it recognises (level "all").
 * `int8`: every Gemm becomes onnxruntime's standard dynamic int8 path — DynamicQuantizeLinear(x) (per-tensor uint8)
 * · MatMulInteger with int8 weights quantized per output row (our q8 weights, transposed) · Cast · Mul(scales) · Add.
 */
export function onnxEncoder(batch: number, tokens: number, layers = LAYERS, int8 = false): Uint8Array {
  const N = batch * tokens, d = H / HEADS;
  const nodes: Msg[] = [], inits: Msg[] = [];
  const weights = new Set(layerSpecs(0).filter(([name]) => /(qkv|attnOut|gated|wo)W$/.test(name)).map(([name]) => name.slice(3)));
  const init = (s: Spec) => {
    if (!int8 || !weights.has(s[0].replace(/^l\d+\./, ""))) { inits.push(tensor(s[0], s[1], DT.FLOAT, make(s))); return; }
    const [n, k] = s[1];
    const { q, scales } = quantizeRows(make(s), n, k);
    const qt = new Int8Array(k * n);
    for (let j = 0; j < n; j++) for (let t = 0; t < k; t++) qt[t * n + j] = q[j * k + t];
    inits.push(tensor(`${s[0]}.q`, [k, n], DT.INT8, qt), tensor(`${s[0]}.s`, [n], DT.FLOAT, scales), tensor(`${s[0]}.zp`, [n], DT.INT8, new Int8Array(n)));
  };
  /** y = x·wᵀ (+ b): a Gemm, or the dynamic int8 chain. */
  const gemm = (x: string, w: string, b: string | null, y: string) => {
    if (!int8) { nodes.push(node("Gemm", b ? [x, w, b] : [x, w], [y], { transB: 1 })); return; }
    nodes.push(
      node("DynamicQuantizeLinear", [x], [`${y}.xq`, `${y}.xs`, `${y}.xz`]),
      node("MatMulInteger", [`${y}.xq`, `${w}.q`, `${y}.xz`, `${w}.zp`], [`${y}.acc`]),
      node("Cast", [`${y}.acc`], [`${y}.accf`], { to: DT.FLOAT }),
      node("Mul", [`${y}.xs`, `${w}.s`], [`${y}.sc`]),
      node("Mul", [`${y}.accf`, `${y}.sc`], [b ? `${y}.nb` : y]),
      ...(b ? [node("Add", [`${y}.nb`, b], [y])] : []),
    );
  };
  const c = (name: string, dims: number[], data: ArrayBufferView, dt: number = DT.FLOAT) => inits.push(tensor(name, dims, dt, data));
  EMB.forEach(init);
  c("shape5", [5], BigInt64Array.from([batch, tokens, 3, HEADS, d].map(BigInt)), DT.INT64);
  c("shape2", [2], BigInt64Array.from([N, H].map(BigInt)), DT.INT64);
  c("split", [2], BigInt64Array.from([I, I].map(BigInt)), DT.INT64);
  [0, 1, 2].forEach((i) => c(`i${i}`, [], BigInt64Array.from([BigInt(i)]), DT.INT64));
  c("scale", [], Float32Array.from([1 / Math.sqrt(d)]));
  c("rsqrt2", [], Float32Array.from([Math.SQRT1_2]));
  c("one", [], Float32Array.from([1]));
  c("half", [], Float32Array.from([0.5]));
  const slopes = alibiSlopes(HEADS), alibi = new Float32Array(HEADS * tokens * tokens);
  for (let h = 0; h < HEADS; h++) for (let i = 0; i < tokens; i++) for (let j = 0; j < tokens; j++) alibi[(h * tokens + i) * tokens + j] = -slopes[h] * Math.abs(i - j);
  c("alibi", [HEADS, tokens, tokens], alibi);
  const ln = (x: string, g: string, b: string, out: string) => nodes.push(node("LayerNormalization", [x, g, b], [out], { axis: -1, epsilon: { f: 1e-12 } }));
  nodes.push(node("Gather", ["wordEmb", "ids"], ["e0"]), node("Add", ["e0", "typeEmb0"], ["e1"]));
  ln("e1", "embLnG", "embLnB", "x0");
  let x = "x0";
  for (let l = 0; l < layers; l++) {
    layerSpecs(l).forEach(init);
    const p = `l${l}.`, v = (s: string) => p + s;
    gemm(x, v("qkvW"), v("qkvB"), v("qkv"));
    nodes.push(
      node("Reshape", [v("qkv"), "shape5"], [v("qkv5")]),
      node("Transpose", [v("qkv5")], [v("qkvT")], { perm: [2, 0, 3, 1, 4] }),
      node("Gather", [v("qkvT"), "i0"], [v("q")], { axis: 0 }),
      node("Gather", [v("qkvT"), "i1"], [v("k")], { axis: 0 }),
      node("Gather", [v("qkvT"), "i2"], [v("v")], { axis: 0 }),
      node("Transpose", [v("k")], [v("kT")], { perm: [0, 1, 3, 2] }),
      node("MatMul", [v("q"), v("kT")], [v("s0")]),
      node("Mul", [v("s0"), "scale"], [v("s1")]),
      node("Add", [v("s1"), "alibi"], [v("s2")]),
      node("Softmax", [v("s2")], [v("p")], { axis: -1 }),
      node("MatMul", [v("p"), v("v")], [v("ctx4")]),
      node("Transpose", [v("ctx4")], [v("ctxT")], { perm: [0, 2, 1, 3] }),
      node("Reshape", [v("ctxT"), "shape2"], [v("ctx")]),
    );
    gemm(v("ctx"), v("attnOutW"), v("attnOutB"), v("ao"));
    nodes.push(
      node("Add", [v("ao"), x], [v("r1")]),
    );
    ln(v("r1"), v("attnLnG"), v("attnLnB"), v("x1"));
    gemm(v("x1"), v("gatedW"), null, v("gated"));
    nodes.push(
      node("Split", [v("gated"), "split"], [v("g"), v("u")], { axis: 1 }),
      node("Mul", [v("g"), "rsqrt2"], [v("g1")]),
      node("Erf", [v("g1")], [v("g2")]),
      node("Add", [v("g2"), "one"], [v("g3")]),
      node("Mul", [v("g"), v("g3")], [v("g4")]),
      node("Mul", [v("g4"), "half"], [v("gelu")]),
      node("Mul", [v("gelu"), v("u")], [v("h")]),
    );
    gemm(v("h"), v("woW"), v("woB"), v("wo"));
    nodes.push(
      node("Add", [v("wo"), v("x1")], [v("r2")]),
    );
    ln(v("r2"), v("mlpLnG"), v("mlpLnB"), v("x2"));
    x = v("x2");
  }
  nodes.push(node("Identity", [x], ["hidden"]));
  return model(nodes, inits, [valueInfo("ids", DT.INT64, [N])], [valueInfo("hidden", DT.FLOAT, [N, H])]);
}

/** One Gemm (x [m,k] · wᵀ + b) as ONNX, w and b as initializers (onnxruntime prepacks constant weights). */
export function onnxGemm(m: number, n: number, k: number): Uint8Array {
  const inits = [tensor("w", [n, k], DT.FLOAT, weight(`gemm${n}x${k}`, n * k, 0.05)), tensor("b", [n], DT.FLOAT, weight(`bias${n}`, n, 0.05))];
  return model([node("Gemm", ["x", "w", "b"], ["y"], { transB: 1 })], inits, [valueInfo("x", DT.FLOAT, [m, k])], [valueInfo("y", DT.FLOAT, [m, n])]);
}
