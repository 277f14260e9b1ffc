// <karton-partner-list>: the partners in Hungarian name order, or those a search finds
// (at least 3 characters; accents may be left out: "kovacs" finds
// "Kovács"). A row opens the partner card.
import { LitElement, html } from "lit";

import { problemOf, client } from "../api.js";
import type { Partner } from "../gen/karton/partners/v1/partner_pb.js";
import { PartnerService } from "../gen/karton/partners/v1/partner_service_pb.js";
import { t } from "../i18n.js";
import { sharedStyles } from "../shared-styles.js";

const partners = client(PartnerService);

export class KartonPartnerList extends LitElement {
  static properties = {
    query: { state: true },
    found: { state: true },
    nextPageToken: { state: true },
    problem: { state: true },
    loading: { state: true },
  };

  declare query: string;
  declare found: Partner[];
  declare nextPageToken: string;
  declare problem: string;
  declare loading: boolean;
  // Answers to older keystrokes are dropped when they arrive late.
  private generation = 0;

  constructor() {
    super();
    this.query = "";
    this.found = [];
    this.nextPageToken = "";
    this.problem = "";
    this.loading = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load(false);
  }

  private async load(more: boolean) {
    const generation = ++this.generation;
    this.loading = true;
    this.problem = "";
    try {
      const pageToken = more ? this.nextPageToken : "";
      const query = this.query.trim();
      const answer =
        query.length >= 3
          ? await partners.searchPartners({ query, pageSize: 50, pageToken })
          : await partners.listPartners({ pageSize: 50, pageToken, orderBy: "display_name" });
      if (generation !== this.generation) return;
      this.found = more ? [...this.found, ...answer.partners] : answer.partners;
      this.nextPageToken = answer.nextPageToken;
    } catch (error) {
      if (generation === this.generation) this.problem = problemOf(error);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  private onInput(event: InputEvent) {
    this.query = (event.target as HTMLInputElement).value;
    const query = this.query.trim();
    if (query.length === 0 || query.length >= 3) void this.load(false);
  }

  override render() {
    return html`
      <section>
        <h1>${t("partners")}</h1>
        <label for="search">${t("searchPartners")}</label>
        <input id="search" type="search" .value=${this.query} @input=${this.onInput} aria-describedby="search-hint" />
        <p id="search-hint" class="hint">${t("searchHint")}</p>
        <p class="problem" role="alert">${this.problem}</p>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">${t("name")}</th>
                <th scope="col">${t("taxNumber")}</th>
                <th scope="col">${t("city")}</th>
                <th scope="col">${t("phone")}</th>
              </tr>
            </thead>
            <tbody>
              ${this.found.map(
                (partner) => html`
                  <tr>
                    <td><a href="#/partners/${partner.id}">${partner.displayName}</a></td>
                    <td>${partner.taxNumber}</td>
                    <td>${partner.addresses[0]?.city ?? ""}</td>
                    <td>${partner.phones[0] ?? ""}</td>
                  </tr>
                `,
              )}
            </tbody>
          </table>
        </div>
        <p aria-live="polite">${this.loading ? t("loading") : this.found.length === 0 ? t("noPartners") : ""}</p>
        ${this.nextPageToken
          ? html`<button class="quiet" @click=${() => this.load(true)}>${t("more")}</button>`
          : ""}
      </section>
    `;
  }

  static styles = [sharedStyles];
}

customElements.define("karton-partner-list", KartonPartnerList);
