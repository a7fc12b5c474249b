// End-to-end test of the demo page (docs/demo/) in headless Chromium, driven with puppeteer-core: it starts
// scripts/demo.mjs with --models test/fixtures, loads tiny-softmax1 by URL, embeds golden sequences on Wasm (2 threads:
// the page is cross-origin isolated) and on WebGPU (SwiftShader), runs outliers, cancels a run, loads a model from
// dropped files, loads tiny-softmax1-cls through the folder picker and classifies the sequences of an opened .fa.gz,
// and compares what the page shows and exposes with the PyTorch goldens at the golden tests' own tolerance
// (GOLDEN_TOL_F32). Any page error or console error fails it.
// Needs `npm run build` (dist/ and build/test/). Without Chromium it skips, except under CI=true.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const chromium = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const artifacts = resolve(repo, process.env.GERM_ARTIFACTS || "build/artifacts");
const fixtures = resolve(repo, "test/fixtures");
const STEP_MS = 90_000;

if (!existsSync(chromium)) {
  const why = `no Chromium at ${chromium} (apt-get install chromium, or: source .ci/setup-webgpu.sh)`;
  if (process.env.CI === "true") { console.error(`test:demo: ${why}`); process.exit(1); }
  console.log(`test:demo: skipped: ${why}`);
  process.exit(0);
}
// dist/plot.js is germ-js/plot (src/plot), which the outlier chart draws with.
for (const need of ["dist/index.js", "dist/plot.js", "build/test/helpers/golden-checks.js"]) {
  if (existsSync(resolve(repo, need))) continue;
  console.error(`test:demo: ${need} is missing: run npm run build first`);
  process.exit(1);
}
const { GOLDEN_TOL_F32: TOL, goldenLookup } = await import(resolve(repo, "build/test/helpers/golden-checks.js"));
const { assertClose } = await import(resolve(repo, "build/test/helpers/compare.js"));
const puppeteer = (await import("puppeteer-core")).default;

const golden = (model) => ({
  g: JSON.parse(readFileSync(resolve(fixtures, model, "golden.json"), "utf8")),
  want: goldenLookup(new Uint8Array(readFileSync(resolve(fixtures, model, "golden.safetensors")))),
});
// Golden sequences the page can take as FASTA records (the golden's empty and whitespace-split texts cannot be).
// lowercase_mix is read as written: the test unticks "Upper-case", as the golden did not upper-case it.
const NAMES = ["single_base", "readme_example", "sample_test_row0", "lowercase_mix", "with_N", "random_500bp"];
const fasta = (g) => NAMES.map((n) => `>${n}\n${g.sequences.find((s) => s.name === n).text}\n`).join("");

/** The demo server on a free port; resolves to { url, stop }. */
function startServer() {
  const args = [resolve(repo, "scripts/demo.mjs"), "--port", "0", "--models", fixtures];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((ok, fail) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) ok({ url: m[0], stop: () => child.kill() });
    });
    child.on("exit", (code) => fail(new Error(`demo server exited (${code}) before printing its URL: ${out}`)));
  });
}

const problems = [];
const tmp = mkdtempSync(resolve(tmpdir(), "germ-demo-"));
const server = await startServer();
const browser = await puppeteer.launch({
  executablePath: chromium, headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--enable-unsafe-webgpu", "--disable-dev-shm-usage", "--no-first-run"],
});
const t0 = Date.now();
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  page.setDefaultTimeout(STEP_MS);
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
    else if (process.env.GERM_VERBOSE) console.log(`  [page ${m.type()}] ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.goto(server.url, { waitUntil: "load" });

  const isolated = await page.evaluate(() => crossOriginIsolated);
  if (!isolated) throw new Error("the page is not crossOriginIsolated: COOP/COEP headers missing");
  if (await page.$eval("#threads", (s) => s.disabled)) throw new Error("threads are not offered on an isolated page");

  /** Fill the options and load a model; returns window.__germModel. */
  async function load({ device, threads, url, folder, drop }) {
    const pick = async (sel, v) => {
      if (!(await page.select(sel, v)).includes(v)) throw new Error(`the page offers no ${sel} option ${v}`);
    };
    await pick("#device", device);
    if (threads) await pick("#threads", String(threads));
    await pick("#dtype", "f32");
    await page.evaluate(() => { window.__germModel = undefined; });
    if (url) {
      await page.$eval("#model-url", (el, v) => { el.value = v; }, url);
      await page.click("#load-url");
    } else if (drop) {
      // A drop of the model's files on the drop zone, as a file manager makes it (DataTransfer with File objects).
      await page.evaluate(async (base, names) => {
        const dt = new DataTransfer();
        for (const n of names) dt.items.add(new File([await (await fetch(`${base}/${n}`)).blob()], n));
        const drop = new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true });
        document.getElementById("drop-zone").dispatchEvent(drop);
      }, drop.base, drop.files);
    } else {
      const input = await page.$("#model-dir");
      await input.uploadFile(folder); // a webkitdirectory input takes a folder path, as a user picks one
    }
    await page.waitForFunction(() => window.__germModel || !document.getElementById("error").hidden);
    const err = await page.$eval("#error", (e) => (e.hidden ? "" : e.textContent));
    if (err) throw new Error(`loading ${url ?? folder ?? drop.base} on ${device}: the page says ${err}`);
    const m = await page.evaluate(() => window.__germModel);
    if (m.info.backend !== device) throw new Error(`asked for ${device}, the model runs on ${m.info.backend}`);
    const { backend, build, threads: n, description } = m.info;
    const ms = Math.round(m.loadMs);
    console.log(`  loaded ${m.model.location} on ${backend} (${build}, ${n} thread(s); ${description}) in ${ms} ms`);
    return m;
  }

  /** Click a run button and wait for its result; returns window.__germLastResult with typed arrays as plain arrays. */
  async function run(task) {
    await page.evaluate(() => { window.__germLastResult = undefined; });
    await page.click(`#run-${task}`);
    await page.waitForFunction(() => window.__germLastResult || !document.getElementById("error").hidden);
    const err = await page.$eval("#error", (e) => (e.hidden ? "" : e.textContent));
    if (err) throw new Error(`${task}: the page says ${err}`);
    const r = await page.evaluate(() => {
      const r = window.__germLastResult;
      return { ...r, embeddings: r.embeddings?.map((e) => Array.from(e)),
        classes: r.classes?.map((c) => ({ label: c.label, logits: Array.from(c.logits), probs: Array.from(c.probs) })) };
    });
    if (r.task !== task) throw new Error(`asked for ${task}, got a ${r.task} result`);
    const timing = await page.$eval("#timings", (e) => e.textContent);
    console.log(`  ${task}: ${timing}`);
    return r;
  }

  /** The results table as text cells, header row first. */
  const tableCells = () => page.$$eval("#results-table tr", (rows) =>
    rows.map((r) => [...r.cells].map((c) => c.textContent)));
  const short = (v) => String(Number(v.toPrecision(4)));

  /** Each exposed embedding equals the golden mean pooling; the table shows those numbers (norm, first dims). */
  async function checkEmbed(r, want, what) {
    if (r.ids.join() !== NAMES.join()) throw new Error(`${what}: ids ${r.ids} ≠ ${NAMES}`);
    let worst = 0;
    NAMES.forEach((n, i) => {
      const err = assertClose(r.embeddings[i], want(`${n}/mean_pooled`), `${what} ${n} mean_pooled`, TOL.atol, TOL.rtol);
      worst = Math.max(worst, err);
    });
    const cells = await tableCells();
    NAMES.forEach((n, i) => {
      const e = r.embeddings[i], norm = Math.sqrt(e.reduce((a, x) => a + x * x, 0));
      const shown = cells[i + 1], expect = [n, null, null, short(norm), ...e.slice(0, 8).map(short)];
      expect.forEach((v, k) => {
        if (v === null || shown[k] === v) return;
        throw new Error(`${what}: table row ${n}, ${cells[0][k]}: shows ${shown[k]}, expected ${v}`);
      });
    });
    // The .tsv download holds every dimension, each reading back as the same float32.
    const tsv = await page.$eval("#dl-tsv", async (a) => (await fetch(a.href)).text());
    const [head, ...rows] = tsv.trimEnd().split("\n").map((l) => l.split("\t"));
    if (head.length !== r.embeddings[0].length + 1 || head[0] !== "id" || rows.length !== NAMES.length) {
      throw new Error(`${what}: the .tsv has ${rows.length} rows of ${head.length} columns`);
    }
    rows.forEach(([id, ...v], i) => {
      if (id !== NAMES[i] || v.some((x, k) => Math.fround(Number(x)) !== r.embeddings[i][k])) throw new Error(`${what}: .tsv row ${i} differs`);
    });
    console.log(`  ${what}: ${NAMES.length} mean-pooled embeddings match the goldens (max |err| ${worst.toExponential(2)}); table and .tsv agree`);
  }

  /** The page's outlier summary equals the mean over these sequences' tokens of the golden per-token statistics. */
  function checkOutliers(r, g, want, what) {
    const L = g.config.num_hidden_layers;
    for (let j = 0; j < L; j++) {
      for (const kind of ["wo", "layernorm"]) {
        let inf = 0, kurt = 0, n = 0;
        for (const name of NAMES) {
          const a = want(`${name}/layer.${j}.mlp.${kind}.inf_norm`), k = want(`${name}/layer.${j}.mlp.${kind}.kurtosis`);
          for (let t = 0; t < a.length; t++) { inf += a[t]; kurt += k[t]; n++; }
        }
        const mod = `bert.encoder.layer.${j}.mlp.${kind}`, got = r.summary.modules[mod];
        assertClose([got.infNormMean], [inf / n], `${what} ${mod} mean ∞-norm`, TOL.atol, TOL.rtol);
        assertClose([got.kurtosisMean], [kurt / n], `${what} ${mod} mean kurtosis`, TOL.kurtosis, TOL.kurtosis);
      }
    }
    const tokens = r.tokens.reduce((a, b) => a + b, 0);
    const goldenTokens = NAMES.reduce((a, n) => a + g.sequences.find((s) => s.name === n).n_tokens, 0);
    if (tokens !== goldenTokens) throw new Error(`${what}: ${tokens} tokens, the golden has ${goldenTokens}`);
    console.log(`  ${what}: per-layer mean ∞-norm and kurtosis over ${tokens} tokens match the goldens`);
  }

  /** The chart is an <svg> in the page with a line per model: each model's name is in it, and no other's. */
  async function checkChart(names, absent = []) {
    const svg = await page.$eval("#chart-plot", (el) => {
      const s = el.querySelector("svg");
      if (!s) return null;
      const texts = [...s.querySelectorAll("text")].map((t) => t.textContent.trim());
      const marks = s.querySelectorAll("path, circle").length;
      return { texts, marks, hidden: el.closest("figure").hidden, label: s.getAttribute("aria-label") };
    });
    if (!svg || svg.hidden) throw new Error("outliers: no chart <svg> in the page");
    // The legend names each model in a <text> of its own.
    for (const n of names) {
      if (!svg.texts.includes(n)) throw new Error(`outliers chart: no line for ${n} (${svg.texts.join(" | ")})`);
    }
    for (const n of absent) if (svg.texts.includes(n)) throw new Error(`outliers chart: still shows ${n}`);
    console.log(`  outliers chart: <svg aria-label="${svg.label}"> (${svg.marks} paths/dots), lines for ${names.join(" and ")}`);
  }

  const soft1 = golden("tiny-softmax1");
  // A typed error from the library (FormatError for a FASTA record without sequence), shown as name: message.
  await load({ device: "wasm", threads: 2, url: "/models/tiny-softmax1" }).then((m) => {
    if (m.info.threads !== 2) throw new Error(`Wasm runs ${m.info.threads} thread(s), asked for 2 on an isolated page`);
  });
  await page.$eval("#sequences", (el) => { el.value = ">empty\n>x\nACGT\n"; });
  await page.click("#run-embed");
  await page.waitForFunction(() => !document.getElementById("error").hidden);
  const shown = await page.$eval("#error", (e) => e.textContent);
  if (!/^FormatError: .*line 1.*no sequence/.test(shown)) {
    throw new Error(`bad FASTA: the page shows "${shown}", not a FormatError at line 1`);
  }
  console.log(`  bad input shown as: ${shown}`);

  // Cancel: a long run stops at the next batch and the model stays usable (the golden run below uses it).
  // 1800 sequences, 113 chunks of 16: the click lands long before the end, even on a fast machine.
  await page.$eval("#sequences", (el, v) => { el.value = v; }, fasta(soft1.g).repeat(300));
  await page.evaluate(() => { window.__germLastResult = undefined; });
  await page.click("#run-embed");
  await page.waitForFunction(() => /of \d+ done/.test(document.getElementById("progress").textContent));
  await page.click("#cancel");
  await page.waitForFunction(() => window.__germLastResult || !document.getElementById("error").hidden);
  if (await page.evaluate(() => window.__germLastResult !== undefined)) throw new Error("cancel: the run finished anyway");
  const cancelled = await page.$eval("#error", (e) => e.textContent);
  if (cancelled !== "Cancelled.") throw new Error(`cancel: the page shows "${cancelled}"`);
  if (await page.$eval("#run-embed", (b) => b.disabled)) throw new Error("cancel: the run buttons stay disabled");
  console.log("  cancel: the run stopped, buttons enabled again");

  await page.$eval("#sequences", (el, v) => { el.value = v; }, fasta(soft1.g));
  await page.$eval("#upper", (el) => { el.checked = false; });
  await checkEmbed(await run("embed"), soft1.want, "Wasm ×2 embed");
  checkOutliers(await run("outliers"), soft1.g, soft1.want, "Wasm ×2 outliers");
  await checkChart(["tiny-softmax1"]);

  // Drag and drop of a model's files (a ModelSource over File objects in the worker, as for the folder picker).
  const drop = { base: "/models/tiny-softmax1", files: ["config.json", "tokenizer.json", "model.safetensors"] };
  await load({ device: "wasm", threads: 2, drop });
  await checkEmbed(await run("embed"), soft1.want, "dropped files, Wasm embed");

  await load({ device: "webgpu", url: "/models/tiny-softmax1" });
  await checkEmbed(await run("embed"), soft1.want, "WebGPU embed");
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: resolve(artifacts, "demo-embed.png"), fullPage: true });

  // The local-folder path: Chromium's folder picker hands over every file under the folder (train/ too); the page keeps
  // the top level and the worker turns those File objects into a ModelSource.
  const cls = golden("tiny-softmax1-cls");
  await load({ device: "wasm", threads: 2, folder: resolve(fixtures, "tiny-softmax1-cls") });
  // The sequences from an opened .fa.gz this time (readSequences inflates it in the page); the text box is ignored.
  const gz = resolve(tmp, "golden.fa.gz");
  writeFileSync(gz, gzipSync(fasta(cls.g)));
  await page.$eval("#sequences", (el) => { el.value = ">ignored\nACGT\n"; });
  await (await page.$("#seq-file")).uploadFile(gz);
  const c = await run("classify");
  if (c.ids.join() !== NAMES.join()) throw new Error(`classify of golden.fa.gz: ids ${c.ids} ≠ ${NAMES}`);
  const labels = cls.g.config.id2label;
  NAMES.forEach((n, i) => {
    assertClose(c.classes[i].logits, cls.want(`${n}/cls_logits`), `classify ${n} logits`, TOL.atol, TOL.rtol);
    assertClose([c.classes[i].probs.reduce((a, b) => a + b, 0)], [1], `classify ${n} probs sum`, 1e-5, 0);
    const best = c.classes[i].logits.indexOf(Math.max(...c.classes[i].logits));
    const label = labels?.[String(best)];
    if (label && c.classes[i].label !== label) throw new Error(`classify ${n}: label ${c.classes[i].label} ≠ ${label}`);
  });
  const cells = await tableCells();
  NAMES.forEach((n, i) => {
    if (cells[i + 1][3] !== c.classes[i].label) throw new Error(`classify: table row ${n} shows label ${cells[i + 1][3]}`);
  });
  console.log(`  folder picker + golden.fa.gz + classify: ${NAMES.length} logit rows match the goldens`);
  checkOutliers(await run("outliers"), cls.g, cls.want, "folder model outliers");
  await checkChart(["tiny-softmax1", "tiny-softmax1-cls"]);

  await page.screenshot({ path: resolve(artifacts, "demo.png"), fullPage: true });
  console.log(`  screenshots: ${resolve(artifacts, "demo.png")} (after outliers), demo-embed.png (after the WebGPU embed)`);
  await page.click("#chart-clear");
  await checkChart(["tiny-softmax1-cls"], ["tiny-softmax1"]);
} catch (e) {
  problems.push(e.message);
} finally {
  await browser.close();
  server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
if (problems.length) {
  console.error(`test:demo: FAILED\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  process.exit(1);
}
console.log(`test:demo: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
