// <karton-app>: the shell. Asks the server who is signed in, shows the
// sign-in page or the header and the page the address names. Pages are
// addressed by the URL's hash (#/partners, #/partners/42), so kartond
// serves one index.html for the whole app.
import { LitElement, css, html, nothing } from "lit";

import { type Session, currentSession, signOut } from "./api.js";
import { type Language, currentLanguage, setLanguage, t } from "./i18n.js";
import "./pages/calendar.js";
import "./pages/dashboard.js";
import "./pages/invoice-list.js";
import "./pages/knowledge-base.js";
import "./pages/leads-inbox.js";
import "./pages/my-account.js";
import "./pages/partner-card.js";
import "./pages/partner-list.js";
import "./pages/reports.js";
import "./pages/sales.js";
import "./pages/pipeline-board.js";
import "./pages/sign-in.js";
import "./pages/tickets.js";
import { sharedStyles } from "./shared-styles.js";

export class KartonApp extends LitElement {
  static properties = {
    session: { state: true },
    route: { state: true },
    checked: { state: true },
  };

  declare session: Session | null;
  declare route: string;
  declare checked: boolean;

  constructor() {
    super();
    this.session = null;
    this.route = location.hash;
    this.checked = false;
  }

  private readonly onHashChange = () => {
    this.route = location.hash;
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener("hashchange", this.onHashChange);
    currentSession()
      .then((session) => (this.session = session))
      .finally(() => (this.checked = true));
  }

  override disconnectedCallback(): void {
    window.removeEventListener("hashchange", this.onHashChange);
    super.disconnectedCallback();
  }

  private chooseLanguage(event: Event) {
    setLanguage((event.target as HTMLSelectElement).value as Language);
    this.requestUpdate();
    // Pages read the language when they render.
    this.renderRoot.querySelectorAll("main > *").forEach((page) => (page as LitElement).requestUpdate());
  }

  private async signOut() {
    await signOut();
    this.session = null;
  }

  // The menu entry of the page shown (the partner list also at "#/" and
  // for a partner's card).
  private isCurrent(href: string): boolean {
    const route = this.route === "" || this.route === "#/" ? "#/partners" : this.route;
    return route === href || route.startsWith(`${href}/`);
  }

  private page() {
    const partner = /^#\/partners\/(\d+)$/.exec(this.route);
    if (partner) return html`<karton-partner-card .partnerId=${BigInt(partner[1])}></karton-partner-card>`;
    if (this.route === "#/pipeline") return html`<karton-pipeline-board></karton-pipeline-board>`;
    if (this.route === "#/calendar") return html`<karton-calendar></karton-calendar>`;
    const ticket = /^#\/tickets\/(\d+)$/.exec(this.route);
    if (ticket) return html`<karton-ticket-view .ticketId=${BigInt(ticket[1])}></karton-ticket-view>`;
    if (this.route === "#/tickets") return html`<karton-ticket-list></karton-ticket-list>`;
    if (this.route === "#/sales") return html`<karton-sales></karton-sales>`;
    if (this.route === "#/reports") return html`<karton-reports></karton-reports>`;
    if (this.route === "#/dashboard") return html`<karton-dashboard></karton-dashboard>`;
    const article = /^#\/kb\/(\d+)$/.exec(this.route);
    if (article) return html`<karton-article-view .articleId=${BigInt(article[1])}></karton-article-view>`;
    if (this.route === "#/kb") return html`<karton-knowledge-base></karton-knowledge-base>`;
    if (this.route === "#/invoices") return html`<karton-invoice-list></karton-invoice-list>`;
    if (this.route === "#/account") return html`<karton-my-account .session=${this.session}></karton-my-account>`;
    if (this.route === "#/leads") return html`<karton-leads-inbox .session=${this.session}></karton-leads-inbox>`;
    return html`<karton-partner-list></karton-partner-list>`;
  }

  override render() {
    if (!this.checked) return nothing;
    const language = html`
      <label class="language">
        <span class="visually-hidden">${t("language")}</span>
        <select @change=${this.chooseLanguage}>
          <option value="hu" ?selected=${currentLanguage() === "hu"}>Magyar</option>
          <option value="en" ?selected=${currentLanguage() === "en"}>English</option>
        </select>
      </label>
    `;
    if (!this.session) {
      return html`
        <header>
          <span class="brand">${t("appName")}</span>
          ${language}
        </header>
        <main>
          <karton-sign-in @signed-in=${(event: CustomEvent<Session>) => (this.session = event.detail)}></karton-sign-in>
        </main>
      `;
    }
    return html`
      <header>
        <a class="brand" href="#/partners">${t("appName")}</a>
        <nav aria-label="Karton">
          ${(
            [
              ["#/partners", "partners"],
              ["#/leads", "leads"],
              ["#/pipeline", "pipeline"],
              ["#/calendar", "calendar"],
              ["#/sales", "sales"],
              ["#/tickets", "tickets"],
              ["#/kb", "knowledgeBase"],
              ["#/invoices", "invoices"],
              ["#/dashboard", "dashboard"],
              ["#/reports", "reports"],
            ] as const
          ).map(
            ([href, label]) =>
              html`<a href=${href} aria-current=${this.isCurrent(href) ? "page" : nothing}>${t(label)}</a>`,
          )}
        </nav>
        <a class="who" href="#/account" title=${t("myAccount")}>${this.session.name}</a>
        ${language}
        <button class="quiet" @click=${this.signOut}>${t("signOut")}</button>
      </header>
      <main>${this.page()}</main>
    `;
  }

  static styles = [
    sharedStyles,
    css`
      header {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.75rem 1rem;
        padding: 0.75rem 1rem;
        background: var(--surface, #fff);
        border-bottom: 1px solid var(--line, #d8dde6);
      }
      .brand {
        font-weight: 700;
        font-size: 1.2rem;
        text-decoration: none;
        color: var(--ink, #1d2430);
      }
      nav {
        flex: 1;
        display: flex;
        flex-wrap: wrap;
        gap: 1rem;
      }
      nav a[aria-current="page"] {
        font-weight: 600;
        text-decoration: none;
      }
      .who {
        color: var(--muted, #5b6577);
      }
      /* On a phone the menu is one row of its own that scrolls sideways,
         not a column of links above every page. */
      @media (max-width: 640px) {
        nav {
          order: 10;
          flex-basis: 100%;
          flex-wrap: nowrap;
          overflow-x: auto;
          white-space: nowrap;
          padding-bottom: 0.25rem;
        }
      }
      select {
        font: inherit;
        padding: 0.3rem;
      }
      .visually-hidden {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip: rect(0 0 0 0);
      }
      main {
        max-width: 72rem;
        margin: 0 auto;
        padding: 1rem;
      }
    `,
  ];
}

customElements.define("karton-app", KartonApp);
