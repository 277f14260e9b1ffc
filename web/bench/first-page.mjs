// bench/run's scenario 12: the web client's first page with a cold cache.
// Opens <base>/app/ in a fresh browser context (nothing cached) `runs`
// times in Debian's Chromium and prints, as bench/run's other scenarios do,
// one line: the median and the slowest time until the sign-in form is
// shown, the load event's median, and the JavaScript the page fetched
// (bytes on the wire, compressed, and decoded).
//
//   node bench/first-page.mjs http://127.0.0.1:8080 [runs]
import { chromium } from "@playwright/test";

const [base, runsText] = process.argv.slice(2);
const runs = Number(runsText ?? 5);
const browser = await chromium.launch({
  executablePath: process.env.KARTON_CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const shown = [];
const loaded = [];
let wireBytes = 0;
let decodedBytes = 0;
for (let run = 0; run < runs; run++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const started = Date.now();
  await page.goto(`${base}/app/`);
  await page.locator("karton-sign-in input#email").waitFor();
  shown.push(Date.now() - started);
  const timing = await page.evaluate(() => {
    const navigation = performance.getEntriesByType("navigation")[0];
    const scripts = performance.getEntriesByType("resource").filter((r) => r.initiatorType === "script");
    return {
      load: navigation.loadEventEnd - navigation.startTime,
      wire: scripts.reduce((sum, r) => sum + r.encodedBodySize, 0),
      decoded: scripts.reduce((sum, r) => sum + r.decodedBodySize, 0),
    };
  });
  loaded.push(timing.load);
  wireBytes = timing.wire;
  decodedBytes = timing.decoded;
  await context.close();
}
await browser.close();
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `scenario=web_first_page runs=${runs} shown_median_ms=${median(shown)} shown_max_ms=${Math.max(...shown)} ` +
    `load_median_ms=${Math.round(median(loaded))} js_wire_bytes=${wireBytes} js_decoded_bytes=${decodedBytes}`,
);
