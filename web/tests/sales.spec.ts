// A salesperson's quotations and orders: the customer accepts the
// quotation by phone, its order opens, and it is confirmed, shipped,
// delivered and completed from the same page.
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";

import { SELLER } from "./global-setup";

const base = () => process.env.KARTON_WEB_URL!;

test("accept a quotation and take its order to completed", async ({ page }) => {
  await page.goto(`${base()}/`);
  await page.getByLabel("E-mail-cím").fill(SELLER.email);
  await page.getByLabel("Jelszó").fill(SELLER.password);
  await page.getByRole("button", { name: "Belépés" }).click();
  await page.getByRole("link", { name: "Ajánlatok, rendelések" }).click();
  await expect(page.getByRole("heading", { name: "Árajánlatok" })).toBeVisible();

  const quotation = page.locator("section", { has: page.getByRole("heading", { name: "Árajánlatok" }) }).locator("tbody tr");
  await expect(quotation).toHaveCount(1);
  await expect(quotation).toContainText("Kovács és Társa Kft.");
  await expect(quotation).toContainText("Piszkozat");
  // 984 252 Ft net at 27 % VAT.
  await expect(quotation).toContainText(/1\s250\s000\sFt/);
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  await quotation.getByRole("button", { name: /elfogadva$/ }).click();
  await expect(page.getByRole("status")).toContainText("a rendelés elkészült");
  await expect(quotation).toContainText("Elfogadva");
  const order = page.locator("section", { has: page.getByRole("heading", { name: "Rendelések" }) }).locator("tbody tr");
  await expect(order).toHaveCount(1);
  await expect(order).toContainText(/1\s250\s000\sFt/);
  for (const [move, state] of [
    ["Visszaigazolás", "Visszaigazolva"],
    ["Kiszállítás", "Kiszállítás alatt"],
    ["Kiszállítva", "Kiszállítva"],
    ["Teljesítés", "Teljesítve"],
  ]) {
    await order.getByRole("button", { name: new RegExp(`^${move}:`) }).click();
    await expect(order.locator("td").nth(2)).toHaveText(state);
  }
  await expect(order.getByRole("button")).toHaveCount(0);
});
