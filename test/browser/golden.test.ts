// Goldens in a real browser (headless Chromium under @web/test-runner) on WebGPU and on Wasm. Fixtures are fetched
// from the test server (/__fixtures__/, see web-test-runner.config.mjs); the checks mirror test/helpers/golden.ts,
// which needs node:fs. Node also loads this file when it runs build/test/, so it registers nothing outside a page.
import { GermModel } from "../../src/pipeline/germ-model.js";
import type { ModelSource } from "../../src/io/checkpoint.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { toFloat32 } from "../../src/io/raw-tensor.js";
import { createBackend, type BackendName } from "../../src/backend/backend.js";

declare const describe: (name: string, fn: () => void) => void;
declare const it: (name: string, fn: (this: { skip(): void }) => Promise<void>) => void;
declare const before: (fn: (this: { skip(): void }) => Promise<void>) => void;

const MODELS = ["tiny-softmax", "tiny-softmax1", "tiny-softmax1-cls", "tiny-softmax-cls"];
const BASE = "/__fixtures__/";

async function fetchBytes(url: string): Promise<Uint8Array | null> {
  const r = await fetch(url);
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

function fixtureSource(name: string, hide: string[]): ModelSource {
  return { location: `${BASE}${name}`, get: (f) => (hide.includes(f) ? Promise.resolve(null) : fetchBytes(`${BASE}${name}/${f}`)) };
}

/** |got − want| ≤ atol + rtol·|want| (NaN fails); returns the max abs error. */
function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string, atol = 1e-4, rtol = 1e-4): number {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length} ≠ ${want.length}`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= atol + rtol * Math.abs(want[i]))) throw new Error(`${what}[${i}]: got ${got[i]}, want ${want[i]} (|err| ${d})`);
    worst = Math.max(worst, d);
  }
  return worst;
}

async function checkModel(device: BackendName, name: string, format: string): Promise<number> {
  const g = JSON.parse(new TextDecoder().decode((await fetchBytes(`${BASE}${name}/golden.json`))!));
  const { tensors } = readSafetensors((await fetchBytes(`${BASE}${name}/golden.safetensors`))!, "golden.safetensors");
  const want = (k: string) => toFloat32(tensors.get(k)!, k);
  const hide = format === "bin" ? ["model.safetensors"] : ["pytorch_model.bin"];
  const model = await GermModel.fromPretrained(fixtureSource(name, hide), { device });
  let worst = 0;
  const track = (e: number) => { worst = Math.max(worst, e); };
  try {
    if (model.backend !== device) throw new Error(`model runs on ${model.backend}, not ${device}`);
    const seqs = g.sequences as any[];
    for (const s of seqs) close(model.tokenizer.encode(s.text).ids, s.input_ids, `${s.name} token ids`, 0, 0);
    const texts = seqs.map((s) => s.text as string);
    const { lastHiddenState } = await model.forward(texts);
    const mean = await model.embed(texts, { pooling: "mean" });
    seqs.forEach((s, i) => {
      if (s.last_hidden_state_stored) track(close(lastHiddenState[i], want(`${s.name}/last_hidden_state`), `${s.name} last_hidden_state`));
      track(close(mean[i], want(`${s.name}/mean_pooled`), `${s.name} mean_pooled`));
    });
    for (const [i, t] of texts.entries()) {
      const [single] = (await model.forward([t])).lastHiddenState;
      close(single, lastHiddenState[i], `${seqs[i].name} single vs batched`, 1e-5, 1e-5);
    }
    if (g.model_class === "BertForSequenceClassification") {
      const pooled = await model.embed(texts, { pooling: "pooler" });
      const cls = await model.classify(texts);
      seqs.forEach((s, i) => {
        track(close(pooled[i], want(`${s.name}/pooler_output`), `${s.name} pooler_output`));
        track(close(cls[i].logits, want(`${s.name}/cls_logits`), `${s.name} cls_logits`));
      });
    }
    for (const m of (g.mlm ?? []) as any[]) {
      const [logits] = await model.maskedLM({ inputIds: [m.input_ids] });
      track(close(logits, want(`mlm:${m.name}/mlm_logits`), `${m.name} mlm_logits`));
    }
  } finally {
    model.dispose();
  }
  return worst;
}

if (typeof describe === "function" && typeof (globalThis as { document?: unknown }).document !== "undefined") {
  for (const device of ["webgpu", "wasm"] as const) {
    describe(`goldens in Chromium on ${device}`, () => {
      const report: string[] = [];
      let formats: Record<string, string[]> = {};
      before(async function () {
        const env = await (await fetch("/__germ_env__.json")).json() as { ci: boolean; fixtures: boolean };
        if (!env.fixtures) { console.warn("skipped: ../shared/fixtures not found (set GERM_FIXTURES)"); this.skip(); }
        try {
          const b = await createBackend(device);
          console.log(`${device} in Chromium: ${b.caps.description}`);
          b.dispose();
        } catch (e) {
          // WebGPU is required in CI (SwiftShader is always there with --enable-unsafe-webgpu); Wasm may not be built yet.
          if (device === "webgpu" && env.ci) throw e;
          console.warn(`skipped: ${device} backend unavailable in Chromium: ${(e as Error).message}`);
          this.skip();
        }
        for (const name of MODELS) {
          formats[name] = (await fetch(`${BASE}${name}/pytorch_model.bin`, { method: "HEAD" })).ok ? ["safetensors", "bin"] : ["safetensors"];
        }
      });
      for (const name of MODELS) {
        for (const format of ["safetensors", "bin"]) {
          it(`${name} (${format})`, async function () {
            if (!formats[name]?.includes(format)) this.skip();
            const worst = await checkModel(device, name, format);
            report.push(`max |err| ${name}/${format}/${device}/chromium: ${worst.toExponential(2)}`);
            console.log(report[report.length - 1]);
          });
        }
      }
    });
  }
}
