// Goldens in a real browser (headless Chromium under @web/test-runner) on WebGPU and on Wasm. Fixtures are fetched
// from the test server (/__fixtures__/, see web-test-runner.config.mjs); the checks are test/helpers/golden-checks.ts,
// shared with Node and Deno. Node also loads this file when it runs build/test/, so it registers nothing outside a page.
import { GermModel } from "../../src/pipeline/germ-model.js";
import { GOLDEN_LORA, GOLDEN_MODELS as MODELS, GOLDEN_QUICK, checkGolden, fixtureSource, goldenLookup, quickOnSoftwareGpu } from "../helpers/golden-checks.js";
import { createBackend } from "../../src/backend/create.js";
import { checkTrainingRun } from "../helpers/train-checks.js";
import type { BackendName } from "../../src/contract/backend.js";

declare const describe: (name: string, fn: () => void) => void;
declare const it: (name: string, fn: (this: { skip(): void }) => Promise<void>) => void;
declare const before: (fn: (this: { skip(): void }) => Promise<void>) => void;

const BASE = "/__fixtures__/";

async function fetchBytes(url: string): Promise<Uint8Array | null> {
  const r = await fetch(url);
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function checkModel(device: BackendName, name: string, format: string): Promise<number> {
  const g = JSON.parse(new TextDecoder().decode((await fetchBytes(`${BASE}${name}/golden.json`))!));
  const want = goldenLookup((await fetchBytes(`${BASE}${name}/golden.safetensors`))!);
  const hide = format === "bin" ? ["model.safetensors"] : ["pytorch_model.bin"];
  const model = await GermModel.fromPretrained(fixtureSource(`${BASE}${name}`, (f) => fetchBytes(`${BASE}${name}/${f}`), hide), { device });
  try {
    if (model.backend !== device) throw new Error(`model runs on ${model.backend}, not ${device}`);
    return await checkGolden(model, g, want);
  } finally {
    model.dispose();
  }
}

/** The LoRA golden: the adapter fetched like a model, applied unmerged over its base. */
async function checkLora(device: BackendName): Promise<number> {
  const dir = `${BASE}${GOLDEN_LORA.adapter}`, base = `${BASE}${GOLDEN_LORA.base}`;
  const g = JSON.parse(new TextDecoder().decode((await fetchBytes(`${dir}/golden.json`))!));
  const want = goldenLookup((await fetchBytes(`${dir}/golden.safetensors`))!);
  const model = await GermModel.fromPretrained(fixtureSource(base, (f) => fetchBytes(`${base}/${f}`)), { device });
  try {
    await model.loadAdapter("lora", fixtureSource(dir, (f) => fetchBytes(`${dir}/${f}`)));
    return await checkGolden(model, g, want, undefined, { adapter: "lora" });
  } finally {
    model.dispose();
  }
}

if (typeof describe === "function" && typeof (globalThis as { document?: unknown }).document !== "undefined") {
  for (const device of ["webgpu", "wasm"] as const) {
    describe(`goldens in Chromium on ${device}`, () => {
      const report: string[] = [];
      let formats: Record<string, string[]> = {};
      let quick = false;
      before(async function () {
        const env = await (await fetch("/__germ_env__.json")).json() as { ci: boolean; full: boolean; fixtures: boolean };
        if (!env.fixtures) { console.warn("skipped: golden fixtures not found in test/fixtures (or in the folder GERM_FIXTURES names)"); this.skip(); }
        try {
          const b = await createBackend(device);
          console.log(`${device} in Chromium: ${b.caps.description}`);
          // SwiftShader outside CI: the representative golden subset (GOLDEN_QUICK); CI=true or GERM_FULL=1 runs all.
          quick = quickOnSoftwareGpu(b.caps.description, env.full);
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
            if (quick && !(GOLDEN_QUICK.models.includes(name) && GOLDEN_QUICK.formats.includes(format))) {
              console.warn(`skipped ${name} (${format}) on ${device}: outside the quick software-GPU subset`);
              this.skip();
            }
            const worst = await checkModel(device, name, format);
            report.push(`max |err| ${name}/${format}/${device}/chromium: ${worst.toExponential(2)}`);
            console.log(report[report.length - 1]);
          });
        }
      }
      it(`fine-tuning golden ${GOLDEN_LORA.base}/train wqkv_zeroB (fineTune, 3 steps)`, async function () {
        const dir = `${BASE}${GOLDEN_LORA.base}`, tdir = `${dir}/train`;
        const g = JSON.parse(new TextDecoder().decode((await fetchBytes(`${tdir}/golden.json`))!));
        const want = goldenLookup((await fetchBytes(`${tdir}/golden.safetensors`))!);
        const model = await GermModel.fromPretrained(fixtureSource(dir, (f) => fetchBytes(`${dir}/${f}`)), { device });
        try {
          const { worst } = await checkTrainingRun(model, g, want, "wqkv_zeroB", (await fetchBytes(`${tdir}/adapter-wqkv_zeroB/adapter_config.json`))!);
          report.push(`max |err| fine-tuning wqkv_zeroB/${device}/chromium: ${worst.toExponential(2)}`);
          console.log(report[report.length - 1]);
        } finally { model.dispose(); }
      });
      it(`${GOLDEN_LORA.adapter} (adapter over ${GOLDEN_LORA.base})`, async function () {
        const worst = await checkLora(device);
        report.push(`max |err| ${GOLDEN_LORA.adapter}/${device}/chromium: ${worst.toExponential(2)}`);
        console.log(report[report.length - 1]);
      });
    });
  }
}
