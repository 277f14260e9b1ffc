// A support agent looks up an answer: the knowledge base lists the latest
// articles, a search in an inflected form ("nyomtatót") finds the article
// about "nyomtató" with the matched words marked, and its page shows the
// paragraphs and the link to the public page, which serves the same text.
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";

import { AGENT } from "./global-setup";

const base = () => process.env.KARTON_WEB_URL!;

test("search the knowledge base and open an article", async ({ page }) => {
  await page.goto(`${base()}/`);
  await page.getByLabel("E-mail-cím").fill(AGENT.email);
  await page.getByLabel("Jelszó").fill(AGENT.password);
  await page.getByRole("button", { name: "Belépés" }).click();
  await page.getByRole("link", { name: "Tudástár" }).click();
  await expect(page.getByRole("heading", { name: "Tudástár" })).toBeVisible();
  // Nothing searched: the latest articles, the internal one too (support
  // may read it).
  await expect(page.getByRole("link", { name: "Garanciális csere: belső rend" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Legutóbbi cikkek" })).toBeVisible();

  await page.getByLabel("Keresés a cikkekben").fill("nyomtatót");
  await page.getByRole("button", { name: "Keresés", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Találatok" })).toBeVisible();
  const found = page.getByRole("link", { name: "Mit tegyünk, ha a nyomtató nem nyomtat?" });
  await expect(found).toBeVisible();
  await expect(page.getByRole("link", { name: "Garanciális csere: belső rend" })).toHaveCount(0);
  await expect(page.locator("karton-knowledge-base mark").first()).toHaveText(/nyomtató/i);
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  // A word in no article.
  await page.getByLabel("Keresés a cikkekben").fill("zongorahangolás");
  await page.getByRole("button", { name: "Keresés", exact: true }).click();
  await expect(page.getByText("Nincs ilyen cikk.")).toBeVisible();

  await page.getByLabel("Keresés a cikkekben").fill("nyomtatót");
  await page.getByRole("button", { name: "Keresés", exact: true }).click();
  await found.click();
  await expect(page.getByRole("heading", { name: "Mit tegyünk, ha a nyomtató nem nyomtat?", level: 1 })).toBeVisible();
  await expect(page.locator("karton-article-view .paragraph")).toHaveCount(2);
  await expect(page.getByText("Nyilvános", { exact: true })).toBeVisible();
  const publicLink = page.getByRole("link", { name: "Nyilvános oldal" });
  await expect(publicLink).toHaveAttribute("href", "/kb/nyomtato-nem-nyomtat");
  await publicLink.click();
  await expect(page.getByRole("heading", { name: "Mit tegyünk, ha a nyomtató nem nyomtat?" })).toBeVisible();
  await expect(page.getByText("kapcsolja ki és be")).toBeVisible();
});
