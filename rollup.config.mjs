// Bundles the compiled ESM (build/src, made by `tsc`) into dist/: index.js (default/browser), node.js, cli.js, ops.js
// (the germ-js/ops entry),
// with shared chunks. Node built-ins stay external; they are only reached through dynamic imports outside browsers.
export default {
  // The Wasm backend starts workers with new URL("./worker.js", import.meta.url) from its chunk in dist/chunks/.
  input: { index: "build/src/index.js", node: "build/src/node.js", ops: "build/src/ops-entry.js", cli: "build/src/cli/main.js", "chunks/worker": "build/src/backend/wasm/worker.js" },
  output: { dir: "dist", format: "es", sourcemap: true, chunkFileNames: "chunks/[name]-[hash].js" },
  external: (id) => id.startsWith("node:") || id === "webgpu",
};
