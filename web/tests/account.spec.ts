// A salesperson signed in on two devices ends the other session from the
// account page, and changes the password (a wrong current one and a typo
// in the repeat are refused and said so).
import AxeBuilder from "@axe-core/playwright";
import { type Page, expect, test } from "@playwright/test";

import { ROVING } from "./global-setup";

const base = () => process.env.KARTON_WEB_URL!;

async function signIn(page: Page, password: string) {
  await page.goto(`${base()}/`);
  await page.getByLabel("E-mail-cím").fill(ROVING.email);
  await page.getByLabel("Jelszó").fill(password);
  await page.getByRole("button", { name: "Belépés" }).click();
  await expect(page.getByRole("link", { name: ROVING.name })).toBeVisible();
}

test("end the other device's session, then change the password", async ({ page, browser }) => {
  const otherDevice = await browser.newPage();
  await signIn(otherDevice, ROVING.password);
  await signIn(page, ROVING.password);

  await page.getByRole("link", { name: ROVING.name }).click();
  await expect(page.getByRole("heading", { name: "Bejelentkezéseim" })).toBeVisible();
  const rows = page.locator("karton-my-account tbody tr");
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: "Ez a böngésző" })).toHaveCount(1);
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  await page.getByRole("button", { name: /^Kijelentkeztetés/ }).click();
  await expect(page.getByRole("status")).toHaveText("A bejelentkezés megszűnt.");
  await expect(rows).toHaveCount(1);
  // The other device is signed out for good.
  await otherDevice.reload();
  await expect(otherDevice.getByRole("button", { name: "Belépés" })).toBeVisible();

  // A new password: the current one is checked, the repeat must match.
  await page.getByLabel("Jelenlegi jelszó").fill("nem-ez-volt-az");
  await page.getByLabel("Új jelszó", { exact: true }).fill("Tél-jön-2026-dec");
  await page.getByLabel("Új jelszó még egyszer").fill("Tél-jön-2026-dec");
  await page.getByRole("button", { name: "Jelszó mentése" }).click();
  await expect(page.getByRole("alert")).toContainText("current_password");
  await page.getByLabel("Jelenlegi jelszó").fill(ROVING.password);
  await page.getByLabel("Új jelszó még egyszer").fill("Tél-jön-2026-dex");
  await page.getByRole("button", { name: "Jelszó mentése" }).click();
  await expect(page.getByRole("alert")).toHaveText("A két új jelszó nem egyezik.");
  await page.getByLabel("Új jelszó még egyszer").fill("Tél-jön-2026-dec");
  await page.getByRole("button", { name: "Jelszó mentése" }).click();
  await expect(page.getByRole("status")).toHaveText("Az új jelszó érvényes.");

  await page.getByRole("button", { name: "Kijelentkezés" }).click();
  await signIn(page, "Tél-jön-2026-dec");
});
