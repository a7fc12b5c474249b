// A germ-js web app as a user writes it: import the package by name, load a model from the site, embed on Wasm with
// two threads. scripts/test-bundlers.mjs bundles it with each bundler and reads window.__result (or __error).
// The model is the golden fixture tiny-softmax1, served at /models/; the texts are its golden sequences.
import { GermModel, env } from "germ-js";

const MODEL = "/models/tiny-softmax1";

async function main() {
  env.logLevel = "warn"; // the default, said explicitly: fallbacks must show up as console warnings
  const golden = await (await fetch(`${MODEL}/golden.json`)).json();
  const texts = golden.sequences.map((s) => s.text);
  // threads: 2 explicitly, so the check does not depend on navigator.hardwareConcurrency.
  const model = await GermModel.fromPretrained(MODEL, { device: "wasm", threads: 2 });
  try {
    const embeddings = await model.embed(texts, { pooling: "mean" });
    return { embeddings: embeddings.map((e) => Array.from(e)), info: model.info, crossOriginIsolated };
  } finally {
    model.dispose();
  }
}

const out = document.getElementById("out");
main().then(
  (r) => { window.__result = r; out.textContent = JSON.stringify(r.info); },
  (e) => { window.__error = String(e?.stack ?? e); out.textContent = window.__error; },
);
