// The web client's browser tests (docs/web.md, "Tests"): Debian's Chromium,
// driven by Playwright, against a real kartond that tests/global-setup.ts
// starts on its own embedded PostgreSQL. Nothing is downloaded: the browser
// is /usr/bin/chromium (tools/setup installs it).
import { defineConfig, devices } from "@playwright/test";

const chromium = {
  executablePath: process.env.KARTON_CHROMIUM ?? "/usr/bin/chromium",
  // As root Chromium needs --no-sandbox; the rest keep it off the network
  // (this machine's is closed) and quick to start.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

// `npm run screenshots` runs screenshots/ instead of tests/, on both projects.
const screenshots = process.env.KARTON_WEB_TEST_DIR === "screenshots";

export default defineConfig({
  testDir: process.env.KARTON_WEB_TEST_DIR ?? "tests",
  outputDir: process.env.KARTON_WEB_TEST_OUT ?? "test-results",
  globalSetup: "./tests/global-setup.ts",
  globalTeardown: "./tests/global-teardown.ts",
  // One kartond, one browser at a time: two cores.
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  timeout: 60_000,
  expect: { timeout: 15_000 },
  use: { launchOptions: chromium, trace: "off" },
  projects: [
    {
      name: "desktop",
      use: { viewport: { width: 1280, height: 800 } },
      testIgnore: screenshots ? [] : /phone\.spec\.ts/,
    },
    {
      name: "phone",
      use: { ...devices["Pixel 5"], viewport: { width: 375, height: 740 }, launchOptions: chromium },
      testMatch: screenshots ? /\.spec\.ts$/ : /phone\.spec\.ts/,
    },
  ],
});
