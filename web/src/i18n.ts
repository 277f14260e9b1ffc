// Hungarian by default, English when chosen (kept in localStorage). Dates,
// numbers and money are always written the Hungarian way (hu-HU), whatever
// the language: "1 250 000 Ft", "2026. 12. 05.".

export type Language = "hu" | "en";

const texts = {
  appName: { hu: "Karton", en: "Karton" },
  signInTitle: { hu: "Bejelentkezés", en: "Sign in" },
  email: { hu: "E-mail-cím", en: "Email" },
  password: { hu: "Jelszó", en: "Password" },
  signIn: { hu: "Belépés", en: "Sign in" },
  signOut: { hu: "Kijelentkezés", en: "Sign out" },
  wrongCredentials: {
    hu: "Hibás e-mail-cím vagy jelszó.",
    en: "The email or the password is wrong.",
  },
  locked: {
    hu: "Túl sok sikertelen próbálkozás. Próbálja újra {0} másodperc múlva.",
    en: "Too many failed attempts. Try again in {0} seconds.",
  },
  language: { hu: "Nyelv", en: "Language" },
  partners: { hu: "Partnerek", en: "Partners" },
  searchPartners: {
    hu: "Keresés névben, adószámban, e-mailben, telefonszámban",
    en: "Search by name, tax number, email, phone",
  },
  searchHint: {
    hu: "Legalább 3 karakter; ékezet nélkül is megtalálja.",
    en: "At least 3 characters; accents may be left out.",
  },
  name: { hu: "Név", en: "Name" },
  taxNumber: { hu: "Adószám", en: "Tax number" },
  city: { hu: "Település", en: "City" },
  phone: { hu: "Telefon", en: "Phone" },
  noPartners: { hu: "Nincs találat.", en: "No matches." },
  loading: { hu: "Betöltés…", en: "Loading…" },
  back: { hu: "Vissza a partnerekhez", en: "Back to partners" },
  details: { hu: "Adatok", en: "Details" },
  legalName: { hu: "Cégnév", en: "Legal name" },
  addresses: { hu: "Címek", en: "Addresses" },
  emails: { hu: "E-mail-címek", en: "Emails" },
  phones: { hu: "Telefonszámok", en: "Phones" },
  tags: { hu: "Címkék", en: "Tags" },
  contacts: { hu: "Kapcsolattartók", en: "Contacts" },
  role: { hu: "Szerep", en: "Role" },
  noContacts: { hu: "Nincs kapcsolattartó.", en: "No contacts." },
  timeline: { hu: "Idővonal", en: "Timeline" },
  noTimeline: { hu: "Még nincs bejegyzés.", en: "Nothing yet." },
  created: { hu: "Létrehozva", en: "Created" },
  more: { hu: "Továbbiak", en: "More" },
  pipeline: { hu: "Értékesítési tölcsér", en: "Pipeline" },
  noNextStep: { hu: "Nincs következő lépés", en: "No next step" },
  moveTo: { hu: "Áthelyezés ide", en: "Move to" },
  nextStepTitle: {
    hu: "Következő lépés: {0} → {1}",
    en: "Next step: {0} → {1}",
  },
  nextStepWhy: {
    hu: "Ebben a tölcsérben minden nyitott üzlethez kell egy tervezett teendő. Mi a következő lépés?",
    en: "Every open deal in this pipeline needs a planned activity. What is the next step?",
  },
  nextTask: { hu: "Teendő", en: "Task" },
  due: { hu: "Határidő", en: "Due" },
  moveWithNextStep: { hu: "Áthelyezés a teendővel", en: "Move with the task" },
  cancel: { hu: "Mégse", en: "Cancel" },
  leads: { hu: "Érdeklődők", en: "Leads" },
  noLeads: { hu: "Nincs új érdeklődő.", en: "No new leads." },
  assignToMe: { hu: "Átveszem", en: "Assign to me" },
  yours: { hu: "Önhöz rendelve", en: "Assigned to you" },
  qualify: { hu: "Minősítés", en: "Qualify" },
  disqualify: { hu: "Elutasítás", en: "Disqualify" },
  confirmDisqualify: { hu: "Elutasítás megerősítése", en: "Confirm disqualifying" },
  disqualifyReason: { hu: "Az elutasítás oka", en: "Why it is disqualified" },
  assigned: { hu: "„{0}” Önhöz került.", en: "“{0}” is yours now." },
  qualified: {
    hu: "„{0}” minősítve: a partner és az üzlet elkészült.",
    en: "“{0}” qualified: its partner and deal are ready.",
  },
  disqualified: { hu: "„{0}” elutasítva.", en: "“{0}” disqualified." },
  calendar: { hu: "Naptár", en: "Calendar" },
  leadsAndDeals: { hu: "Érdeklődések és üzletek", en: "Leads and deals" },
  noLeadsOrDeals: { hu: "Nincs nyitott érdeklődés vagy üzlet.", en: "No open leads or deals." },
  leadItem: { hu: "Érdeklődés", en: "Lead" },
  dealItem: { hu: "Üzlet", en: "Deal" },
  nextActivities: { hu: "Következő tevékenységek", en: "Next activities" },
  noNextActivities: { hu: "Nincs tervezett tevékenység.", en: "Nothing planned." },
  logCall: { hu: "Hívás naplózása", en: "Log a call" },
  documents: { hu: "Dokumentumok", en: "Documents" },
  sales: { hu: "Ajánlatok, rendelések", en: "Quotes and orders" },
  quotations: { hu: "Árajánlatok", en: "Quotations" },
  orders: { hu: "Rendelések", en: "Orders" },
  partner: { hu: "Partner", en: "Partner" },
  noQuotations: { hu: "Nincs árajánlat.", en: "No quotations." },
  noOrders: { hu: "Nincs rendelés.", en: "No orders." },
  quotationDraft: { hu: "Piszkozat", en: "Draft" },
  quotationSent: { hu: "Elküldve", en: "Sent" },
  quotationAccepted: { hu: "Elfogadva", en: "Accepted" },
  quotationRejected: { hu: "Elutasítva", en: "Rejected" },
  quotationExpired: { hu: "Lejárt", en: "Expired" },
  orderDraft: { hu: "Piszkozat", en: "Draft" },
  orderConfirmed: { hu: "Visszaigazolva", en: "Confirmed" },
  orderShipped: { hu: "Kiszállítás alatt", en: "Shipped" },
  orderDelivered: { hu: "Kiszállítva", en: "Delivered" },
  orderCompleted: { hu: "Teljesítve", en: "Completed" },
  orderCancelled: { hu: "Törölve", en: "Cancelled" },
  accept: { hu: "Elfogadta", en: "Accepted" },
  reject: { hu: "Elutasította", en: "Rejected" },
  acceptQuotationOf: { hu: "{0} elfogadva", en: "{0} accepted" },
  rejectQuotationOf: { hu: "{0} elutasítva", en: "{0} rejected" },
  rejectReason: { hu: "Miért utasította el?", en: "Why was it rejected?" },
  quotationAcceptedSaid: { hu: "{0} elfogadva; a rendelés elkészült.", en: "{0} accepted; its order is open." },
  quotationRejectedSaid: { hu: "{0} elutasítva.", en: "{0} rejected." },
  confirmOrder: { hu: "Visszaigazolás", en: "Confirm" },
  markShipped: { hu: "Kiszállítás", en: "Ship" },
  markDelivered: { hu: "Kiszállítva", en: "Delivered" },
  completeOrder: { hu: "Teljesítés", en: "Complete" },
  orderMovedSaid: { hu: "{0} továbblépett.", en: "{0} moved on." },
  unknown: { hu: "—", en: "—" },
  tickets: { hu: "Hibajegyek", en: "Tickets" },
  openTicketsOnly: { hu: "Csak a nyitottak", en: "Open only" },
  ticketNumber: { hu: "Szám", en: "Number" },
  requester: { hu: "Bejelentő", en: "Requester" },
  priority: { hu: "Prioritás", en: "Priority" },
  sla: { hu: "SLA", en: "SLA" },
  resolveBy: { hu: "Megoldási határidő", en: "Resolve by" },
  noTickets: { hu: "Nincs hibajegy.", en: "No tickets." },
  ticketNew: { hu: "Új", en: "New" },
  ticketOpen: { hu: "Folyamatban", en: "Open" },
  ticketWaitingOnCustomer: { hu: "Ügyfélre vár", en: "Waiting on the customer" },
  ticketWaitingOnThirdParty: { hu: "Harmadik félre vár", en: "Waiting on a third party" },
  ticketResolved: { hu: "Megoldva", en: "Resolved" },
  ticketClosed: { hu: "Lezárva", en: "Closed" },
  priorityLow: { hu: "Alacsony", en: "Low" },
  priorityNormal: { hu: "Normál", en: "Normal" },
  priorityHigh: { hu: "Magas", en: "High" },
  priorityUrgent: { hu: "Sürgős", en: "Urgent" },
  slaNone: { hu: "Nincs", en: "None" },
  slaOnTrack: { hu: "Rendben", en: "On track" },
  slaWarning: { hu: "Közel a határidő", en: "Due soon" },
  slaBreached: { hu: "Túllépve", en: "Breached" },
  slaPaused: { hu: "Szünetel", en: "Paused" },
  slaMet: { hu: "Teljesítve", en: "Met" },
  changeState: { hu: "Állapotváltás", en: "Change state" },
  moveTicketTo: { hu: "Állapot: {0}", en: "Move to: {0}" },
  ticketMoved: { hu: "Az új állapot: {0}", en: "Now: {0}" },
  comments: { hu: "Megjegyzések", en: "Comments" },
  noComments: { hu: "Még nincs megjegyzés.", en: "No comments yet." },
  toCustomer: { hu: "Az ügyfélnek", en: "To the customer" },
  internalNote: { hu: "Belső megjegyzés", en: "Internal note" },
  newComment: { hu: "Új megjegyzés", en: "New comment" },
  sendToCustomer: { hu: "Az ügyfél is megkapja", en: "Send it to the customer" },
  addComment: { hu: "Hozzáadás", en: "Add" },
  commentAdded: { hu: "A megjegyzés a jegyre került.", en: "The comment is on the ticket." },
  myAccount: { hu: "Fiókom", en: "My account" },
  mySessions: { hu: "Bejelentkezéseim", en: "Where I am signed in" },
  browser: { hu: "Böngésző", en: "Browser" },
  address: { hu: "Cím", en: "Address" },
  signedInAt: { hu: "Belépett", en: "Signed in" },
  validUntil: { hu: "Érvényes eddig", en: "Valid until" },
  actions: { hu: "Műveletek", en: "Actions" },
  thisSession: { hu: "Ez a böngésző", en: "This browser" },
  endSession: { hu: "Kijelentkeztetés", en: "Sign out" },
  endSessionOf: { hu: "Kijelentkeztetés: {0}", en: "Sign out {0}" },
  sessionEnded: { hu: "A bejelentkezés megszűnt.", en: "That session has ended." },
  changePassword: { hu: "Jelszócsere", en: "Change password" },
  currentPassword: { hu: "Jelenlegi jelszó", en: "Current password" },
  newPassword: { hu: "Új jelszó", en: "New password" },
  newPasswordAgain: { hu: "Új jelszó még egyszer", en: "New password again" },
  passwordHint: {
    hu: "Legalább 10 karakter. A többi bejelentkezése megszűnik.",
    en: "At least 10 characters. Your other sessions end.",
  },
  savePassword: { hu: "Jelszó mentése", en: "Save password" },
  passwordsDiffer: { hu: "A két új jelszó nem egyezik.", en: "The two new passwords differ." },
  passwordChanged: { hu: "Az új jelszó érvényes.", en: "The new password is in effect." },
  invoices: { hu: "Számlák", en: "Invoices" },
  openOnly: { hu: "Csak a nyitottak", en: "Open only" },
  invoiceNumber: { hu: "Sorszám", en: "Number" },
  buyer: { hu: "Vevő", en: "Buyer" },
  issueDate: { hu: "Kelte", en: "Issued" },
  dueDate: { hu: "Esedékes", en: "Due" },
  grossTotal: { hu: "Bruttó", en: "Gross" },
  state: { hu: "Állapot", en: "State" },
  invoiceDraft: { hu: "Piszkozat", en: "Draft" },
  invoiceStorno: { hu: "Sztornó", en: "Cancellation" },
  invoiceModification: { hu: "Módosító", en: "Modification" },
  invoicePaid: { hu: "Kiegyenlítve", en: "Paid" },
  invoiceOpen: { hu: "Nyitott", en: "Open" },
  noInvoices: { hu: "Nincs számla.", en: "No invoices." },
  noDocuments: { hu: "Még nincs dokumentum.", en: "No documents yet." },
  documentFile: { hu: "Fájl feltöltése", en: "Upload a file" },
  upload: { hu: "Feltöltés", en: "Upload" },
  documentUploaded: { hu: "A dokumentum feltöltve: {0}", en: "Uploaded: {0}" },
  documentVersion: { hu: "{0}. változat", en: "version {0}" },
  notes: { hu: "Jegyzet", en: "Notes" },
  theyCalled: { hu: "Ők hívtak minket", en: "They called us" },
  logIt: { hu: "Naplózás", en: "Log it" },
  callLogged: { hu: "A hívás az idővonalra került.", en: "The call is on the timeline." },
  quotation: { hu: "Ajánlat", en: "Quotation" },
  order: { hu: "Megrendelés", en: "Order" },
  openOrdersGross: { hu: "Nyitott megrendelések bruttó", en: "Open orders, gross" },
  invoice: { hu: "Számla", en: "Invoice" },
  overdueInvoices: { hu: "Lejárt számlák", en: "Overdue invoices" },
  openAmount: { hu: "Nyitott összeg", en: "Open amount" },
  nothingOpen: { hu: "Nincs nyitott tétel.", en: "Nothing open." },
  whose: { hu: "Kié", en: "Whose" },
  mine: { hu: "Saját", en: "Mine" },
  previous: { hu: "Előző", en: "Previous" },
  today: { hu: "Ma", en: "Today" },
  next: { hu: "Következő", en: "Next" },
  week: { hu: "Hét", en: "Week" },
  day: { hu: "Nap", en: "Day" },
  typeCall: { hu: "Hívás", en: "Call" },
  typeMeeting: { hu: "Találkozó", en: "Meeting" },
  typeTask: { hu: "Teendő", en: "Task" },
  typeEmail: { hu: "E-mail", en: "Email" },
  markDone: { hu: "Kész", en: "Done" },
  done: { hu: "elvégezve", en: "done" },
  canceled: { hu: "elmaradt", en: "canceled" },
  planActivity: { hu: "Új tevékenység", en: "Plan an activity" },
  activityType: { hu: "Típus", en: "Type" },
  subject: { hu: "Tárgy", en: "Subject" },
  date: { hu: "Dátum", en: "Date" },
  time: { hu: "Időpont", en: "Time" },
  minutes: { hu: "Időtartam (perc)", en: "Length (minutes)" },
  plan: { hu: "Felvétel", en: "Plan it" },
  feed: { hu: "Naptár-előfizetés", en: "Calendar feed" },
  feedWhy: {
    hu: "Ezt a címet az Outlookban vagy a Google Naptárban megadva ott is látja a tevékenységeit. Új cím kérésekor a régi megszűnik.",
    en: "Add this address to Outlook or Google Calendar to see these activities there. A new address ends the old one.",
  },
  feedUrl: { hu: "Előfizetési cím", en: "Feed address" },
  newFeedLink: { hu: "Új előfizetési cím", en: "New feed address" },
  sourceManual: { hu: "kézi rögzítés", en: "entered by hand" },
  sourceWebForm: { hu: "webes űrlap", en: "web form" },
  sourceImport: { hu: "import", en: "import" },
  sourceEmail: { hu: "e-mail", en: "email" },
} as const;

export type TextKey = keyof typeof texts;

let language: Language = (globalThis.localStorage?.getItem("karton.language") as Language) ?? "hu";
if (language !== "hu" && language !== "en") language = "hu";
document.documentElement.lang = language;

export function currentLanguage(): Language {
  return language;
}

export function setLanguage(chosen: Language): void {
  language = chosen;
  globalThis.localStorage?.setItem("karton.language", chosen);
  document.documentElement.lang = chosen;
}

// The text for `key` in the current language, with {0}, {1}... filled in.
export function t(key: TextKey, ...values: Array<string | number>): string {
  return values.reduce<string>(
    (text, value, index) => text.replace(`{${index}}`, String(value)),
    texts[key][language],
  );
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

// Minor units (fillér, cent) of `currency` as hu-HU money: "1 250 000 Ft".
export function formatMoney(minorUnits: bigint, currency: string): string {
  let format = moneyFormats.get(currency);
  if (!format) {
    format = new Intl.NumberFormat("hu-HU", {
      style: "currency",
      currency,
      maximumFractionDigits: currency === "HUF" ? 0 : 2,
    });
    moneyFormats.set(currency, format);
  }
  return format.format(Number(minorUnits) / 100);
}

const dateTimeFormat = new Intl.DateTimeFormat("hu-HU", {
  dateStyle: "medium",
  timeStyle: "short",
});

export function formatDateTime(date: Date): string {
  return dateTimeFormat.format(date);
}
