// A support agent's queue: the open ticket with its priority and SLA, its
// page with the customer's description, an internal note, and the moves
// to "waiting on the customer" and back, then resolved (out of the open
// list).
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";

import { AGENT } from "./global-setup";

const base = () => process.env.KARTON_WEB_URL!;

test("work a ticket from the queue to resolved", async ({ page }) => {
  await page.goto(`${base()}/`);
  await page.getByLabel("E-mail-cím").fill(AGENT.email);
  await page.getByLabel("Jelszó").fill(AGENT.password);
  await page.getByRole("button", { name: "Belépés" }).click();
  await page.getByRole("link", { name: "Hibajegyek" }).click();
  await expect(page.getByRole("heading", { name: "Hibajegyek" })).toBeVisible();
  const row = page.locator("karton-ticket-list tbody tr").filter({ hasText: "Nem indul a kazán" });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Magas");
  await expect(row).toContainText("Kovács Ödön");
  const axe = async () => {
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  };
  await axe();

  // The customer's card shows the open ticket in the helpdesk's section,
  // its number a link to the ticket.
  await page.getByRole("link", { name: "Partnerek" }).click();
  await page.getByRole("link", { name: "Kovács és Társa Kft." }).click();
  const section = page.getByRole("region", { name: "Hibajegyek" });
  await expect(section).toContainText("Nem indul a kazán");
  await expect(section).toContainText("Új");
  await page.getByRole("link", { name: "Hibajegyek", exact: true }).click();

  await row.getByRole("link").click();
  await expect(page.getByRole("heading", { name: /Nem indul a kazán/ })).toBeVisible();
  await expect(page.getByText("Reggel óta E04-es hibakódot mutat.")).toBeVisible();
  await page.getByLabel("Új megjegyzés").fill("Szerelő egyeztetve holnap 9-re.");
  await page.getByRole("button", { name: "Hozzáadás" }).click();
  await expect(page.getByRole("status")).toHaveText("A megjegyzés a jegyre került.");
  await expect(page.locator("ol.plain")).toContainText("Belső megjegyzés");
  await expect(page.locator("ol.plain")).toContainText("Szerelő egyeztetve holnap 9-re.");
  await axe();

  await page.getByRole("button", { name: "Állapot: Ügyfélre vár" }).click();
  await expect(page.getByRole("status")).toHaveText("Az új állapot: Ügyfélre vár");
  await page.getByRole("button", { name: "Állapot: Folyamatban" }).click();
  await expect(page.getByRole("status")).toHaveText("Az új állapot: Folyamatban");
  await page.getByRole("button", { name: "Állapot: Megoldva" }).click();
  await expect(page.getByRole("status")).toHaveText("Az új állapot: Megoldva");

  // Resolved: out of the open list, in the full one.
  await page.getByRole("link", { name: "Hibajegyek" }).click();
  await expect(page.getByText("Nincs hibajegy.")).toBeVisible();
  await expect(row).toHaveCount(0);
  await page.getByLabel("Csak a nyitottak").uncheck();
  await expect(row).toContainText("Megoldva");
});
