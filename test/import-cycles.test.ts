// Imports in src/ must point one way: no cycle between files, nor between folders (src/backend/wasm → src/backend).
// Reads the TypeScript sources (type-only and dynamic imports count too) and reports each cycle with its imports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join, posix, relative, resolve, sep } from "node:path";

// Compiled tests live in build/test/, so the repo root is two levels up.
const SRC = join(resolve(fileURLToPath(new URL("../../", import.meta.url))), "src");

/** One edge of a graph, with the imports that make it: "io/hub.ts imports ./cache.js". */
type Graph = Map<string, Map<string, string[]>>;

/** Source files relative to src/, posix-style. generated/ holds embedded wasm and shaders, which import nothing. */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "generated" ? [] : sourceFiles(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [relative(SRC, path).split(sep).join("/")] : [];
  });
}

/** Relative specifiers of static, type-only, re-export, side-effect and dynamic (string literal) imports. */
function importsOf(code: string): string[] {
  // Drop comments (keeping strings, which may hold "//") so examples in doc comments are not taken as imports.
  code = code.replace(/("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g,
    (m, str: string | undefined) => str ?? "");
  const patterns = [
    /^\s*(?:import|export)\b[^;=()]*?\bfrom\s*["']([^"']+)["']/gm, // import/export ... from "x"
    /^\s*import\s*["']([^"']+)["']/gm, //                              import "x"
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, //                        import("x"), typeof import("x")
  ];
  return patterns.flatMap((re) => [...code.matchAll(re)].map((m) => m[1])).filter((s) => s.startsWith("."));
}

function addEdge(g: Graph, from: string, to: string, why: string): void {
  if (!g.has(from)) g.set(from, new Map());
  if (!g.has(to)) g.set(to, new Map());
  const whys = g.get(from)!.get(to) ?? [];
  g.get(from)!.set(to, [...whys, why]);
}

/** Strongly connected components (Tarjan); only those that hold a cycle: 2+ nodes, or a node importing itself. */
function cyclicComponents(g: Graph): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size); low.set(v, index.get(v)!); stack.push(v);
    for (const w of g.get(v)!.keys()) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    do scc.unshift(stack.pop()!); while (scc[0] !== v);
    if (scc.length > 1 || g.get(v)!.has(v)) out.push(scc.sort());
  };
  [...g.keys()].sort().forEach((v) => index.has(v) || visit(v));
  return out;
}

/** Shortest path from → to inside `within` (breadth-first), as the list of nodes. */
function shortestPath(g: Graph, from: string, to: string, within: Set<string>): string[] {
  const prev = new Map<string, string>([[from, from]]), queue = [from];
  for (let v = queue.shift(); v !== undefined && v !== to; v = queue.shift()) {
    for (const w of g.get(v)!.keys()) if (within.has(w) && !prev.has(w)) { prev.set(w, v); queue.push(w); }
  }
  const path = [to];
  while (path[0] !== from) path.unshift(prev.get(path[0])!);
  return path;
}

/** Cycles covering every edge of every cyclic component: edge u → v closed by the shortest way back v → … → u. */
function describeCycles(g: Graph, kind: string): string[] {
  const lines: string[] = [];
  for (const scc of cyclicComponents(g)) {
    const inside = new Set(scc), covered = new Set<string>();
    for (const u of scc) for (const v of [...g.get(u)!.keys()].sort()) {
      if (!inside.has(v) || covered.has(`${u}\0${v}`)) continue;
      const cycle = [u, ...(u === v ? [u] : shortestPath(g, v, u, inside))];
      const whys = cycle.slice(1).map((w, i) => {
        covered.add(`${cycle[i]}\0${w}`);
        const all = g.get(cycle[i])!.get(w)!;
        return all[0] + (all.length > 1 ? ` (+${all.length - 1} more)` : "");
      });
      lines.push(`${kind} cycle: ${cycle.join(" → ")} (${whys.join("; ")})`);
    }
  }
  return lines;
}

const files: Graph = new Map(), folders: Graph = new Map();
for (const file of sourceFiles()) {
  files.set(file, files.get(file) ?? new Map());
  for (const spec of importsOf(readFileSync(join(SRC, file), "utf8"))) {
    const target = posix.join(posix.dirname(file), spec.replace(/\.js$/, ".ts"));
    if (target.startsWith("../")) continue; // outside src/
    const why = `${file} imports ${spec}`;
    addEdge(files, file, target, why);
    // Root files (index.ts, errors.ts, ...) are entry points or shared leaves: the file graph orders them.
    const [a, b] = [posix.dirname(file), posix.dirname(target)];
    if (a !== b && a !== "." && b !== ".") addEdge(folders, a, b, why);
  }
}

test("sources and their imports were found", () => {
  assert.ok(files.size > 10 && [...files.values()].some((to) => to.size > 0), `no imports read under ${SRC}`);
});

test("no import cycle between files of src/", () => {
  const cycles = describeCycles(files, "file");
  assert.equal(cycles.length, 0, `${cycles.length} file import cycle(s):\n${cycles.join("\n")}`);
});

test("no import cycle between folders of src/", () => {
  const cycles = describeCycles(folders, "folder");
  assert.equal(cycles.length, 0, `${cycles.length} folder import cycle(s):\n${cycles.join("\n")}`);
});
