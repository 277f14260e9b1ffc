// <karton-invoice-list>: the invoices the user may see, newest first, with
// buyer, dates, gross total and what is still open; "open only" narrows to
// issued invoices with something to pay. An issued invoice's PDF opens in
// the browser (kartond's /files bridge renders it on request).
import { LitElement, css, html } from "lit";

import { client, downloadUrl } from "../api.js";
import { type Invoice, InvoiceKind, InvoiceState } from "../gen/karton/invoicing/v1/invoicing_pb.js";
import { InvoiceService } from "../gen/karton/invoicing/v1/invoice_service_pb.js";
import { t } from "../i18n.js";
import { day, money } from "../format.js";
import { PagedList, listFooter, openOnlyToggle } from "../paged-list.js";
import { sharedStyles } from "../shared-styles.js";

const invoices = client(InvoiceService);

export function invoicePdfUrl(invoice: Invoice): string {
  return downloadUrl("karton.invoicing.v1.InvoiceService/RenderInvoicePdf", {
    id: String(invoice.id),
    filename: `${invoice.number.replaceAll("/", "-")}.pdf`,
    inline: "true",
  });
}

export class KartonInvoiceList extends LitElement {
  static properties = {
    openOnly: { state: true },
  };

  declare openOnly: boolean;
  private readonly list = new PagedList<Invoice>(this, async (pageToken) => {
    const answer = await invoices.listInvoices({ pageSize: 50, pageToken, openOnly: this.openOnly });
    return { items: answer.invoices, nextPageToken: answer.nextPageToken };
  });

  constructor() {
    super();
    this.openOnly = false;
  }

  private state(invoice: Invoice): string {
    if (invoice.state === InvoiceState.DRAFT) return t("invoiceDraft");
    if (invoice.kind === InvoiceKind.STORNO) return t("invoiceStorno");
    if (invoice.kind === InvoiceKind.MODIFICATION) return t("invoiceModification");
    const open = invoice.openAmount?.minorUnits ?? 0n;
    return open === 0n ? t("invoicePaid") : t("invoiceOpen");
  }

  override render() {
    return html`
      <section>
        <h1>${t("invoices")}</h1>
        ${openOnlyToggle(this.openOnly, (openOnly) => {
          this.openOnly = openOnly;
          void this.list.load(false);
        })}
        <p class="problem" role="alert">${this.list.problem}</p>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">${t("invoiceNumber")}</th>
                <th scope="col">${t("buyer")}</th>
                <th scope="col">${t("issueDate")}</th>
                <th scope="col">${t("dueDate")}</th>
                <th scope="col" class="number">${t("grossTotal")}</th>
                <th scope="col" class="number">${t("openAmount")}</th>
                <th scope="col">${t("state")}</th>
              </tr>
            </thead>
            <tbody>
              ${this.list.items.map(
                (invoice) => html`
                  <tr>
                    <td>
                      ${invoice.state === InvoiceState.ISSUED
                        ? html`<a href=${invoicePdfUrl(invoice)} target="_blank" rel="noopener"
                            >${invoice.number}</a
                          > <span class="muted">PDF</span
                          >`
                        : t("invoiceDraft")}
                    </td>
                    <td><a href="#/partners/${invoice.partnerId}">${invoice.buyer?.name ?? ""}</a></td>
                    <td>${day(invoice.issueDate)}</td>
                    <td>${day(invoice.dueDate)}</td>
                    <td class="number">${money(invoice.totals?.grossAmount)}</td>
                    <td class="number">${invoice.state === InvoiceState.ISSUED ? money(invoice.openAmount) : ""}</td>
                    <td>${this.state(invoice)}</td>
                  </tr>
                `,
              )}
            </tbody>
          </table>
        </div>
        ${listFooter(this.list, t("noInvoices"))}
      </section>
    `;
  }

  static styles = [
    sharedStyles,
    css`
      .number {
        text-align: right;
        white-space: nowrap;
      }
      .muted {
        color: var(--muted, #5b6577);
        font-size: 0.85rem;
      }
      label.inline {
        display: flex;
        align-items: center;
        gap: 0.5rem;
      }
      label.inline input {
        width: auto;
      }
    `,
  ];
}

customElements.define("karton-invoice-list", KartonInvoiceList);
