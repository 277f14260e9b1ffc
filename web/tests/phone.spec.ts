// The phone layout: 375 px wide, nothing wider than the screen except the
// tables, which scroll inside their own box.
import { expect, test } from "@playwright/test";

import { SELLER } from "./global-setup";

test("the partner pages fit a 375 px phone", async ({ page }) => {
  await page.goto(`${process.env.KARTON_WEB_URL}/`);
  await page.getByLabel("E-mail-cím").fill(SELLER.email);
  await page.getByLabel("Jelszó").fill(SELLER.password);
  await page.getByRole("button", { name: "Belépés" }).click();
  await expect(page.getByRole("heading", { name: "Partnerek" })).toBeVisible();
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(await overflow()).toBeLessThanOrEqual(0);
  await page.getByRole("link", { name: "Kovács és Társa Kft." }).click();
  await expect(page.getByRole("heading", { name: "Kovács és Társa Kft.", level: 1 })).toBeVisible();
  expect(await overflow()).toBeLessThanOrEqual(0);
});
