// Typed errors: every failure a user can cause names the file, tensor, op, shape or position involved.

/** Base class of every error germ-js throws on purpose. `code` is stable for programmatic checks. */
export class GermError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A tensor or argument has the wrong shape (`op: tensor [dims]: what was expected`). */
export class ShapeError extends GermError {
  constructor(message: string) { super("E_SHAPE", message); }
}

/** A file (checkpoint, tokenizer, config, FASTA…) is malformed or truncated. */
export class FormatError extends GermError {
  constructor(message: string) { super("E_FORMAT", message); }
}

/** A pickle referenced a global outside the whitelist; nothing was executed. */
export class UnsafePickleError extends GermError {
  constructor(message: string) { super("E_UNSAFE_PICKLE", message); }
}

/** A weight the requested computation needs is absent from the checkpoint. */
export class MissingTensorError extends GermError {
  constructor(message: string) { super("E_MISSING_TENSOR", message); }
}

/** The caller passed something unusable (empty batch, non-string, bad option). */
export class InputError extends GermError {
  constructor(message: string) { super("E_INPUT", message); }
}

/** config.json is inconsistent with itself or with the weights. */
export class ConfigError extends GermError {
  constructor(message: string) { super("E_CONFIG", message); }
}

/** A backend cannot run (no adapter, device lost, out of memory, op unsupported). */
export class BackendError extends GermError {
  constructor(message: string) { super("E_BACKEND", message); }
}

/** Network / cache failure while fetching a model. */
export class FetchError extends GermError {
  constructor(message: string) { super("E_FETCH", message); }
}
