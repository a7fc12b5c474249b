// Typed errors: every failure a user can cause names the file, tensor, op, shape or position involved.

/**
 * Base class of every error germ-js throws on purpose. `code` is stable for programmatic checks; the message names
 * the file, tensor, op, shape or position at fault.
 * @category Errors
 * @example
 * try {
 *   await GermModel.fromPretrained("./no-such-model");
 * } catch (e) {
 *   if (e instanceof InputError) console.error(e.code, e.message); // "E_INPUT", "openSource: no such model …"
 *   else throw e;
 * }
 */
export class GermError extends Error {
  constructor(
    /** Stable machine-readable code ("E_SHAPE", "E_FORMAT", …), one per subclass. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A tensor or argument has the wrong shape (`op: tensor [dims]: what was expected`). `code` "E_SHAPE".
 * @category Errors
 */
export class ShapeError extends GermError {
  constructor(message: string) { super("E_SHAPE", message); }
}

/**
 * A file (checkpoint, tokenizer, config, FASTA…) is malformed or truncated. `code` "E_FORMAT".
 * @category Errors
 */
export class FormatError extends GermError {
  constructor(message: string) { super("E_FORMAT", message); }
}

/**
 * A pickle referenced a global outside the whitelist; nothing was executed. `code` "E_UNSAFE_PICKLE".
 * @category Errors
 */
export class UnsafePickleError extends GermError {
  constructor(message: string) { super("E_UNSAFE_PICKLE", message); }
}

/**
 * A weight the requested computation needs is absent from the checkpoint. `code` "E_MISSING_TENSOR".
 * @category Errors
 */
export class MissingTensorError extends GermError {
  constructor(message: string) { super("E_MISSING_TENSOR", message); }
}

/**
 * The caller passed something unusable (empty batch, non-string, bad option). `code` "E_INPUT".
 * @category Errors
 */
export class InputError extends GermError {
  constructor(message: string) { super("E_INPUT", message); }
}

/**
 * config.json is inconsistent with itself or with the weights. `code` "E_CONFIG".
 * @category Errors
 */
export class ConfigError extends GermError {
  constructor(message: string) { super("E_CONFIG", message); }
}

/**
 * A backend cannot run (no adapter, device lost, out of memory, op unsupported). `code` "E_BACKEND".
 * @category Errors
 */
export class BackendError extends GermError {
  constructor(message: string) { super("E_BACKEND", message); }
}

/**
 * Network / cache failure while fetching a model. `code` "E_FETCH".
 * @category Errors
 */
export class FetchError extends GermError {
  constructor(message: string) { super("E_FETCH", message); }
}
