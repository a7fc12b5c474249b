// The API docs and guides cannot rot: typedoc (typedoc.json: every entry of package.json's exports, every exported
// symbol documented, links and relative paths valid) converts with no warning; every property of the germ-js entry,
// and every member of the other entries' classes and interfaces, has a comment; every method of a germ-js class and
// every germ-js function has an @example; every @example type-checks against the package's exports alone; and every
// relative link of README.md and docs/*.md names a file (and heading) that exists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";
import ts from "typescript";
import {
  Application, Comment, DeclarationReflection, Logger, LogLevel, ReflectionKind, type ProjectReflection, type Reflection,
} from "typedoc";

// Compiled tests live in build/test/, so the repo root is two levels up.
const ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const MAIN = "germ-js";

/**
 * The package's typed entries, by module name ("germ-js", "germ-js/ops", …) → source file as the examples import it
 * (package.json exports' ./dist/types/x.d.ts is src/x.ts).
 */
const ENTRIES: Record<string, string> = Object.fromEntries(
  Object.entries(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).exports as Record<string, { types?: string }>)
    .filter(([, v]) => typeof v === "object" && v.types)
    .map(([k, v]) => [k === "." ? MAIN : `${MAIN}/${k.replace(/^\.\//, "")}`,
      v.types!.replace(/^\.\/dist\/types\//, "../../src/").replace(/\.d\.ts$/, ".js")]),
);

/** Collects what typedoc reports at warning level and above, with the level, instead of printing it. */
class CollectingLogger extends Logger {
  readonly messages: string[] = [];
  override log(message: string, level: LogLevel): void {
    super.log(message, level);
    if (level >= LogLevel.Warn) this.messages.push(`${LogLevel[level]}: ${message}`);
  }
}

/** The project as `npm run docs` sees it (typedoc.json), converted and validated once for every test below. */
const docs = (async () => {
  process.chdir(ROOT); // typedoc resolves its defaults (package.json, readme) from the working directory
  const app = await Application.bootstrapWithPlugins({ options: join(ROOT, "typedoc.json") });
  const logger = new CollectingLogger();
  app.logger = logger;
  const project = await app.convert();
  if (project) app.validate(project);
  return { project, messages: logger.messages };
})();

/** Inside a parameter's type: described by the function's own comment (typedoc's rule too). */
function inParameter(r: Reflection): boolean {
  for (let p = r.parent; p; p = p.parent) if (p.kindOf(ReflectionKind.Parameter)) return true;
  return false;
}

function moduleOf(r: Reflection): string | undefined {
  for (let p: Reflection | undefined = r; p; p = p.parent) if (p.kindOf(ReflectionKind.Module)) return p.name;
  return undefined;
}

/** Every declaration in `module` (or in both entries), documents and references excluded. */
function declarations(project: ProjectReflection, module?: string): DeclarationReflection[] {
  return project.getReflectionsByKind(ReflectionKind.All)
    .filter((r): r is DeclarationReflection => r instanceof DeclarationReflection && !r.kindOf(ReflectionKind.Reference))
    .filter((r) => module === undefined || moduleOf(r) === module);
}

/** A reflection's own comment, or its signatures' / accessors' (where typedoc keeps a method's comment). */
function comments(r: DeclarationReflection): Comment[] {
  const sigs = [...(r.signatures ?? []), ...(r.getSignature ? [r.getSignature] : []), ...(r.setSignature ? [r.setSignature] : [])];
  return [r.comment, ...sigs.map((s) => s.comment)].filter((c): c is Comment => c !== undefined);
}

test("typedoc: no warning or error (npm run docs)", { timeout: 120_000 }, async () => {
  const { project, messages } = await docs;
  assert.ok(project, "typedoc did not convert the project");
  assert.deepEqual(messages, [], `typedoc reported:\n${messages.join("\n")}`);
  const names = project.children?.map((m) => m.name);
  assert.deepEqual(names?.sort(), Object.keys(ENTRIES).sort(), "typedoc.json documents every typed entry of package.json");
});

test("docs: every property of germ-js and every member of another entry's class or interface has a comment", async () => {
  const { project } = await docs;
  assert.ok(project);
  const missing: string[] = [];
  for (const r of declarations(project)) {
    if (!r.kindOf(ReflectionKind.Property | ReflectionKind.Method | ReflectionKind.Accessor)) continue;
    if (r.inheritedFrom || r.flags.isPrivate || r.flags.isProtected || r.flags.isExternal || inParameter(r)) continue;
    // Lower-level entries describe inline object types on their owner (germ-js/ops: OpArgs.linear), not field by field.
    if (moduleOf(r) !== MAIN && r.parent?.kindOf(ReflectionKind.TypeLiteral)) continue;
    if (comments(r).every((c) => c.isEmpty())) missing.push(`${moduleOf(r)}: ${r.getFriendlyFullName()}`);
  }
  assert.deepEqual(missing, [], `undocumented members:\n${missing.join("\n")}`);
});

test("docs: every method of a germ-js class and every germ-js function has an @example", async () => {
  const { project } = await docs;
  assert.ok(project);
  const without: string[] = [];
  let checked = 0;
  for (const r of declarations(project, MAIN)) {
    const isMethod = r.kindOf(ReflectionKind.Method) && r.parent?.kindOf(ReflectionKind.Class);
    if (!(isMethod || r.kindOf(ReflectionKind.Function))) continue;
    if (r.inheritedFrom || r.flags.isPrivate || r.flags.isProtected || r.flags.isExternal) continue;
    checked++;
    if (!comments(r).some((c) => c.getTag("@example"))) without.push(r.getFriendlyFullName());
  }
  assert.ok(checked >= 25, `only ${checked} methods and functions found: did the entry change?`);
  assert.deepEqual(without, [], `no @example:\n${without.join("\n")}`);
  const model = project.getChildByName([MAIN, "GermModel"]) as DeclarationReflection | undefined;
  for (const m of ["fromPretrained", "forward", "embed", "classify", "maskedLM", "outliers", "loadAdapter", "fineTune", "save", "dispose"]) {
    assert.ok(model?.getChildByName(m), `GermModel.${m} is missing from the docs`);
  }
});

// ---- @example type checking -------------------------------------------------------------------------------------

/**
 * The only free names an example may use besides the package's exports: the things a reader has at hand ("a loaded
 * model", "your sequences"). Everything else an example needs it declares or imports itself.
 */
const PRELUDE = `
type GermModel_ = import("../../src/index.js").GermModel;
declare const model: GermModel_;                           // a loaded model
declare const seqs: string[];                              // DNA sequences
declare const dna: string;                                 // one DNA sequence
declare const texts: string[];                             // training sequences …
declare const labels: number[];                            // … and their labels
declare const dev: import("../../src/index.js").FineTuneData; // a held-out set
declare const bytes: Uint8Array;                           // a file's bytes
declare const backend: import("../../src/ops-entry.js").Backend;
declare const bucket: { get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null> }; // an R2 binding
`;

/** Modules an example may import besides germ-js and germ-js/ops: Node built-ins and an app's own data files. */
const AMBIENT = `
declare module "germ-js/wasm/*.wasm" { const m: WebAssembly.Module; export default m; }
declare module "*.safetensors" { const b: ArrayBuffer; export default b; }
declare module "*.json.bin" { const b: ArrayBuffer; export default b; }
`;

interface Example { where: string; module: string; code: string }

/** The code blocks of every @example (typedoc fences unfenced ones as ```ts), with where they come from. */
function examples(project: ProjectReflection): Example[] {
  const out: Example[] = [];
  const seen = new Set<Comment>();
  const all: Reflection[] = [...project.children ?? [], ...declarations(project)];
  for (const r of all) {
    const module = r.kindOf(ReflectionKind.Module) ? r.name : moduleOf(r);
    if (!module) continue;
    const cs = r instanceof DeclarationReflection ? comments(r) : r.comment ? [r.comment] : [];
    for (const c of cs) {
      if (seen.has(c)) continue;
      seen.add(c);
      c.getTags("@example").forEach((tag, i) => {
        const md = Comment.combineDisplayParts(tag.content);
        for (const m of md.matchAll(/```(\w*)\n([\s\S]*?)```/g)) {
          if (["", "ts", "typescript", "js", "javascript"].includes(m[1])) out.push({ where: `${r.getFriendlyFullName()} @example ${i + 1}`, module, code: m[2] });
        }
      });
    }
  }
  return out;
}

const IMPORT = /^\s*import\s+(type\s+)?(?:\{([^}]*)\}|(\w+)|\*\s+as\s+(\w+))\s+from\s+["']([^"']+)["'];?\s*(\/\/.*)?$/;

/**
 * An example as a module: its import lines hoisted (germ-js → src/index.ts, germ-js/ops → src/ops-entry.ts, …), every
 * other export of its entry imported for it (other entries' examples see germ-js too), its code in an async function.
 */
function exampleModule(ex: Example, exportsOf: Record<string, string[]>): { text: string; offset: number; errors: string[] } {
  const errors: string[] = [];
  const imports: string[] = [], body: string[] = [];
  const own = new Set<string>();
  for (const line of ex.code.split("\n")) {
    const m = IMPORT.exec(line);
    if (!m) { body.push(line); continue; }
    const spec = m[5];
    const target = ENTRIES[spec] ?? spec;
    if (!(ENTRIES[spec] || spec.startsWith("node:") || /^germ-js\/wasm\/\w+\.wasm$/.test(spec) || spec.startsWith("./"))) {
      errors.push(`imports "${spec}": examples may import germ-js's entries, node: built-ins and their own data files`);
    }
    if (ENTRIES[spec]) for (const n of (m[2] ?? "").split(",")) own.add(n.trim().split(/\s+as\s+/).pop()!.replace(/^type\s+/, ""));
    imports.push(line.replace(spec, target));
    body.push(""); // keep line numbers
  }
  const visible = ex.module === MAIN ? [MAIN] : [ex.module, MAIN];
  const pre: string[] = [];
  const taken = new Set(own);
  for (const entry of visible) {
    const names = exportsOf[entry].filter((n) => !taken.has(n));
    names.forEach((n) => taken.add(n));
    if (names.length) pre.push(`import { ${names.join(", ")} } from "${ENTRIES[entry]}";`);
  }
  const head = [...pre, ...imports, PRELUDE, "export async function example(): Promise<void> {"].join("\n") + "\n";
  return { text: `${head}${body.join("\n")}\n}\n`, offset: head.split("\n").length - 1, errors };
}

test("docs: every @example type-checks against the package's exports", { timeout: 120_000 }, async () => {
  const { project } = await docs;
  assert.ok(project);
  const exportsOf: Record<string, string[]> = {};
  for (const m of Object.keys(ENTRIES)) exportsOf[m] = (project.getChildByName(m) as DeclarationReflection | undefined)?.children?.map((c) => c.name) ?? [];
  const list = examples(project);
  assert.ok(list.length >= 60, `only ${list.length} examples found`);
  const dir = join(ROOT, "test", "__examples__");
  const files = new Map<string, { ex: Example; offset: number; text: string }>();
  const problems: string[] = [];
  list.forEach((ex, i) => {
    const { text, offset, errors } = exampleModule(ex, exportsOf);
    files.set(join(dir, `example-${i}.ts`), { ex, offset, text });
    for (const e of errors) problems.push(`${ex.where}: ${e}`);
  });
  files.set(join(dir, "ambient.d.ts"), { ex: list[0], offset: 0, text: AMBIENT });

  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, "tsconfig.json"), {}, {
    ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); },
  })!;
  const options: ts.CompilerOptions = { ...config.options, noEmit: true, declaration: false, sourceMap: false };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) => {
    const f = files.get(resolve(name));
    return f ? ts.createSourceFile(name, f.text, lang, true) : getSourceFile(name, lang, onError, create);
  };
  const fileExists = host.fileExists.bind(host), readFile = host.readFile.bind(host);
  host.fileExists = (name) => files.has(resolve(name)) || fileExists(name);
  host.readFile = (name) => files.get(resolve(name))?.text ?? readFile(name);
  const program = ts.createProgram([...files.keys()], options, host);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const f = d.file && files.get(resolve(d.file.fileName));
    const msg = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (!d.file || !f) { problems.push(`${d.file?.fileName ?? "(program)"}: TS${d.code} ${msg}`); continue; }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const lineNo = line - f.offset + 1;
    const src = f.ex.code.split("\n")[lineNo - 1]?.trim() ?? "";
    problems.push(`${f.ex.where} (${f.ex.module}), line ${lineNo} \`${src}\`: TS${d.code} ${msg}`);
  }
  assert.deepEqual(problems, [], `examples that do not compile:\n${problems.join("\n")}`);
});

// ---- links of the guides ----------------------------------------------------------------------------------------

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/`/g, "").replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1])));
}

test("docs: every relative link of README.md and docs/*.md names an existing file and heading", () => {
  const pages = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  const broken: string[] = [];
  for (const page of pages) {
    const file = join(ROOT, page);
    const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split("#");
      const dest = path === "" ? file : resolve(dirname(file), path);
      if (!existsSync(dest)) { broken.push(`${page}: ${target}: no such file`); continue; }
      if (anchor && dest.endsWith(".md") && !anchors(dest).has(anchor)) broken.push(`${page}: ${target}: no such heading`);
    }
  }
  assert.deepEqual(broken, [], broken.join("\n"));
  for (const guide of ["getting-started", "models-and-formats", "performance", "architecture"]) {
    assert.ok(readFileSync(join(ROOT, "README.md"), "utf8").includes(`](docs/${guide}.md)`), `README.md links docs/${guide}.md`);
  }
});
