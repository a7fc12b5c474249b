// The package as users get it: `npm pack` of the built repo, unpacked with tar into a project's node_modules/germ-js
// (no registry, no install). Shared by test-bundlers.mjs and test-edge.mjs.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(fileURLToPath(new URL("../../", import.meta.url)));

/**
 * Pack the repo into `dir`; returns the tarball path and npm's sizes. --ignore-scripts: npm test has just built dist/
 * (a prepack hook would build it a second time).
 */
export function pack(dir) {
  mkdirSync(dir, { recursive: true });
  const out = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], {
    cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"],
  });
  const [info] = JSON.parse(out);
  return {
    tarball: join(dir, info.filename), size: info.size, unpackedSize: info.unpackedSize,
    entryCount: info.entryCount, files: info.files.map((f) => f.path),
  };
}

/** Unpack the tarball as `<project>/node_modules/germ-js` (npm's tarballs hold one top folder, "package/"). */
export function installInto(tarball, project) {
  const dest = join(project, "node_modules", "germ-js");
  mkdirSync(dest, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", dest, "--strip-components=1"]);
  return dest;
}

/** "1.23 MB" style sizes for the tables. */
export function fmtBytes(n) {
  if (n === undefined || n === null) return "—";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}
