// The phone layout: 375 px wide, nothing wider than the screen except the
// tables, which scroll inside their own box. Every page of the menu.
import { type Page, expect, test } from "@playwright/test";

import { AGENT, SELLER } from "./global-setup";

async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto(`${process.env.KARTON_WEB_URL}/`);
  await page.getByLabel("E-mail-cím").fill(who.email);
  await page.getByLabel("Jelszó").fill(who.password);
  await page.getByRole("button", { name: "Belépés" }).click();
  await expect(page.getByRole("heading", { name: "Partnerek" })).toBeVisible();
}

const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test("the partner pages fit a 375 px phone", async ({ page }) => {
  await signIn(page, SELLER);
  expect(await overflow(page)).toBeLessThanOrEqual(0);
  await page.getByRole("link", { name: "Kovács és Társa Kft." }).click();
  await expect(page.getByRole("heading", { name: "Kovács és Társa Kft.", level: 1 })).toBeVisible();
  expect(await overflow(page)).toBeLessThanOrEqual(0);
});

test("every other page fits a 375 px phone too", async ({ page }) => {
  await signIn(page, SELLER);
  for (const [link, heading] of [
    ["Érdeklődők", "Érdeklődők"],
    ["Értékesítési tölcsér", "Értékesítési tölcsér"],
    ["Naptár", "Naptár"],
    ["Ajánlatok, rendelések", "Árajánlatok"],
    ["Számlák", "Számlák"],
    ["Kimutatások", "Kimutatások"],
    ["Irányítópult", "Irányítópult"],
    ["Tudástár", "Tudástár"],
    [SELLER.name, "Bejelentkezéseim"],
  ]) {
    await page.getByRole("link", { name: link, exact: true }).click();
    await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
    expect(await overflow(page), link).toBeLessThanOrEqual(0);
  }
  await page.getByRole("button", { name: "Kijelentkezés" }).click();
  await signIn(page, AGENT);
  await page.getByRole("link", { name: "Hibajegyek", exact: true }).click();
  await page.getByLabel("Csak a nyitottak").uncheck();
  await page.locator("karton-ticket-list tbody a").first().click();
  await expect(page.getByRole("heading", { name: /Nem indul a kazán/, level: 1 })).toBeVisible();
  expect(await overflow(page)).toBeLessThanOrEqual(0);
});
