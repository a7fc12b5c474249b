// germ-js in Cloudflare's workerd (node_modules/.bin/workerd), the way wrangler deploys it: the packed package
// (npm pack → tar into a temp project) bundled with esbuild into one ES module per worker (conditions workerd,
// worker, browser; .wasm imports left external and declared as precompiled wasm modules; the fixture files as data
// modules). Three workers, each its own isolate:
//   wasm: env.wasmModules = { simd } from `import simd from "germ-js/wasm/simd.wasm"`, device "wasm";
//   relaxed: the same with germ-js/wasm/relaxed.wasm (the build germ-js's own hint names);
//   auto: no modules, device "auto" → must fall back to the reference backend (workerd forbids compiling Wasm), with
//         a warning; and device "wasm" there must fail with a typed BackendError.
// All embeddings must match the golden (tiny-softmax1 mean_pooled, the golden tests' tolerance).
// Needs `npm run build` first (npm test does). Usage: node scripts/test-edge.mjs [--keep]
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { REPO, fmtBytes, installInto, pack } from "./lib/pack.mjs";
import { FIXTURES, MODEL, TOL, checkEmbeddings, loadGolden } from "./lib/golden.mjs";
import { freePort } from "./lib/free-port.mjs";

const WORKERD = join(REPO, "node_modules", ".bin", "workerd");
// Not after the binary's own date (1.20261117): workerd refuses compatibility dates it does not know yet.
const COMPAT_DATE = "2026-11-01";
const MODEL_FILES = ["config.json", "tokenizer.json", "model.safetensors"];
const keep = process.argv.includes("--keep");

if (!FIXTURES) { console.log("test:edge: skipped: no golden fixtures (test/fixtures or $GERM_FIXTURES)"); process.exit(0); }
if (!existsSync(WORKERD)) { console.error(`test:edge: ${WORKERD} is missing (npm ci installs workerd)`); process.exit(1); }
const { build } = await import(join(REPO, "node_modules", "esbuild", "lib", "main.js"));
const golden = loadGolden(MODEL);
const work = mkdtempSync(join(tmpdir(), "germ-edge-"));

/**
 * Bundle `entry` (in the project) into out/<name>; .wasm imports become "./<file>.wasm" externals (recorded in
 * `wasm`: module name → file), the fixture's "./tiny-softmax1/…" imports stay as they are (data modules).
 */
async function bundle(project, entry, name) {
  const wasm = {};
  const edgeModules = {
    name: "edge-modules",
    setup(b) {
      b.onResolve({ filter: /\.wasm$/ }, async (args) => {
        if (args.pluginData === "edge-modules") return undefined;
        const { kind, resolveDir, importer } = args;
        const r = await b.resolve(args.path, { kind, resolveDir, importer, pluginData: "edge-modules" });
        if (r.errors.length) return { errors: r.errors };
        wasm[basename(r.path)] = r.path;
        return { path: `./${basename(r.path)}`, external: true };
      });
      b.onResolve({ filter: /^\.\/tiny-softmax1\// }, (args) => ({ path: args.path, external: true }));
    },
  };
  const r = await build({
    absWorkingDir: project, entryPoints: [entry], outfile: join(project, "out", name), bundle: true, format: "esm",
    platform: "browser", target: "es2022", conditions: ["workerd", "worker", "browser"], plugins: [edgeModules],
    logLevel: "silent",
  });
  return { wasm, warnings: r.warnings.map((w) => `${w.location?.file ?? ""}: ${w.text}`) };
}

/** The capnp config: one worker per entry, each on its own socket, with its wasm and data modules. */
function capnp(workers) {
  const services = workers.map((w) => `    (name = "${w.id}", worker = .${w.id}Worker),`).join("\n");
  const sockets = workers.map((w) => `    (name = "${w.id}", address = "127.0.0.1:${w.port}", http = (), service = "${w.id}"),`)
    .join("\n");
  const defs = workers.map((w) => {
    const modules = [
      `(name = "worker.js", esModule = embed "${w.script}")`,
      ...Object.keys(w.wasm).map((f) => `(name = "${f}", wasm = embed "wasm/${f}")`),
      ...MODEL_FILES.map((f) => `(name = "${MODEL}/${f}", data = embed "model/${f}")`),
    ];
    return `const ${w.id}Worker :Workerd.Worker = (\n  modules = [\n    ${modules.join(",\n    ")},\n  ],\n` +
      `  compatibilityDate = "${COMPAT_DATE}",\n);\n`;
  });
  return `using Workerd = import "/workerd/workerd.capnp";\n\nconst config :Workerd.Config = (\n  services = [\n${services}\n  ],\n` +
    `  sockets = [\n${sockets}\n  ],\n);\n\n${defs.join("\n")}`;
}

/** POST the golden texts; resolves to { status, body }. */
async function ask(url) {
  const body = JSON.stringify({ texts: golden.texts });
  const res = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json" } });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: { error: { message: text.slice(0, 400) } } };
  }
}

async function waitUp(url, proc, log) {
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`workerd exited (${proc.exitCode}):\n${log()}`);
    try { await fetch(url, { method: "HEAD" }); return; } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`workerd did not listen on ${url} in 30 s:\n${log()}`);
}

const failures = [];
let proc = null;
const stop = () => { if (proc && proc.exitCode === null) { try { process.kill(-proc.pid, "SIGTERM"); } catch { /* gone */ } } };
process.once("exit", stop);
try {
  const p = pack(join(work, "pack"));
  console.log(`germ-js tarball: ${fmtBytes(p.size)} packed, ${fmtBytes(p.unpackedSize)} unpacked, ${p.entryCount} files`);
  const project = join(work, "project");
  mkdirSync(join(project, "model"), { recursive: true });
  mkdirSync(join(project, "wasm"), { recursive: true });
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "edge-app", private: true, type: "module" }));
  cpSync(join(REPO, "test", "edge"), project, { recursive: true });
  installInto(p.tarball, project);
  for (const f of MODEL_FILES) cpSync(join(golden.dir, f), join(project, "model", f));

  const workers = [];
  for (const id of ["wasm", "relaxed", "auto"]) {
    const script = `out/worker-${id}.js`;
    const { wasm, warnings } = await bundle(project, `./worker-${id}.js`, `worker-${id}.js`);
    for (const w of warnings) console.log(`esbuild warning (${id}): ${w}`);
    for (const [f, path] of Object.entries(wasm)) cpSync(path, join(project, "wasm", f));
    const sizes = [script, ...Object.keys(wasm).map((f) => `wasm/${f}`)]
      .map((f) => `${f} ${fmtBytes(statSync(join(project, f)).size)}`);
    console.log(`worker ${id}: ${sizes.join(" + ")}`);
    workers.push({ id, script, wasm, port: await freePort() });
  }
  const port = (id) => workers.find((w) => w.id === id).port;
  if (!existsSync(join(project, "wasm", "simd.wasm"))) failures.push("the wasm worker imports no simd.wasm module");
  writeFileSync(join(project, "config.capnp"), capnp(workers));

  let log = "";
  proc = spawn(WORKERD, ["serve", "config.capnp", "--experimental"],
    { cwd: project, stdio: ["ignore", "pipe", "pipe"], detached: true });
  proc.stdout.on("data", (d) => { log += d; });
  proc.stderr.on("data", (d) => { log += d; });
  for (const w of workers) await waitUp(`http://127.0.0.1:${w.port}/`, proc, () => log);

  const checks = [
    { what: "wasm (env.wasmModules = { simd })", url: `http://127.0.0.1:${port("wasm")}/`, backend: "wasm", build: "simd" },
    { what: "wasm (env.wasmModules = { relaxed })", url: `http://127.0.0.1:${port("relaxed")}/`, backend: "wasm", build: "relaxed" },
    { what: "auto (no modules → reference)", url: `http://127.0.0.1:${port("auto")}/`, backend: "reference", warns: true },
  ];
  for (const c of checks) {
    const { status, body } = await ask(c.url);
    const fail = (m) => failures.push(`${c.what}: ${m}`);
    if (status !== 200 || body.error) {
      fail(`HTTP ${status}: ${body.error?.name ?? ""} ${body.error?.message ?? ""}`);
      console.log(`${c.what}: HTTP ${status} ${JSON.stringify(body.error)}`);
      continue;
    }
    const { maxAbs, failure } = checkEmbeddings(body.embeddings, golden);
    console.log(`${c.what}: max |err| ${maxAbs.toExponential(2)}; info ${JSON.stringify(body.info)}`);
    for (const w of body.warnings) console.log(`  warning: ${w}`);
    if (failure) fail(`golden: ${failure}`);
    if (body.info?.backend !== c.backend) fail(`backend ${body.info?.backend}, expected ${c.backend}`);
    if (c.build && body.info?.build !== c.build) fail(`build ${body.info?.build}, expected ${c.build} (the only module given)`);
    if (c.warns && !body.warnings.some((w) => /wasm/i.test(w))) fail("no warning says why Wasm was not used");
    // workerd defines process.versions.node: germ-js must still see an edge runtime, not Node (no fs, no Dawn).
    if (body.warnings.some((w) => /Dawn|node:/.test(w))) fail("a warning treats workerd as Node (mentions Dawn or node: modules)");
  }
  // Wasm asked for by name, with nothing precompiled: a typed error, not a crash or a hang.
  const named = await ask(`http://127.0.0.1:${port("auto")}/?device=wasm`);
  console.log(`device "wasm" without modules: HTTP ${named.status} ${named.body.error?.name}: ${named.body.error?.message}`);
  if (named.status !== 500 || named.body.error?.name !== "BackendError") {
    const got = JSON.stringify(named.body.error ?? named.body.info);
    failures.push(`device "wasm" without modules: expected a BackendError, got HTTP ${named.status} ${got}`);
  }
  if (failures.length && log.trim()) console.log(`workerd said:\n${log.trim().split("\n").slice(-20).join("\n")}`);
} catch (e) {
  failures.push(e.stack ?? String(e));
} finally {
  stop();
  if (keep) console.log(`kept ${work}`); else rmSync(work, { recursive: true, force: true });
}
console.log(`tolerance |err| ≤ ${TOL.atol} + ${TOL.rtol}·|want| (mean_pooled of ${golden.names.length} ${MODEL} sequences)`);
for (const f of failures) console.log(`FAIL ${f}`);
console.log(failures.length ? "test:edge: FAIL" : "test:edge: ok");
process.exit(failures.length ? 1 : 0);
