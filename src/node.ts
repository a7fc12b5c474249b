// Node entry: the same API as the isomorphic entry (local directories and the on-disk cache are
// reached through lazy `node:` imports, so nothing differs at import time today).
export * from "./index.js";
