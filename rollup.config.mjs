// Bundles the compiled ESM (build/src, made by `tsc`) into dist/: index.js (default/browser), node.js, cli.js, ops.js
// (the germ-js/ops entry), plot.js (germ-js/plot: the outlier chart), chunks/worker.js (germ-js/worker) and the single-threaded Wasm builds as files
// (wasm/simd.wasm, wasm/relaxed.wasm: germ-js/wasm/*.wasm, for edge runtimes that only run precompiled modules).
// Node built-ins stay external; they are only reached through non-literal dynamic imports outside browsers.
import { readFileSync, rmSync } from "node:fs";
import { tokenizer } from "acorn";

// dist/ is rebuilt from scratch: stale chunks of earlier builds must not end up in the package.
rmSync("dist", { recursive: true, force: true });

/** Emits the .wasm files beside the JS (the same bytes the JS embeds as base64). */
const wasmFiles = {
  name: "germ-wasm-files",
  generateBundle() {
    for (const v of ["simd", "relaxed"]) {
      this.emitFile({ type: "asset", fileName: `wasm/${v}.wasm`, source: readFileSync(`build/wasm/germ-${v}.wasm`) });
    }
  },
};

/**
 * Drops comments from the published JS (the doc comments live on in dist/types/*.d.ts), except the bundler
 * directives germ-js relies on (webpackIgnore, @vite-ignore). acorn's tokenizer finds them, so comment-like text
 * inside strings, templates and regexes is never touched.
 */
const stripComments = {
  name: "germ-strip-comments",
  renderChunk(code) {
    const drop = [];
    const keep = (text, start) => /webpackIgnore|@vite-ignore/.test(text) || (start === 0 && code.startsWith("#!")); // + the CLI's shebang
    const onComment = (_block, text, start, end) => { if (!keep(text, start)) drop.push([start, end]); };
    for (const _ of tokenizer(code, { ecmaVersion: "latest", sourceType: "module", onComment }));
    let out = "", at = 0;
    for (const [start, end] of drop) { out += code.slice(at, start); at = end; }
    out += code.slice(at);
    return { code: out.replace(/^[ \t]+$/gm, "").replace(/\n{3,}/g, "\n\n"), map: null };
  },
};

export default {
  // The Wasm backend starts workers with new URL("./worker.js", import.meta.url) from its chunk in dist/chunks/.
  input: { index: "build/src/index.js", node: "build/src/node.js", ops: "build/src/ops-entry.js", plot: "build/src/plot/index.js", cli: "build/src/cli/main.js", "chunks/worker": "build/src/backend/wasm/worker.js" },
  output: {
    dir: "dist", format: "es", sourcemap: false,
    // The chunk index.js and node.js share is named after one of them by default ("node-…"), which misleads in browser builds.
    chunkFileNames: (chunk) => `chunks/${chunk.name === "node" || chunk.name === "index" ? "germ" : "[name]"}-[hash].js`,
  },
  // Plot and linkedom are runtime dependencies the CLI imports lazily; the browser demo passes its own Plot in.
  external: (id) => id.startsWith("node:") || ["webgpu", "@observablehq/plot", "linkedom"].includes(id),
  plugins: [wasmFiles, stripComments],
};
