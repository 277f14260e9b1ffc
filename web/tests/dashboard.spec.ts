// A salesperson's morning look at the dashboard: the open pipeline
// weighted, the win rate and overdue work as figures, a chart per report
// with its numbers as a table, and the colleague filter narrowing every
// chart (another salesperson's deals are none of theirs to see).
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";

import { ROVING, SELLER } from "./global-setup";

const base = () => process.env.KARTON_WEB_URL!;

test("the dashboard's figures and charts, and the colleague filter", async ({ page }) => {
  await page.goto(`${base()}/`);
  await page.getByLabel("E-mail-cím").fill(SELLER.email);
  await page.getByLabel("Jelszó").fill(SELLER.password);
  await page.getByRole("button", { name: "Belépés" }).click();
  await page.getByRole("link", { name: "Irányítópult" }).click();
  await expect(page.getByRole("heading", { name: "Irányítópult" })).toBeVisible();

  const dashboard = page.locator("karton-dashboard");
  await expect(dashboard.locator(".figures")).toContainText("Nyitott tölcsér, súlyozva");
  await expect(dashboard.locator(".figures")).toContainText(/[1-9]\d* nyitott üzlet/);
  // The pipeline chart is drawn (Chart.js arrives with it) and labelled.
  const pipelineChart = dashboard.getByRole("img", { name: /^Tölcsér szakaszonként:/ });
  await expect(pipelineChart).toBeVisible();
  await expect(pipelineChart).toHaveAttribute("aria-label", /Várható bevétel [1-9]/);
  const pipelineCard = dashboard.locator("section").filter({ has: page.getByRole("heading", { name: "Tölcsér szakaszonként" }) });
  await pipelineCard.getByText("Táblázatként").click();
  await expect(pipelineCard.locator("tbody")).toContainText(/1\s250\s000\sFt/);
  // The chart's canvas has pixels on it: Chart.js drew, not just loaded.
  const drawn = await pipelineChart.evaluate((canvas) => {
    const context = (canvas as HTMLCanvasElement).getContext("2d")!;
    const { width, height } = canvas as HTMLCanvasElement;
    return context.getImageData(0, 0, width, height).data.some((value) => value !== 0);
  });
  expect(drawn).toBe(true);
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  // Only another colleague's work: none of it is this salesperson's.
  await page.getByLabel("Kolléga").selectOption({ label: ROVING.name });
  await page.getByRole("button", { name: "Frissítés" }).click();
  await expect(dashboard.locator(".figures")).toContainText("0 nyitott üzlet");
  await expect(pipelineCard).toContainText("Ebben az időszakban nincs adat.");
});
