// A salesperson's first minutes: signs in, finds a partner by a fragment
// typed without accents, opens the card; switches the language; signs out.
// The pages have no serious or critical accessibility violation (axe).
import AxeBuilder from "@axe-core/playwright";
import { type Page, expect, test } from "@playwright/test";

import { SELLER } from "./global-setup";

const base = () => process.env.KARTON_WEB_URL!;

async function signIn(page: Page, password = SELLER.password) {
  await page.goto(`${base()}/`);
  await page.getByLabel("E-mail-cím").fill(SELLER.email);
  await page.getByLabel("Jelszó").fill(password);
  await page.getByRole("button", { name: "Belépés" }).click();
}

async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
}

test("a wrong password is refused and said so", async ({ page }) => {
  await signIn(page, "nem-ez-az-1");
  await expect(page.getByRole("alert")).toHaveText("Hibás e-mail-cím vagy jelszó.");
  await expectAccessible(page);
});

test("sign in, find a partner without accents, open the card", async ({ page }) => {
  await signIn(page);
  await expect(page.getByText(SELLER.name)).toBeVisible();
  await expect(page.getByRole("heading", { name: "Partnerek" })).toBeVisible();
  // Hungarian name order: Á with A, Ö after O (other tests may have added
  // partners: only these four are compared).
  const names = page.locator("karton-partner-list tbody tr td:first-child");
  const seeded = ["Ábel Szerviz Kft.", "Kovács és Társa Kft.", "Öntöző Rendszerek Zrt.", "Zöld Kert Bt."];
  await expect(names.first()).toBeVisible();
  expect((await names.allTextContents()).filter((name) => seeded.includes(name))).toEqual(seeded);
  await expectAccessible(page);

  await page.getByLabel(/Keresés/).fill("kovacs");
  await expect(names).toHaveText(["Kovács és Társa Kft."]);
  await page.getByRole("link", { name: "Kovács és Társa Kft." }).click();
  await expect(page.getByRole("heading", { name: "Kovács és Társa Kft.", level: 1 })).toBeVisible();
  await expect(page.getByText("6720 Szeged, Kárász utca 5.")).toBeVisible();
  await expect(page.getByRole("cell", { name: "Kovács Ödön" })).toBeVisible();
  // The CRM's part of the card: the salesperson's deal with its value.
  await expect(page.getByText(/Üzlet: Kazáncsere\s+1\s250\s000\sFt/)).toBeVisible();
  await expectAccessible(page);

  // A call logged from the card lands on its timeline.
  await page.getByLabel("Tárgy").fill("Visszahívás: kazáncsere időpontja");
  await page.getByLabel("Jegyzet").fill("Jövő kedden jöhetünk felmérni.");
  await page.getByRole("button", { name: "Naplózás" }).click();
  await expect(page.getByRole("status").filter({ hasText: "hívás" })).toHaveText("A hívás az idővonalra került.");
  await expect(page.locator("ol.timeline")).toContainText("Visszahívás: kazáncsere időpontja");

  // A document uploaded from the card (the /files bridge) is listed, and
  // its link gives back the same bytes, named as uploaded.
  const offer = "Kazáncsere: 1 250 000 Ft\n";
  await page.getByLabel("Fájl feltöltése").setInputFiles({
    name: "árajánlat-kazán.txt",
    mimeType: "text/plain",
    buffer: Buffer.from(offer),
  });
  await page.getByRole("button", { name: "Feltöltés", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "feltöltve" })).toHaveText(
    "A dokumentum feltöltve: árajánlat-kazán.txt",
  );
  const link = page.getByRole("link", { name: "árajánlat-kazán.txt" });
  await expect(link).toBeVisible();
  const downloaded = await page.request.get(`${base()}${await link.getAttribute("href")}`);
  expect(downloaded.status()).toBe(200);
  expect(await downloaded.text()).toBe(offer);
  expect(downloaded.headers()["content-disposition"]).toContain("filename*=UTF-8''%C3%A1raj%C3%A1nlat-kaz%C3%A1n.txt");
  await expectAccessible(page);

  // A reload keeps the session (the cookie) and the page (the hash).
  await page.reload();
  await expect(page.getByRole("heading", { name: "Kovács és Társa Kft.", level: 1 })).toBeVisible();
});

test("English on request, and signed out for good", async ({ page }) => {
  await signIn(page);
  await page.getByLabel("Nyelv").selectOption("en");
  await page.getByRole("link", { name: "Karton" }).click();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Partners" })).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});
