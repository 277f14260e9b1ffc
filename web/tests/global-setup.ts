// Starts kartond (this build's, with every module) on its own embedded
// PostgreSQL in a fresh directory, and gives it what the tests need through
// the JSON gateway as the admin: a salesperson with a password and a few
// partners. The address goes to the tests in KARTON_WEB_URL.
import { spawn } from "node:child_process";
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const SELLER = { email: "reka.kiss@karton.example", password: "jelszó-Tavasz-2026", name: "Kiss Réka" };
export const ROVING = { email: "gabor.toth@karton.example", password: "jelszó-Ősz-2026", name: "Tóth Gábor" };
export const AGENT = { email: "eszter.nagy@karton.example", password: "jelszó-Tél-2026", name: "Nagy Eszter" };
export const ACCOUNTANT = { email: "odon.szabo@karton.example", password: "jelszó-Nyár-2026", name: "Szabó Ödön" };

async function call(base: string, token: string, method: string, body: unknown) {
  const answer = await fetch(`${base}/api/${method}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!answer.ok) throw new Error(`${method}: ${answer.status} ${await answer.text()}`);
  return answer.json();
}

export default async function globalSetup() {
  const build = resolve(process.env.KARTON_BUILD_DIR ?? "../build");
  // The embedded PostgreSQL runs as the postgres user when this runs as
  // root: it must reach the directory.
  const dataDir = mkdtempSync(join(tmpdir(), "karton-web-test-"));
  chmodSync(dataDir, 0o755);
  const kartond = spawn(
    join(build, "bin", "kartond"),
    [
      "--data-dir",
      dataDir,
      "--grpc-listen",
      "127.0.0.1:0",
      "--http-listen",
      "127.0.0.1:0",
      // The seller's details an invoice needs before it can be issued.
      ...["seller_name=Karton Kft.", "seller_tax_number=12345676-2-41", "seller_postal_code=1051"]
        .concat(["seller_city=Budapest", "seller_street=Október 6. utca 7."])
        .flatMap((option) => ["--module-option", `invoicing.${option}`]),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  // KARTON_WEB_TEST_LOG=<file> keeps kartond's whole log there, to see what
  // the server did while a browser test failed.
  const logFile = process.env.KARTON_WEB_TEST_LOG;
  kartond.stderr.on("data", (chunk) => {
    log += chunk;
    if (logFile) appendFileSync(logFile, chunk);
  });
  const base = await new Promise<string>((ready, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`kartond did not get ready:\n${log}`)), 120_000);
    kartond.stdout.on("data", (chunk) => {
      out += chunk;
      const web = /web app:\s+(http:\/\/[^/\s]+)\/app\//.exec(out);
      if (web) {
        clearTimeout(timer);
        ready(web[1]);
      }
    });
    kartond.on("exit", (code) => fail(new Error(`kartond exited (${code}) before it was ready:\n${log}`)));
  });
  writeFileSync(join(dataDir, "kartond.pid"), String(kartond.pid));
  process.env.KARTON_WEB_URL = base;
  process.env.KARTON_TEST_DATA_DIR = dataDir;

  try {
    await seed(base, dataDir);
  } catch (error) {
    kartond.kill("SIGTERM");
    throw error;
  }
  kartond.stdout.removeAllListeners("data");
  kartond.stdout.resume();
  kartond.unref();
}

async function seed(base: string, dataDir: string) {
  const admin = readFileSync(join(dataDir, "admin.token"), "utf8").trim();
  const seller = await call(base, admin, "karton.kernel.v1.IdentityService/CreateUser", {
    user: { name: SELLER.name, email: SELLER.email, roles: ["ROLE_SALES"] },
    password: SELLER.password,
  });
  const kovacs = await call(base, admin, "karton.partners.v1.PartnerService/CreatePartner", {
    partner: {
      kind: "PARTNER_KIND_ORGANIZATION",
      displayName: "Kovács és Társa Kft.",
      legalName: "Kovács és Társa Korlátolt Felelősségű Társaság",
      emails: ["info@kovacs-tarsa.example"],
      addresses: [{ type: "ADDRESS_TYPE_BILLING", country: "HU", postalCode: "6720", city: "Szeged", street: "Kárász utca 5." }],
    },
  });
  await call(base, admin, "karton.partners.v1.PartnerService/CreateContact", {
    partnerId: kovacs.id,
    contact: { name: "Kovács Ödön", role: "ügyvezető", emails: ["odon@kovacs-tarsa.example"] },
  });
  for (const name of ["Zöld Kert Bt.", "Ábel Szerviz Kft.", "Öntöző Rendszerek Zrt."]) {
    await call(base, admin, "karton.partners.v1.PartnerService/CreatePartner", {
      partner: { kind: "PARTNER_KIND_ORGANIZATION", displayName: name },
    });
  }
  // A pipeline that requires a next step, and the salesperson's deal in
  // it without one.
  const pipeline = await call(base, admin, "karton.crm.v1.PipelineService/CreatePipeline", {
    pipeline: {
      name: "Értékesítés",
      requireNextStep: true,
      stages: [
        { name: "Új", probability: 10 },
        { name: "Ajánlat", probability: 40 },
        { name: "Tárgyalás", probability: 70 },
        { name: "Nyert", probability: 100, won: true },
        { name: "Elveszett", probability: 0, lost: true },
      ],
    },
  });
  // Leads for the inbox: two for the salesperson's team, one for them.
  const team = await call(base, admin, "karton.kernel.v1.IdentityService/CreateTeam", {
    team: { name: "Értékesítés" },
  });
  await call(base, admin, "karton.kernel.v1.IdentityService/AddTeamMember", { teamId: team.id, userId: seller.id });
  for (const lead of [
    { title: "Napelem ajánlatkérés", contactName: "Fekete Anna", city: "Szeged", teamId: team.id },
    { title: "Kazán karbantartás", contactName: "Kovács Ödön", companyName: "Kovács és Társa Kft.", assignedUserId: seller.id },
    { title: "Hírlevél-feliratkozás", contactName: "Teszt Elek", teamId: team.id },
  ]) {
    await call(base, admin, "karton.crm.v1.LeadService/CreateLead", {
      lead: { ...lead, email: `${lead.title.length}@lead.example`, source: "LEAD_SOURCE_MANUAL" },
    });
  }
  await call(base, admin, "karton.crm.v1.OpportunityService/CreateOpportunity", {
    opportunity: {
      name: "Kazáncsere",
      partnerId: kovacs.id,
      pipelineId: pipeline.id,
      ownerUserId: seller.id,
      expectedRevenue: { currencyCode: "HUF", minorUnits: "125000000" },
    },
  });
  await call(base, admin, "karton.kernel.v1.IdentityService/CreateUser", {
    user: { name: ROVING.name, email: ROVING.email, roles: ["ROLE_SALES"] },
    password: ROVING.password,
  });
  await call(base, admin, "karton.kernel.v1.IdentityService/CreateUser", {
    user: { name: ACCOUNTANT.name, email: ACCOUNTANT.email, roles: ["ROLE_ACCOUNTING"] },
    password: ACCOUNTANT.password,
  });
  await call(base, admin, "karton.kernel.v1.IdentityService/CreateUser", {
    user: { name: AGENT.name, email: AGENT.email, roles: ["ROLE_SUPPORT"] },
    password: AGENT.password,
  });
  // The salesperson's quotation to Kovács, for the sales page.
  await call(base, admin, "karton.orders.v1.QuotationService/CreateQuotation", {
    quotation: {
      partnerId: kovacs.id,
      currencyCode: "HUF",
      ownerUserId: seller.id,
      // A month from now: still valid whenever the tests run.
      validUntil: (() => {
        const until = new Date(Date.now() + 30 * 24 * 3600 * 1000);
        return { year: until.getUTCFullYear(), month: until.getUTCMonth() + 1, day: until.getUTCDate() };
      })(),
      lines: [
        {
          description: "Kondenzációs kazán beszereléssel",
          quantity: "1",
          unit: "db",
          unitPrice: { currencyCode: "HUF", minorUnits: "98425200" },
          vatCategory: "VAT_CATEGORY_STANDARD_27",
        },
      ],
    },
  });
  // A ticket from the customer's contact, for the helpdesk pages.
  await call(base, admin, "karton.helpdesk.v1.TicketService/CreateTicket", {
    ticket: {
      subject: "Nem indul a kazán",
      description: "Reggel óta E04-es hibakódot mutat.\nKérjük, jöjjenek ki.",
      priority: "TICKET_PRIORITY_HIGH",
      source: "TICKET_SOURCE_PHONE",
      partnerId: kovacs.id,
      requesterName: "Kovács Ödön",
      requesterEmail: "odon@kovacs-tarsa.example",
    },
  });
  // An issued invoice for the invoices page and its PDF: 2 × 48 500 Ft
  // net at 27 % VAT is 123 190 Ft gross.
  const draft = await call(base, admin, "karton.invoicing.v1.InvoiceService/CreateInvoice", {
    invoice: {
      partnerId: kovacs.id,
      lines: [
        {
          description: "Radiátor csere",
          quantity: "2",
          unit: "db",
          unitPrice: { currencyCode: "HUF", minorUnits: "4850000" },
          vatCategory: "VAT_CATEGORY_STANDARD_27",
        },
      ],
    },
  });
  await call(base, admin, "karton.invoicing.v1.InvoiceService/IssueInvoice", { id: draft.id });
  // The knowledge base: a public article and an internal one, in Hungarian.
  await call(base, admin, "karton.helpdesk.v1.KnowledgeBaseService/CreateArticle", {
    article: {
      slug: "nyomtato-nem-nyomtat",
      title: "Mit tegyünk, ha a nyomtató nem nyomtat?",
      body:
        "Először nézze meg, hogy a nyomtató be van-e kapcsolva, és van-e benne papír.\n\n" +
        "Ha a nyomtató hibát jelez, kapcsolja ki és be, majd nyomtasson tesztoldalt.",
      language: "hu",
      visibility: "ARTICLE_VISIBILITY_PUBLIC",
      tags: ["nyomtató"],
    },
  });
  await call(base, admin, "karton.helpdesk.v1.KnowledgeBaseService/CreateArticle", {
    article: {
      slug: "belso-garancialis-csere",
      title: "Garanciális csere: belső rend",
      body: "A garanciális cserét a csoportvezető hagyja jóvá.",
      language: "hu",
      visibility: "ARTICLE_VISIBILITY_INTERNAL",
    },
  });
}
