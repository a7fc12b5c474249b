// BufferId: the opaque handle of a buffer owned by one backend (its own file so spec.ts and backend.ts both sit above it).

/**
 * Opaque handle to a buffer owned by one backend.
 * @category Backends
 */
export type BufferId = number & {
  /** A type-only brand: a plain number is not a BufferId. */
  readonly __buffer: unique symbol;
};
