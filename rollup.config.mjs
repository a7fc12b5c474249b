// Bundles the compiled ESM (build/src, made by `tsc`) into dist/: index.js (default/browser), node.js, cli.js, ops.js
// (the germ-js/ops entry), chunks/worker.js (germ-js/worker) and the single-threaded Wasm builds as files
// (wasm/simd.wasm, wasm/relaxed.wasm: germ-js/wasm/*.wasm, for edge runtimes that only run precompiled modules).
// Node built-ins stay external; they are only reached through non-literal dynamic imports outside browsers.
import { readFileSync, rmSync } from "node:fs";

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

export default {
  // The Wasm backend starts workers with new URL("./worker.js", import.meta.url) from its chunk in dist/chunks/.
  input: { index: "build/src/index.js", node: "build/src/node.js", ops: "build/src/ops-entry.js", cli: "build/src/cli/main.js", "chunks/worker": "build/src/backend/wasm/worker.js" },
  output: {
    dir: "dist", format: "es", sourcemap: false,
    // The chunk index.js and node.js share is named after one of them by default ("node-…"), which misleads in browser builds.
    chunkFileNames: (chunk) => `chunks/${chunk.name === "node" || chunk.name === "index" ? "germ" : "[name]"}-[hash].js`,
  },
  external: (id) => id.startsWith("node:") || id === "webgpu",
  plugins: [wasmFiles],
};
