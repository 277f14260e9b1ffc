// The leads inbox: the team's new leads and one's own; take one, qualify
// one (its partner is found by name, a deal opens), disqualify one with a
// reason. Each leaves the inbox or changes in place, and stays so.
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";

import { SELLER } from "./global-setup";

test("assign, qualify and disqualify leads", async ({ page }) => {
  await page.goto(`${process.env.KARTON_WEB_URL}/`);
  await page.getByLabel("E-mail-cím").fill(SELLER.email);
  await page.getByLabel("Jelszó").fill(SELLER.password);
  await page.getByRole("button", { name: "Belépés" }).click();
  await page.getByRole("link", { name: "Érdeklődők" }).click();

  const lead = (title: string) => page.getByRole("listitem", { name: title });
  await expect(page.locator("li.lead")).toHaveCount(3);
  await expect(lead("Kazán karbantartás")).toContainText("Önhöz rendelve");
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);

  await lead("Napelem ajánlatkérés").getByRole("button", { name: "Átveszem" }).click();
  await expect(page.getByRole("status")).toHaveText("„Napelem ajánlatkérés” Önhöz került.");
  await expect(lead("Napelem ajánlatkérés")).toContainText("Önhöz rendelve");

  await lead("Kazán karbantartás").getByRole("button", { name: "Minősítés" }).click();
  await expect(page.getByRole("status")).toContainText("minősítve");
  await expect(lead("Kazán karbantartás")).toHaveCount(0);

  await lead("Hírlevél-feliratkozás").getByRole("button", { name: "Elutasítás" }).click();
  await page.getByLabel("Az elutasítás oka").fill("Nem vásárló, csak hírlevelet kér");
  await lead("Hírlevél-feliratkozás").getByRole("button", { name: "Elutasítás megerősítése" }).click();
  await expect(lead("Hírlevél-feliratkozás")).toHaveCount(0);

  // The server has it so: after a reload one lead is left, and it is theirs.
  await page.reload();
  await expect(page.locator("li.lead")).toHaveCount(1);
  await expect(lead("Napelem ajánlatkérés")).toContainText("Önhöz rendelve");
});
