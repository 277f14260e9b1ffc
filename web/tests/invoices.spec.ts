// An accountant's list: the issued invoice with its buyer and amounts, the
// "open only" filter, and the invoice's PDF from kartond, shown in place.
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";

import { ACCOUNTANT } from "./global-setup";

const base = () => process.env.KARTON_WEB_URL!;

test("the invoices list, open only, and an invoice's PDF", async ({ page }) => {
  await page.goto(`${base()}/`);
  await page.getByLabel("E-mail-cím").fill(ACCOUNTANT.email);
  await page.getByLabel("Jelszó").fill(ACCOUNTANT.password);
  await page.getByRole("button", { name: "Belépés" }).click();
  await page.getByRole("link", { name: "Számlák" }).click();
  await expect(page.getByRole("heading", { name: "Számlák" })).toBeVisible();

  const row = page.locator("karton-invoice-list tbody tr").filter({ hasText: "Kovács és Társa" });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(/123\s190\sFt/);
  await expect(row).toContainText("Nyitott");
  await page.getByLabel("Csak a nyitottak").check();
  await expect(row).toHaveCount(1);
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  // The number is the PDF's link: a real PDF, to be shown in the browser.
  const link = row.getByRole("link").first();
  const number = (await link.textContent())!.trim();
  expect(number).not.toBe("");
  const pdf = await page.request.get(`${base()}${await link.getAttribute("href")}`);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()["content-type"]).toBe("application/pdf");
  expect(pdf.headers()["content-disposition"]).toMatch(/^inline; /);
  expect((await pdf.body()).subarray(0, 5).toString()).toBe("%PDF-");
});
