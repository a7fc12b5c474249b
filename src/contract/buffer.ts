// BufferId: the opaque handle of a buffer owned by one backend (its own file so spec.ts and backend.ts both sit above it).

/** Opaque handle to a buffer owned by one backend. */
export type BufferId = number & { readonly __buffer: unique symbol };
