// Model sources against a local node:http "hub" on 127.0.0.1 (never the network): download, progress,
// cache hits with the server gone, 404 → null, 500 → FetchError, env.remoteHost, local dirs, offline mode; open()
// streaming into the disk cache, env.maxDownloadBytes, and a real model loaded through the hub.
import { test, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, readFileSync, readdirSync, rmSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHub } from "./helpers/hub-server.js";
import { env } from "../src/env.js";
import { openSource, type ProgressInfo } from "../src/io/source.js";
import { FetchError, InputError } from "../src/errors.js";
import type { ModelSource } from "../src/io/checkpoint.js";
import type { RandomAccessFile } from "../src/io/random-access.js";
import { GermModel } from "../src/pipeline/germ-model.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";

const saved = { ...Object.getOwnPropertyDescriptors(env) };
afterEach(() => { Object.defineProperties(env, saved); });
const made: string[] = [];
after(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

/** A temp dir holding repo `org/tiny` at revisions main and v1 (small synthetic files). */
function makeFixture() {
  const root = mkdtempSync(join(tmpdir(), "germ-hub-"));
  const big = new Uint8Array(200_000).map((_, i) => (i * 31) & 255); // several body chunks
  for (const rev of ["main", "v1"]) {
    mkdirSync(join(root, "org/tiny", rev, "sub"), { recursive: true });
    writeFileSync(join(root, "org/tiny", rev, "config.json"), JSON.stringify({ rev }));
    writeFileSync(join(root, "org/tiny", rev, "model.bin"), big);
    writeFileSync(join(root, "org/tiny", rev, "sub", "a b.txt"), "spaced");
  }
  const cache = mkdtempSync(join(tmpdir(), "germ-cache-"));
  made.push(root, cache);
  return { root, big, cache };
}

/** The hub layout over makeFixture's `<root>/<repo>/<rev>/<file>`. */
const startFixtureHub = (root: string) => startHub((repo, rev, file) => join(root, repo, rev, file));

test("hub id: downloads with streamed progress, writes the disk cache", async () => {
  const fx = makeFixture();
  const hub = await startFixtureHub(fx.root);
  try {
    env.remoteHost = hub.url;
    env.cacheDir = fx.cache;
    const events: ProgressInfo[] = [];
    const src = await openSource("org/tiny", { onProgress: (p) => events.push(p) });
    assert.equal(src.location, `${hub.url}/org/tiny/resolve/main`);
    const bytes = await src.get("model.bin");
    assert.deepEqual(bytes, fx.big);
    const dl = events.filter((e) => e.status === "download");
    assert.ok(dl.length >= 2, `expected several download events, got ${dl.length}`);
    assert.ok(dl.every((e) => e.file === "model.bin" && e.total === fx.big.length));
    assert.ok(dl.every((e, i) => i === 0 || e.loaded >= dl[i - 1]!.loaded), "loaded grows");
    assert.equal(dl.at(-1)!.loaded, fx.big.length);
    assert.deepEqual(events.at(-1), { file: "model.bin", loaded: fx.big.length, total: fx.big.length, status: "done" });
    assert.deepEqual(readFileSync(join(fx.cache, "org/tiny/main/model.bin")), Buffer.from(fx.big));
    assert.equal(new TextDecoder().decode((await src.get("sub/a b.txt"))!), "spaced");
  } finally {
    await hub.close();
  }
});

test("hub id: second open is served from the cache with the server stopped", async () => {
  const fx = makeFixture();
  const hub = await startFixtureHub(fx.root);
  env.remoteHost = hub.url;
  env.cacheDir = fx.cache;
  const first = await openSource("org/tiny");
  const config = await first.get("config.json");
  assert.equal(await first.get("missing.json"), null);
  await hub.close();
  const n = hub.requests.length;
  const events: ProgressInfo[] = [];
  const again = await openSource("org/tiny", { onProgress: (p) => events.push(p) });
  assert.deepEqual(await again.get("config.json"), config);
  assert.deepEqual(events.map((e) => e.status), ["cache", "done"]);
  // Offline, the remembered 404 still says "absent" instead of failing.
  assert.equal(await again.get("missing.json"), null);
  assert.equal(hub.requests.length, n, "no request reached the stopped server");
  // A file never fetched fails with the URL, not a hang or null.
  await assert.rejects(again.get("other.json"), (e: unknown) => e instanceof FetchError && /other\.json.*network error/.test(e.message));
});

test("hub id: 404 → null, 500 → FetchError naming URL and status", async () => {
  const fx = makeFixture();
  const hub = await startFixtureHub(fx.root);
  try {
    env.remoteHost = hub.url;
    env.useCache = false;
    const src = await openSource("org/tiny");
    assert.equal(await src.get("pytorch_model.bin"), null);
    await assert.rejects(src.get("boom.bin"), (e: unknown) =>
      e instanceof FetchError && e.message.includes(`${hub.url}/org/tiny/resolve/main/boom.bin`) && /HTTP 500/.test(e.message));
    await assert.rejects(src.get("../secrets"), InputError);
  } finally {
    await hub.close();
  }
});

test("env.remoteHost, revision and path template are respected", async () => {
  const fx = makeFixture();
  const a = await startFixtureHub(fx.root);
  const b = await startFixtureHub(fx.root);
  try {
    env.useCache = false;
    env.remoteHost = b.url + "/";
    const src = await openSource("org/tiny", { revision: "v1" });
    assert.deepEqual(JSON.parse(new TextDecoder().decode((await src.get("config.json"))!)), { rev: "v1" });
    assert.deepEqual(b.requests, ["/org/tiny/resolve/v1/config.json"]);
    assert.deepEqual(a.requests, []);
    env.remotePathTemplate = "mirror/{model}/{revision}/{file}";
    await (await openSource("org/tiny")).get("config.json");
    assert.equal(b.requests.at(-1), "/mirror/org/tiny/main/config.json"); // server 404s it; only the path matters
  } finally {
    await a.close();
    await b.close();
  }
});

test("http(s) directory URL: <url>/<file>, 404 → null", async () => {
  const fx = makeFixture();
  const hub = await startFixtureHub(fx.root);
  try {
    const src = await openSource(`${hub.url}/org/tiny/resolve/main/`);
    assert.equal(src.location, `${hub.url}/org/tiny/resolve/main`);
    assert.deepEqual(JSON.parse(new TextDecoder().decode((await src.get("config.json"))!)), { rev: "main" });
    assert.equal(await src.get("nope.json"), null);
  } finally {
    await hub.close();
  }
});

test("local directory: files, ENOENT → null, missing dir and plain file rejected", async () => {
  const fx = makeFixture();
  const dir = join(fx.root, "org/tiny/main");
  const events: ProgressInfo[] = [];
  const src = await openSource(dir + "/", { onProgress: (p) => events.push(p) });
  assert.equal(src.location, dir);
  assert.deepEqual(await src.get("model.bin"), fx.big);
  assert.equal(await src.get("absent.json"), null);
  assert.equal(events.at(-1)?.status, "done");
  await assert.rejects(openSource(join(fx.root, "no-such-dir")), (e: unknown) => e instanceof InputError && /no such model directory/.test(e.message));
  await assert.rejects(openSource("./no-such-dir"), InputError);
  await assert.rejects(openSource(join(dir, "config.json")), (e: unknown) => e instanceof InputError && /is a file/.test(e.message));
});

test("allowRemote = false: cache still serves; uncached files and URLs give a clear error", async () => {
  const fx = makeFixture();
  const hub = await startFixtureHub(fx.root);
  try {
    env.remoteHost = hub.url;
    env.cacheDir = fx.cache;
    await (await openSource("org/tiny")).get("config.json");
    env.allowRemote = false;
    const n = hub.requests.length;
    const src = await openSource("org/tiny");
    assert.ok(await src.get("config.json"));
    await assert.rejects(src.get("model.bin"), (e: unknown) =>
      e instanceof FetchError && /model\.bin/.test(e.message) && /allowRemote = false/.test(e.message));
    await assert.rejects((await openSource(`${hub.url}/org/tiny/resolve/main`)).get("config.json"), /allowRemote = false/);
    assert.equal(hub.requests.length, n);
  } finally {
    await hub.close();
  }
});

/** Every file (not directory) under `dir`, relative to it. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));

/** A whole RandomAccessFile's bytes, then closed. */
async function readAll(f: RandomAccessFile): Promise<Uint8Array> {
  try { return await f.read(0, f.size); } finally { await f.close(); }
}

/** Wait (bounded) until the server has seen the client cut `path`'s response. */
async function cutBy(hub: { aborted: string[] }, path: string): Promise<boolean> {
  for (let i = 0; i < 200 && !hub.aborted.includes(path); i++) await new Promise((r) => setTimeout(r, 10));
  return hub.aborted.includes(path);
}

test("env.maxDownloadBytes: an endless body fails past the limit for get() and open(), cut off, nothing cached", async () => {
  const fx = makeFixture();
  const hub = await startFixtureHub(fx.root);
  try {
    env.remoteHost = hub.url;
    env.cacheDir = fx.cache;
    env.maxDownloadBytes = 300_000; // several 64 KiB chunks
    const src = await openSource("org/tiny");
    const path = "/org/tiny/resolve/main/endless.bin";
    const pastLimit = (e: unknown) => e instanceof FetchError && e.message.includes(hub.url + path)
      && /larger than 300000 bytes/.test(e.message) && /env\.maxDownloadBytes/.test(e.message);
    await assert.rejects(src.get("endless.bin"), pastLimit);
    assert.ok(await cutBy(hub, path), "get() cancelled the response");
    hub.aborted.length = 0;
    await assert.rejects(src.open!("endless.bin"), pastLimit);
    assert.ok(await cutBy(hub, path), "open() cancelled the response");
    assert.deepEqual(filesUnder(fx.cache), [], "no file (nor .tmp) left in the cache");
    env.useCache = false; // open() without a disk cache reads through get(): bounded the same way
    await assert.rejects(src.open!("endless.bin"), pastLimit);
  } finally {
    await hub.close();
  }
});

test("env.maxDownloadBytes: a Content-Length past the limit is refused before the body is read", async () => {
  const fx = makeFixture();
  const hub = await startFixtureHub(fx.root);
  try {
    env.remoteHost = hub.url;
    env.cacheDir = fx.cache;
    env.maxDownloadBytes = fx.big.length - 1;
    const events: ProgressInfo[] = [];
    const src = await openSource("org/tiny", { onProgress: (p) => events.push(p) });
    const refused = (e: unknown) => e instanceof FetchError && /model\.bin/.test(e.message)
      && new RegExp(`Content-Length says ${fx.big.length}.*env\\.maxDownloadBytes`).test(e.message);
    await assert.rejects(src.get("model.bin"), refused);
    await assert.rejects(src.open!("model.bin"), refused);
    assert.deepEqual(events, [], "no byte was counted");
    assert.deepEqual(filesUnder(fx.cache), []);
    env.maxDownloadBytes = fx.big.length; // exactly the limit is allowed
    assert.deepEqual(await readAll((await src.open!("model.bin"))!), fx.big);
  } finally {
    await hub.close();
  }
});

test("hub open(): streams the download into the disk cache; a second open with the server stopped reads the cache", async () => {
  const fx = makeFixture();
  const hub = await startFixtureHub(fx.root);
  env.remoteHost = hub.url;
  env.cacheDir = fx.cache;
  const events: ProgressInfo[] = [];
  const src = await openSource("org/tiny", { onProgress: (p) => events.push(p) });
  const f = (await src.open!("model.bin"))!;
  assert.equal(f.size, fx.big.length);
  assert.deepEqual(await f.read(1000, 5), fx.big.subarray(1000, 1005));
  assert.deepEqual(await readAll(f), fx.big);
  const dl = events.filter((e) => e.status === "download");
  assert.ok(dl.length >= 2, `expected several download events, got ${dl.length}`);
  assert.ok(dl.every((e, i) => e.file === "model.bin" && e.total === fx.big.length && (i === 0 || e.loaded >= dl[i - 1]!.loaded)));
  assert.equal(dl.at(-1)!.loaded, fx.big.length);
  assert.deepEqual(events.at(-1), { file: "model.bin", loaded: fx.big.length, total: fx.big.length, status: "done" });
  assert.deepEqual(filesUnder(fx.cache), [join(fx.cache, "org/tiny/main/model.bin")], "the cache file and no .tmp");
  assert.deepEqual(readFileSync(join(fx.cache, "org/tiny/main/model.bin")), Buffer.from(fx.big));
  // The file open() returned reads the cache file on disk (not bytes in memory): a change there is seen.
  const live = (await src.open!("model.bin"))!;
  appendFileSync(join(fx.cache, "org/tiny/main/model.bin"), "x");
  await assert.rejects(live.read(0, 4), (e: unknown) => e instanceof FetchError && /changed/.test(e.message));
  await live.close();
  writeFileSync(join(fx.cache, "org/tiny/main/model.bin"), fx.big);
  assert.equal(await src.open!("missing.bin"), null);
  await hub.close();
  const n = hub.requests.length;
  events.length = 0;
  const again = await openSource("org/tiny", { onProgress: (p) => events.push(p) });
  assert.deepEqual(await readAll((await again.open!("model.bin"))!), fx.big);
  assert.deepEqual(events.map((e) => e.status), ["cache", "done"]);
  assert.equal(await again.open!("missing.bin"), null, "the remembered 404, offline");
  await assert.rejects(again.open!("other.bin"), (e: unknown) => e instanceof FetchError && /other\.bin.*network error/.test(e.message));
  env.allowRemote = false;
  assert.equal(await again.open!("missing.bin"), null);
  await assert.rejects(again.open!("other.bin"), /allowRemote = false/);
  assert.equal(hub.requests.length, n, "no request reached the stopped server");
});

test("open() without a disk cache, and for directory URLs: the file from get(), in memory", async () => {
  const fx = makeFixture();
  const hub = await startFixtureHub(fx.root);
  try {
    env.remoteHost = hub.url;
    env.useCache = false;
    const hubSrc = await openSource("org/tiny");
    const urlSrc = await openSource(`${hub.url}/org/tiny/resolve/main`);
    for (const src of [hubSrc, urlSrc]) {
      assert.deepEqual(await readAll((await src.open!("model.bin"))!), fx.big);
      assert.equal(await src.open!("nope.bin"), null);
    }
    await assert.rejects(urlSrc.open!("../x"), InputError);
  } finally {
    await hub.close();
  }
});

const fixtures = fixturesDir();
test("a real model through the hub loads via open() from the cache file, equal to the directory load bit for bit",
  { skip: fixtures ? false : NO_FIXTURES }, async () => {
    const dir = join(fixtures!, "tiny-softmax1");
    const seqs = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACA"];
    const freshCache = () => { const d = mkdtempSync(join(tmpdir(), "germ-cache-")); made.push(d); return d; };
    const hub = await startHub((repo, _rev, file) => (repo === "org/model" ? join(dir, file) : null));
    const models: GermModel[] = [];
    const load = async (src: string | ModelSource) => {
      const m = await GermModel.fromPretrained(src, { device: "reference" });
      models.push(m);
      return m;
    };
    try {
      env.remoteHost = hub.url;
      env.cacheDir = freshCache();
      const want = await (await load(dir)).embed(seqs);
      assert.deepEqual(await (await load("org/model")).embed(seqs), want);
      assert.deepEqual(readFileSync(join(env.cacheDir, "org/model/main/model.safetensors")), readFileSync(join(dir, "model.safetensors")));
      assert.ok(!hub.requests.some((r) => r.endsWith("pytorch_model.bin")), "the safetensors file was used");

      // Which method the loader calls for each file, and what its reads return, downloading into a fresh cache.
      env.cacheDir = freshCache();
      const src = await openSource("org/model");
      const calls: string[] = [];
      const views: number[] = [];
      const spied: ModelSource = {
        location: src.location,
        get: (f) => { calls.push(`get ${f}`); return src.get(f); },
        async open(file) {
          calls.push(`open ${file}`);
          const f = await src.open!(file);
          if (f === null) return null;
          return {
            size: f.size,
            close: () => f.close(),
            async read(offset, length) {
              const b = await f.read(offset, length);
              // A view into a bigger buffer would mean the whole file is held in memory.
              if (b.buffer.byteLength !== length) views.push(length);
              return b;
            },
          };
        },
      };
      const streamed = await load(spied);
      assert.ok(calls.includes("open model.safetensors"), calls.join(", "));
      assert.ok(!calls.includes("get model.safetensors"), calls.join(", "));
      assert.deepEqual(views, [], "every tensor read is a buffer of its own, read from the cache file");
      assert.deepEqual(await streamed.embed(seqs), want);

      // A cache that cannot be written (its root is a plain file): the model still loads, from memory, with a warning.
      const blocker = join(freshCache(), "not-a-dir");
      writeFileSync(blocker, "");
      env.cacheDir = join(blocker, "cache");
      const warnings: string[] = [];
      const warn = console.warn;
      console.warn = (m: string) => { warnings.push(String(m)); };
      try {
        assert.deepEqual(await (await load("org/model")).embed(seqs), want);
      } finally { console.warn = warn; }
      assert.ok(warnings.some((w) => /cannot write under .*not-a-dir\/cache; model\.safetensors is downloaded into memory/.test(w)), warnings.join("\n"));
    } finally {
      for (const m of models) m.dispose();
      await hub.close();
    }
  });
