// <karton-partner-list>: the partners in Hungarian name order, or those a search finds
// (at least 3 characters; accents may be left out: "kovacs" finds
// "Kovács"). A row opens the partner card.
import { LitElement, html } from "lit";

import { client } from "../api.js";
import type { Partner } from "../gen/karton/partners/v1/partner_pb.js";
import { PartnerService } from "../gen/karton/partners/v1/partner_service_pb.js";
import { t } from "../i18n.js";
import { PagedList, listFooter } from "../paged-list.js";
import { sharedStyles } from "../shared-styles.js";

const partners = client(PartnerService);

export class KartonPartnerList extends LitElement {
  static properties = {
    query: { state: true },
  };

  declare query: string;
  // A search from 3 characters; otherwise the list in name order. Answers
  // to older keystrokes are dropped when they arrive late (PagedList).
  private readonly list = new PagedList<Partner>(this, async (pageToken) => {
    const query = this.query.trim();
    const answer =
      query.length >= 3
        ? await partners.searchPartners({ query, pageSize: 50, pageToken })
        : await partners.listPartners({ pageSize: 50, pageToken, orderBy: "display_name" });
    return { items: answer.partners, nextPageToken: answer.nextPageToken };
  });

  constructor() {
    super();
    this.query = "";
  }

  private onInput(event: InputEvent) {
    this.query = (event.target as HTMLInputElement).value;
    const query = this.query.trim();
    if (query.length === 0 || query.length >= 3) void this.list.load(false);
  }

  override render() {
    return html`
      <section>
        <h1>${t("partners")}</h1>
        <label for="search">${t("searchPartners")}</label>
        <input id="search" type="search" .value=${this.query} @input=${this.onInput} aria-describedby="search-hint" />
        <p id="search-hint" class="hint">${t("searchHint")}</p>
        <p class="problem" role="alert">${this.list.problem}</p>
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
              ${this.list.items.map(
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
        ${listFooter(this.list, t("noPartners"))}
      </section>
    `;
  }

  static styles = [sharedStyles];
}

customElements.define("karton-partner-list", KartonPartnerList);
