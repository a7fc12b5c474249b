// Bundles the compiled ESM (build/src, made by `tsc`) into dist/: index.js (default/browser), node.js, cli.js.
// Node built-ins stay external; they are only reached through dynamic imports outside browsers.
const external = (id) => id.startsWith("node:") || id === "webgpu";

export default [
  { input: { index: "build/src/index.js", node: "build/src/node.js" }, output: { dir: "dist", format: "es", sourcemap: true }, external },
  {
    input: { cli: "build/src/cli/main.js" },
    output: { dir: "dist", format: "es", banner: "#!/usr/bin/env node", sourcemap: true },
    external,
  },
];
