// The pipeline board: a deal without a next step is marked; dragging it to
// the next stage asks for the next task in the same gesture (the pipeline
// requires one), and both are saved together; with a task planned, the
// keyboard's "Move to" list moves it without asking.
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";

import { SELLER } from "./global-setup";

test("drag a deal to the next stage, giving its next step", async ({ page }) => {
  await page.goto(`${process.env.KARTON_WEB_URL}/`);
  await page.getByLabel("E-mail-cím").fill(SELLER.email);
  await page.getByLabel("Jelszó").fill(SELLER.password);
  await page.getByRole("button", { name: "Belépés" }).click();
  await page.getByRole("link", { name: "Értékesítési tölcsér" }).click();

  const column = (name: string) => page.getByRole("region", { name });
  const deal = page.locator("li.deal", { hasText: "Kazáncsere" });
  await expect(column("Új").locator("li.deal")).toHaveCount(1);
  await expect(deal).toContainText("Kovács és Társa Kft.");
  await expect(deal).toContainText(/1\s250\s000\sFt/);
  await expect(deal).toContainText("Nincs következő lépés");
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);

  await deal.dragTo(column("Ajánlat"));
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("Kazáncsere → Ajánlat");
  // Nothing moved yet.
  await expect(column("Új").locator("li.deal")).toHaveCount(1);
  await dialog.getByLabel("Teendő").fill("Ajánlat elküldése");
  await dialog.getByRole("button", { name: "Áthelyezés a teendővel" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(column("Ajánlat").locator("li.deal")).toHaveCount(1);
  await expect(deal).not.toContainText("Nincs következő lépés");

  // The task is planned now: the keyboard way moves it at once.
  await page.getByLabel("Áthelyezés ide: Kazáncsere").selectOption({ label: "Tárgyalás" });
  await expect(column("Tárgyalás").locator("li.deal")).toHaveCount(1);
  await expect(page.getByRole("dialog")).toHaveCount(0);

  // Saved on the server: a reload shows the same.
  await page.reload();
  await expect(column("Tárgyalás").locator("li.deal")).toHaveCount(1);
  await expect(page.locator("li.deal", { hasText: "Kazáncsere" })).not.toContainText("Nincs következő lépés");
});
