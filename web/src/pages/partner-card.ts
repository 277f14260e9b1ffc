// <karton-partner-card>: the partner card (360) from CRM's customer
// overview: the fields, contacts, open leads and deals, the next
// activities, the documents (upload and download through /files), the
// timeline (with a call to log), and every section other modules add
// (quotations and orders, invoices and balance, ...).
import { create, createRegistry } from "@bufbuild/protobuf";
import { anyUnpack, timestampDate, timestampNow } from "@bufbuild/protobuf/wkt";
import { LitElement, css, html } from "lit";

import { client, downloadUrl, problemOf, uploadFile } from "../api.js";
import type { Activity } from "../gen/karton/crm/v1/activity_pb.js";
import type { Lead, Opportunity } from "../gen/karton/crm/v1/crm_pb.js";
import { CustomerOverviewService } from "../gen/karton/crm/v1/customer_overview_service_pb.js";
import type { CustomerOverviewSection } from "../gen/karton/common/v1/customer_overview_pb.js";
import {
  type InvoicingOverview,
  InvoicingOverviewSchema,
} from "../gen/karton/invoicing/v1/invoicing_overview_service_pb.js";
import {
  type HelpdeskOverview,
  HelpdeskOverviewSchema,
} from "../gen/karton/helpdesk/v1/helpdesk_overview_service_pb.js";
import { type OrdersOverview, OrdersOverviewSchema } from "../gen/karton/orders/v1/orders_overview_service_pb.js";
import {
  type Contact,
  type Document,
  type Interaction,
  InteractionChannel,
  InteractionDirection,
  InteractionSchema,
  type Partner,
} from "../gen/karton/partners/v1/partner_pb.js";
import { PartnerService } from "../gen/karton/partners/v1/partner_service_pb.js";
import { formatDateTime, t } from "../i18n.js";
import { money } from "../format.js";
import { sharedStyles } from "../shared-styles.js";
import { stateKeys } from "./tickets.js";

const partners = client(PartnerService);
const overviews = client(CustomerOverviewService);
// The section contents this client knows how to show; others show their
// title only.
const sectionTypes = createRegistry(OrdersOverviewSchema, InvoicingOverviewSchema, HelpdeskOverviewSchema);

export class KartonPartnerCard extends LitElement {
  static properties = {
    partnerId: { attribute: false },
    partner: { state: true },
    contacts: { state: true },
    timeline: { state: true },
    leads: { state: true },
    deals: { state: true },
    nextActivities: { state: true },
    sections: { state: true },
    problem: { state: true },
    logged: { state: true },
    documents: { state: true },
    uploaded: { state: true },
  };

  declare partnerId: bigint;
  declare partner: Partner | null;
  declare contacts: Contact[];
  declare timeline: Interaction[];
  declare leads: Lead[];
  declare deals: Opportunity[];
  declare nextActivities: Activity[];
  declare sections: CustomerOverviewSection[];
  declare problem: string;
  declare logged: string;
  declare documents: Document[];
  declare uploaded: string;

  constructor() {
    super();
    this.partnerId = 0n;
    this.partner = null;
    this.contacts = [];
    this.timeline = [];
    this.leads = [];
    this.deals = [];
    this.nextActivities = [];
    this.sections = [];
    this.problem = "";
    this.logged = "";
    this.documents = [];
    this.uploaded = "";
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("partnerId") && this.partnerId > 0n) void this.load();
  }

  private async load() {
    this.problem = "";
    this.partner = null;
    try {
      // One call: the CRM gathers the card from every module, as the
      // caller, so each part shows only what the user may see.
      const overview = await overviews.getCustomerOverview({ partnerId: this.partnerId });
      this.partner = overview.partner ?? null;
      this.contacts = overview.contacts;
      this.timeline = overview.recentTimeline;
      this.leads = overview.openLeads;
      this.deals = overview.openOpportunities;
      this.nextActivities = overview.nextActivities;
      this.sections = overview.sections;
      await this.loadDocuments();
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private async loadDocuments() {
    const listed = await partners.listDocuments({
      resourceType: "partners.partner",
      resourceId: this.partnerId,
      pageSize: 100,
    });
    this.documents = listed.documents;
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
      <section aria-labelledby="sales">
        <h2 id="sales">${t("leadsAndDeals")}</h2>
        ${this.leads.length + this.deals.length === 0
          ? html`<p>${t("noLeadsOrDeals")}</p>`
          : html`<ul class="plain">
              ${this.leads.map((lead) => html`<li>${t("leadItem")}: <strong>${lead.title}</strong></li>`)}
              ${this.deals.map(
                (deal) =>
                  html`<li>${t("dealItem")}: <strong>${deal.name}</strong> ${money(deal.expectedRevenue)}</li>`,
              )}
            </ul>`}
        <h3>${t("nextActivities")}</h3>
        ${this.nextActivities.length === 0
          ? html`<p>${t("noNextActivities")}</p>`
          : html`<ul class="plain">
              ${this.nextActivities.map((activity) => {
                const when = activity.startTime ?? activity.dueTime;
                return html`<li>
                  ${when ? html`<time>${formatDateTime(timestampDate(when))}</time>` : ""} ${activity.subject}
                </li>`;
              })}
            </ul>`}
      </section>
      ${this.sections.map((section) => this.moduleSection(section))}
      <section aria-labelledby="documents">
        <h2 id="documents">${t("documents")}</h2>
        ${this.documents.length === 0
          ? html`<p>${t("noDocuments")}</p>`
          : html`<ul class="plain">
              ${this.documents.map((document) => this.documentItem(document))}
            </ul>`}
        <form @submit=${this.upload}>
          <p>
            <label for="document-file">${t("documentFile")}</label>
            <input id="document-file" name="file" type="file" required />
          </p>
          <button type="submit">${t("upload")}</button>
          <span role="status">${this.uploaded}</span>
        </form>
      </section>
      <section aria-labelledby="log-call">
        <h2 id="log-call">${t("logCall")}</h2>
        <form @submit=${this.logCall}>
          <p>
            <label for="call-subject">${t("subject")}</label>
            <input id="call-subject" name="subject" required maxlength="200" />
          </p>
          <p>
            <label for="call-notes">${t("notes")}</label>
            <textarea id="call-notes" name="notes" rows="3"></textarea>
          </p>
          <p>
            <label><input type="checkbox" name="inbound" /> ${t("theyCalled")}</label>
          </p>
          <button type="submit">${t("logIt")}</button>
          <span role="status">${this.logged}</span>
        </form>
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

  // A document's link: PDFs, images and text open in a new tab, anything
  // else downloads (the server decides what may show in place).
  private documentItem(document: Document) {
    const href = downloadUrl("karton.partners.v1.PartnerService/DownloadDocument", {
      id: String(document.id),
      inline: "true",
    });
    const kib = Math.max(1, Math.round(Number(document.sizeBytes) / 1024));
    return html`<li>
      <a href=${href} target="_blank" rel="noopener">${document.name}</a>
      <span class="muted">${kib} KiB, ${t("documentVersion", document.version)}</span>
    </li>`;
  }

  private async upload(event: SubmitEvent) {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const file = (formElement.elements.namedItem("file") as HTMLInputElement).files?.[0];
    if (!file) return;
    this.problem = "";
    this.uploaded = "";
    try {
      await uploadFile(
        "karton.partners.v1.PartnerService/UploadDocument",
        { resourceType: "partners.partner", resourceId: String(this.partnerId) },
        file,
      );
      formElement.reset();
      this.uploaded = t("documentUploaded", file.name);
      await this.loadDocuments();
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private async logCall(event: SubmitEvent) {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    this.problem = "";
    this.logged = "";
    try {
      await partners.logInteraction({
        interaction: create(InteractionSchema, {
          partnerId: this.partnerId,
          channel: InteractionChannel.CALL,
          direction: form.get("inbound") ? InteractionDirection.INBOUND : InteractionDirection.OUTBOUND,
          occurTime: timestampNow(),
          subject: String(form.get("subject")),
          body: String(form.get("notes") ?? ""),
        }),
      });
      formElement.reset();
      this.logged = t("callLogged");
      await this.load();
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  // Another module's section: what this client can read of it, else its
  // title alone.
  private moduleSection(section: CustomerOverviewSection) {
    const content = section.content ? anyUnpack(section.content, sectionTypes) : undefined;
    let lines: string[] = [];
    if (content?.$typeName === OrdersOverviewSchema.typeName) {
      const orders = content as OrdersOverview;
      lines = [
        ...orders.openQuotations.map((quotation) => `${t("quotation")} ${quotation.number}`),
        ...orders.openOrders.map((order) => `${t("order")} ${order.number}`),
        ...orders.openOrdersGross.map((sum) => `${t("openOrdersGross")}: ${money(sum)}`),
      ];
    } else if (content?.$typeName === InvoicingOverviewSchema.typeName) {
      const invoicing = content as InvoicingOverview;
      lines = [
        ...invoicing.openInvoices.map((invoice) => `${t("invoice")} ${invoice.number}`),
        `${t("overdueInvoices")}: ${invoicing.overdueInvoiceCount}`,
      ];
      if (invoicing.balance?.openAmount) lines.push(`${t("openAmount")}: ${money(invoicing.balance.openAmount)}`);
    } else if (content?.$typeName === HelpdeskOverviewSchema.typeName) {
      // The open tickets, each a link to its page.
      const helpdesk = content as HelpdeskOverview;
      return html`
        <section aria-label=${section.title}>
          <h2>${section.title}</h2>
          ${helpdesk.openTickets.length === 0
            ? html`<p>${t("nothingOpen")}</p>`
            : html`<ul class="plain">
                ${helpdesk.openTickets.map(
                  (ticket) =>
                    html`<li>
                      <a href=${`#/tickets/${ticket.id}`}>${ticket.number}</a> ${ticket.subject}
                      (${t(stateKeys[ticket.state])})
                    </li>`,
                )}
              </ul>`}
          ${helpdesk.breachedCount > 0 ? html`<p>${t("slaBreachedTickets", helpdesk.breachedCount)}</p>` : ""}
        </section>
      `;
    }
    return html`
      <section aria-label=${section.title}>
        <h2>${section.title}</h2>
        ${lines.length === 0 ? html`<p>${t("nothingOpen")}</p>` : html`<ul class="plain">${lines.map((line) => html`<li>${line}</li>`)}</ul>`}
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
      input[type="checkbox"] {
        width: auto;
      }
      h3 {
        font-size: 1rem;
        margin: 1rem 0 0.5rem;
      }
      .plain {
        margin: 0;
        padding-left: 1.2rem;
      }
      .muted {
        color: var(--muted, #5b6577);
        margin-left: 0.5rem;
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
