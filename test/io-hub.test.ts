// Model sources against a local node:http "hub" on 127.0.0.1 (never the network): download, progress,
// cache hits with the server gone, 404 → null, 500 → FetchError, env.remoteHost, local dirs, offline mode.
import { test, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHub } from "./helpers/hub-server.js";
import { env } from "../src/env.js";
import { openSource, type ProgressInfo } from "../src/io/source.js";
import { FetchError, InputError } from "../src/errors.js";

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
