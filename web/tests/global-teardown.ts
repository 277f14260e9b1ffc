// Stops the kartond global-setup.ts started (SIGTERM: it drains and stops
// its embedded PostgreSQL) and removes its directory.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

export default async function globalTeardown() {
  const dataDir = process.env.KARTON_TEST_DATA_DIR;
  if (!dataDir) return;
  const pid = Number(readFileSync(join(dataDir, "kartond.pid"), "utf8"));
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  for (let waited = 0; waited < 30_000; waited += 200) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await new Promise((resume) => setTimeout(resume, 200));
  }
  rmSync(dataDir, { recursive: true, force: true });
}
