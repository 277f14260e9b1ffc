// Screenshots of the main pages, desktop and phone, for docs/web.md:
// `npm run screenshots` (web/) writes them to docs/screenshots/. Not a
// test: it checks nothing the tests do not.
import { expect, test } from "@playwright/test";

import { ACCOUNTANT, AGENT, SELLER } from "../tests/global-setup";

const out = (name: string) => `../docs/screenshots/${name}-${test.info().project.name}.png`;

test("main pages", async ({ page }) => {
  await page.goto(`${process.env.KARTON_WEB_URL}/`);
  await expect(page.getByRole("heading", { name: "Bejelentkezés" })).toBeVisible();
  await page.screenshot({ path: out("sign-in") });
  await page.getByLabel("E-mail-cím").fill(SELLER.email);
  await page.getByLabel("Jelszó").fill(SELLER.password);
  await page.getByRole("button", { name: "Belépés" }).click();
  await expect(page.locator("karton-partner-list tbody tr")).toHaveCount(4);
  await page.screenshot({ path: out("partners"), fullPage: true });
  await page.getByRole("link", { name: "Kovács és Társa Kft." }).click();
  await expect(page.getByRole("cell", { name: "Kovács Ödön" })).toBeVisible();
  await page.screenshot({ path: out("partner-card"), fullPage: true });
  await page.getByRole("link", { name: "Érdeklődők" }).click();
  await expect(page.locator("li.lead")).toHaveCount(3);
  await page.screenshot({ path: out("leads"), fullPage: true });
  await page.getByRole("link", { name: "Naptár" }).click();
  await page.getByLabel("Tárgy").fill("Bemutató a Kovács és Társánál");
  await page.getByRole("button", { name: "Felvétel" }).click();
  await expect(page.getByRole("listitem", { name: "Bemutató a Kovács és Társánál" })).toBeVisible();
  await page.screenshot({ path: out("calendar"), fullPage: true });
  await page.getByRole("link", { name: "Értékesítési tölcsér" }).click();
  await expect(page.locator("li.deal")).toHaveCount(1);
  await page.screenshot({ path: out("pipeline"), fullPage: true });
  await page.getByRole("link", { name: "Ajánlatok, rendelések" }).click();
  await expect(page.getByText("Kovács és Társa Kft.").first()).toBeVisible();
  await page.screenshot({ path: out("sales"), fullPage: true });
  await page.getByRole("link", { name: "Kimutatások" }).click();
  await page.getByRole("button", { name: "Futtatás" }).click();
  await expect(page.getByRole("columnheader", { name: "Várható bevétel" })).toBeVisible();
  await page.screenshot({ path: out("reports"), fullPage: true });
  await page.getByRole("link", { name: "Irányítópult" }).click();
  await expect(page.getByRole("img", { name: /^Tölcsér szakaszonként:/ })).toBeVisible();
  await page.screenshot({ path: out("dashboard"), fullPage: true });
  await page.getByRole("link", { name: SELLER.name }).click();
  await expect(page.getByText("Ez a böngésző")).toBeVisible();
  await page.screenshot({ path: out("account"), fullPage: true });

  for (const [who, link, name] of [
    [AGENT, "Hibajegyek", "tickets"],
    [ACCOUNTANT, "Számlák", "invoices"],
  ] as const) {
    await page.getByRole("button", { name: "Kijelentkezés" }).click();
    await page.getByLabel("E-mail-cím").fill(who.email);
    await page.getByLabel("Jelszó").fill(who.password);
    await page.getByRole("button", { name: "Belépés" }).click();
    await page.getByRole("link", { name: link, exact: true }).click();
    await expect(page.getByText("Kovács").first()).toBeVisible();
    await page.screenshot({ path: out(name), fullPage: true });
    if (name === "tickets") {
      await page.locator("karton-ticket-list tbody a").first().click();
      await expect(page.getByRole("heading", { name: /Nem indul a kazán/ })).toBeVisible();
      await page.screenshot({ path: out("ticket"), fullPage: true });
      await page.getByRole("link", { name: "Tudástár" }).click();
      await page.getByLabel("Keresés a cikkekben").fill("nyomtatót");
      await page.getByRole("button", { name: "Keresés", exact: true }).click();
      await expect(page.locator("karton-knowledge-base mark").first()).toBeVisible();
      await page.screenshot({ path: out("knowledge-base"), fullPage: true });
    }
  }
});
