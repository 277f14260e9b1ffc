// <karton-partner-card>: the partner card (360): its fields, contacts and
// timeline. Sections of other modules (leads and deals, orders, invoices,
// tickets) join it as the web client grows (docs/web.md).
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { LitElement, css, html } from "lit";

import { problemOf, client } from "../api.js";
import type { Contact, Interaction, Partner } from "../gen/karton/partners/v1/partner_pb.js";
import { PartnerService } from "../gen/karton/partners/v1/partner_service_pb.js";
import { formatDateTime, t } from "../i18n.js";
import { sharedStyles } from "../shared-styles.js";

const partners = client(PartnerService);

export class KartonPartnerCard extends LitElement {
  static properties = {
    partnerId: { attribute: false },
    partner: { state: true },
    contacts: { state: true },
    timeline: { state: true },
    problem: { state: true },
  };

  declare partnerId: bigint;
  declare partner: Partner | null;
  declare contacts: Contact[];
  declare timeline: Interaction[];
  declare problem: string;

  constructor() {
    super();
    this.partnerId = 0n;
    this.partner = null;
    this.contacts = [];
    this.timeline = [];
    this.problem = "";
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("partnerId") && this.partnerId > 0n) void this.load();
  }

  private async load() {
    this.problem = "";
    this.partner = null;
    try {
      const [partner, contacts, timeline] = await Promise.all([
        partners.getPartner({ id: this.partnerId }),
        partners.listContacts({ partnerId: this.partnerId, pageSize: 100 }),
        partners.listTimeline({ partnerId: this.partnerId, pageSize: 20 }),
      ]);
      this.partner = partner;
      this.contacts = contacts.contacts;
      this.timeline = timeline.interactions;
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  override render() {
    const partner = this.partner;
    if (!partner) {
      return html`
        <p><a href="#/partners">${t("back")}</a></p>
        <p class="problem" role="alert">${this.problem}</p>
        ${this.problem ? "" : html`<p aria-live="polite">${t("loading")}</p>`}
      `;
    }
    return html`
      <p><a href="#/partners">${t("back")}</a></p>
      <h1>${partner.displayName}</h1>
      <section aria-labelledby="details">
        <h2 id="details">${t("details")}</h2>
        <dl>
          ${this.field(t("legalName"), partner.legalName)} ${this.field(t("taxNumber"), partner.taxNumber)}
          ${this.field(t("emails"), partner.emails.join(", "))} ${this.field(t("phones"), partner.phones.join(", "))}
          ${this.field(
            t("addresses"),
            partner.addresses.map((a) => `${a.postalCode} ${a.city}, ${a.street}`.trim()).join("; "),
          )}
          ${this.field(t("tags"), partner.tags.join(", "))}
          ${this.field(t("created"), partner.createTime ? formatDateTime(timestampDate(partner.createTime)) : "")}
        </dl>
      </section>
      <section aria-labelledby="contacts">
        <h2 id="contacts">${t("contacts")}</h2>
        ${this.contacts.length === 0
          ? html`<p>${t("noContacts")}</p>`
          : html`
              <div class="scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">${t("name")}</th>
                      <th scope="col">${t("role")}</th>
                      <th scope="col">${t("emails")}</th>
                      <th scope="col">${t("phones")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${this.contacts.map(
                      (contact) => html`
                        <tr>
                          <td>${contact.name}</td>
                          <td>${contact.role}</td>
                          <td>${contact.emails.join(", ")}</td>
                          <td>${contact.phones.join(", ")}</td>
                        </tr>
                      `,
                    )}
                  </tbody>
                </table>
              </div>
            `}
      </section>
      <section aria-labelledby="timeline">
        <h2 id="timeline">${t("timeline")}</h2>
        ${this.timeline.length === 0
          ? html`<p>${t("noTimeline")}</p>`
          : html`<ol class="timeline">
              ${this.timeline.map(
                (entry) => html`
                  <li>
                    <time>${entry.occurTime ? formatDateTime(timestampDate(entry.occurTime)) : ""}</time>
                    <strong>${entry.subject}</strong>
                    ${entry.body ? html`<div>${entry.body}</div>` : ""}
                  </li>
                `,
              )}
            </ol>`}
      </section>
    `;
  }

  private field(label: string, value: string) {
    if (!value) return "";
    return html`<dt>${label}</dt>
      <dd>${value}</dd>`;
  }

  static styles = [
    sharedStyles,
    css`
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.4rem 1.5rem;
        margin: 0;
      }
      dt {
        color: var(--muted, #5b6577);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      @media (max-width: 480px) {
        dl {
          grid-template-columns: 1fr;
          gap: 0.1rem;
        }
        dd {
          margin-bottom: 0.5rem;
        }
      }
      .timeline {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .timeline li {
        padding: 0.5rem 0;
        border-bottom: 1px solid var(--line, #d8dde6);
      }
      .timeline time {
        color: var(--muted, #5b6577);
        margin-right: 0.75rem;
      }
    `,
  ];
}

customElements.define("karton-partner-card", KartonPartnerCard);
