// Bundles the compiled ESM (build/src, made by `tsc`) into dist/: index.js (default/browser), node.js, cli.js,
// with shared chunks. Node built-ins stay external; they are only reached through dynamic imports outside browsers.
export default {
  input: { index: "build/src/index.js", node: "build/src/node.js", cli: "build/src/cli/main.js" },
  output: { dir: "dist", format: "es", sourcemap: true, chunkFileNames: "chunks/[name]-[hash].js" },
  external: (id) => id.startsWith("node:") || id === "webgpu",
};
