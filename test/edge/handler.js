// The fetch handler both edge workers share: POST { texts } → load the bundled model with `options`, embed (mean
// pooling), answer { embeddings, info, warnings } — or { error: { name, message } } with status 500. `?device=…`
// overrides the device (the check that device "wasm" without precompiled modules fails with a typed error).
import { GermModel } from "germ-js";
import { bundledModel } from "./model-source.js";

export function embedHandler(options) {
  return {
    async fetch(request) {
      const url = new URL(request.url);
      const device = url.searchParams.get("device") ?? options.device;
      // germ-js reports fallbacks with console.warn (once per isolate): keep them for the answer.
      const warnings = [];
      const warn = console.warn;
      console.warn = (...args) => { warnings.push(args.map(String).join(" ")); warn.apply(console, args); };
      try {
        const { texts } = await request.json();
        const model = await GermModel.fromPretrained(bundledModel, { ...options, device });
        try {
          const embeddings = await model.embed(texts, { pooling: "mean" });
          return Response.json({ embeddings: embeddings.map((e) => Array.from(e)), info: model.info, warnings });
        } finally {
          model.dispose();
        }
      } catch (e) {
        return Response.json({ error: { name: e?.name, message: String(e?.message ?? e) }, warnings }, { status: 500 });
      } finally {
        console.warn = warn;
      }
    },
  };
}
