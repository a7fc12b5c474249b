// WGSL preprocessor used by scripts/embed-shaders.mjs (and unit-tested by test/shader-variants.test.ts). Pure: files
// are read through the `read` callback. Directives are whole-line comments, so a .wgsl file still reads as WGSL:
//   // #include lib/x.wgsl     the file's text, preprocessed with the same defines; each file at most once per kernel
//   // #if NAME   // #if !NAME   // #elif NAME   // #elif !NAME   // #else   // #endif     (nestable)
// Directive lines and the lines of inactive branches are dropped; every other line is kept byte for byte.
// Errors (unknown or malformed directive, unbalanced blocks, a NAME not in `declared`, a non-boolean define, an
// unreadable include) are thrown as WgslPreprocessError with "file:line: message".

export class WgslPreprocessError extends Error {
  constructor(file, line, message) {
    super(`${file}:${line}: ${message}`);
    this.name = "WgslPreprocessError";
    this.file = file;
    this.line = line;
  }
}

const DIRECTIVE = /^\s*\/\/ ?#(\w*)(.*)$/;
const NAME = /^(!?)([A-Za-z_]\w*)$/;

/**
 * Preprocess `file` (read with `read(file)`, which returns its text or throws).
 * @param {string} file  path as `// #include` names it (relative to the shader folder); used in error messages
 * @param {{ read: (file: string) => string, defines?: Record<string, boolean>, declared?: Iterable<string> }} options
 *   defines: NAME → on/off for this kernel; declared: every NAME any variant may set (default: the keys of defines)
 * @returns {{ code: string, used: Set<string> }} the WGSL, and every NAME tested by an #if/#elif (active or not)
 */
export function preprocess(file, { read, defines = {}, declared } = {}) {
  if (typeof read !== "function") throw new TypeError("preprocess: options.read(file) is required");
  for (const [name, on] of Object.entries(defines)) {
    if (typeof on !== "boolean") throw new TypeError(`preprocess: define ${name} is ${JSON.stringify(on)}; defines are true or false`);
  }
  const known = new Set(declared ?? Object.keys(defines));
  const used = new Set();
  const seen = new Set();
  const code = expand(file, { read, defines, known, used, seen }, null);
  return { code, used };
}

function expand(file, ctx, from) {
  if (ctx.seen.has(file)) return "";
  ctx.seen.add(file);
  let text;
  try {
    text = ctx.read(file);
  } catch (e) {
    if (from) throw new WgslPreprocessError(from.file, from.line, `cannot include ${file}: ${e.message}`);
    throw e;
  }
  // Each open block: `parent` (the enclosing block is active), `taken` (an earlier branch was taken), `on` (this
  // branch is active), `sawElse`, and `line` where the #if stands (for the unclosed-block error).
  const stack = [];
  const active = () => stack.length === 0 || stack[stack.length - 1].on;
  const test = (arg, line, directive) => {
    const m = NAME.exec(arg);
    if (!m) throw new WgslPreprocessError(file, line, `#${directive} needs NAME or !NAME, got '${arg}'`);
    const [, not, name] = m;
    if (!ctx.known.has(name)) {
      throw new WgslPreprocessError(file, line, `#${directive} ${name}: ${name} is not declared by any variant in scripts/embed-shaders.mjs`);
    }
    ctx.used.add(name);
    return (ctx.defines[name] === true) !== (not === "!");
  };
  const out = [];
  const lines = text.split("\n");
  lines.forEach((src, i) => {
    const line = i + 1;
    const d = DIRECTIVE.exec(src);
    if (!d) {
      if (active()) out.push(src);
      return;
    }
    const [, directive, rest] = d;
    const arg = rest.trim();
    const top = stack[stack.length - 1];
    switch (directive) {
      case "include": {
        if (!/^\S+$/.test(arg)) throw new WgslPreprocessError(file, line, `#include needs one path, got '${arg}'`);
        if (active()) out.push(expand(arg, ctx, { file, line }));
        return;
      }
      case "if": {
        const parent = active();
        const on = test(arg, line, "if") && parent;
        stack.push({ parent, taken: on, on, sawElse: false, line });
        return;
      }
      case "elif": {
        if (!top) throw new WgslPreprocessError(file, line, "#elif without #if");
        if (top.sawElse) throw new WgslPreprocessError(file, line, `#elif after #else (block opened at line ${top.line})`);
        const on = test(arg, line, "elif") && top.parent && !top.taken;
        top.on = on;
        top.taken ||= on;
        return;
      }
      case "else": {
        if (arg) throw new WgslPreprocessError(file, line, `#else takes no argument, got '${arg}'`);
        if (!top) throw new WgslPreprocessError(file, line, "#else without #if");
        if (top.sawElse) throw new WgslPreprocessError(file, line, `second #else (block opened at line ${top.line})`);
        top.sawElse = true;
        top.on = top.parent && !top.taken;
        top.taken = true;
        return;
      }
      case "endif": {
        if (arg) throw new WgslPreprocessError(file, line, `#endif takes no argument, got '${arg}'`);
        if (!top) throw new WgslPreprocessError(file, line, "#endif without #if");
        stack.pop();
        return;
      }
      default:
        throw new WgslPreprocessError(file, line, `unknown directive '#${directive}' (known: #include #if #elif #else #endif)`);
    }
  });
  if (stack.length) {
    const open = stack[stack.length - 1];
    throw new WgslPreprocessError(file, open.line, `#if without #endif (end of file at line ${lines.length})`);
  }
  return out.join("\n");
}
