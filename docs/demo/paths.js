// Where the page and its worker find the built library: /dist/ at the site root, as scripts/demo.mjs serves it.
// Hosting elsewhere (a subpath, a CDN copy of dist/)? Change this one line.
export const DIST = new URL("/dist/", self.location.href).href;
