// Runs the browser suite (@web/test-runner in headless Chromium). Without a Chromium binary it skips with a
// message — except under CI=true, where a missing browser is a failure (.ci/setup-webgpu.sh installs it).
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

const chromium = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
if (!existsSync(chromium)) {
  const why = `no Chromium at ${chromium} (apt-get install chromium, or: source .ci/setup-webgpu.sh)`;
  if (process.env.CI === "true") { console.error(`test:browser: ${why}`); process.exit(1); }
  console.log(`test:browser: skipped: ${why}`);
  process.exit(0);
}
const r = spawnSync("npx", ["wtr", "--config", "web-test-runner.config.mjs"], { stdio: "inherit" });
process.exit(r.status ?? 1);
