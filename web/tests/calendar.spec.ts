// The calendar: plan a task for today and see it in this week's view, mark
// it done, switch to the day view; get the feed link to subscribe to.
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";

import { SELLER } from "./global-setup";

test("plan an activity, see it in the week, complete it, get the feed", async ({ page }) => {
  await page.goto(`${process.env.KARTON_WEB_URL}/`);
  await page.getByLabel("E-mail-cím").fill(SELLER.email);
  await page.getByLabel("Jelszó").fill(SELLER.password);
  await page.getByRole("button", { name: "Belépés" }).click();
  await page.getByRole("link", { name: "Naptár" }).click();
  await expect(page.locator("section.day")).toHaveCount(7);

  await page.getByLabel("Típus").selectOption({ label: "Teendő" });
  await page.getByLabel("Tárgy").fill("Árajánlat összeállítása");
  await page.getByLabel("Időpont").fill("10:00");
  await page.getByRole("button", { name: "Felvétel" }).click();
  const task = page.getByRole("listitem", { name: "Árajánlat összeállítása" });
  await expect(task).toContainText("10:00");
  await expect(task).toContainText("Teendő");
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);

  await task.getByRole("button", { name: "Kész" }).click();
  await expect(task).toContainText("elvégezve");

  await page.getByRole("button", { name: "Nap", exact: true }).click();
  await expect(page.locator("section.day")).toHaveCount(1);
  await expect(task).toBeVisible();

  await page.getByRole("button", { name: "Új előfizetési cím" }).click();
  await expect(page.getByLabel("Előfizetési cím")).toHaveValue(/\/calendar\/[^/]+\.ics$/);
});
