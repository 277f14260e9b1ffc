// <karton-sales>: the quotations and orders the user may see, with partner,
// state, validity and gross total, and the moves a salesperson makes on
// each: an open quotation accepted (which opens its order) or rejected with
// a reason; an order confirmed (with a reason when it passes the partner's
// credit limit), shipped, delivered and completed.
import { LitElement, css, html } from "lit";

import { client, problemOf } from "../api.js";
import { type Order, OrderState, type Quotation, QuotationState } from "../gen/karton/orders/v1/orders_pb.js";
import { OrderService } from "../gen/karton/orders/v1/order_service_pb.js";
import { QuotationService } from "../gen/karton/orders/v1/quotation_service_pb.js";
import { PartnerService } from "../gen/karton/partners/v1/partner_service_pb.js";
import { type TextKey, t } from "../i18n.js";
import { day, money } from "../format.js";
import { sharedStyles } from "../shared-styles.js";

const quotations = client(QuotationService);
const orders = client(OrderService);
const partners = client(PartnerService);

const quotationStateKeys: Record<QuotationState, TextKey> = {
  [QuotationState.UNSPECIFIED]: "unknown",
  [QuotationState.DRAFT]: "quotationDraft",
  [QuotationState.SENT]: "quotationSent",
  [QuotationState.ACCEPTED]: "quotationAccepted",
  [QuotationState.REJECTED]: "quotationRejected",
  [QuotationState.EXPIRED]: "quotationExpired",
};
const orderStateKeys: Record<OrderState, TextKey> = {
  [OrderState.UNSPECIFIED]: "unknown",
  [OrderState.DRAFT]: "orderDraft",
  [OrderState.CONFIRMED]: "orderConfirmed",
  [OrderState.SHIPPED]: "orderShipped",
  [OrderState.DELIVERED]: "orderDelivered",
  [OrderState.COMPLETED]: "orderCompleted",
  [OrderState.CANCELLED]: "orderCancelled",
};

export class KartonSales extends LitElement {
  static properties = {
    quotationList: { state: true },
    orderList: { state: true },
    partnerNames: { state: true },
    problem: { state: true },
    done: { state: true },
  };

  declare quotationList: Quotation[];
  declare orderList: Order[];
  declare partnerNames: Map<bigint, string>;
  declare problem: string;
  declare done: string;

  constructor() {
    super();
    this.quotationList = [];
    this.orderList = [];
    this.partnerNames = new Map();
    this.problem = "";
    this.done = "";
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      const [quoted, ordered] = await Promise.all([
        quotations.listQuotations({ pageSize: 100 }),
        orders.listOrders({ pageSize: 100 }),
      ]);
      this.quotationList = quoted.quotations;
      this.orderList = ordered.orders;
      // The partners' names in one call (the records carry the id only).
      const ids = [...new Set([...quoted.quotations, ...ordered.orders].map((record) => record.partnerId))];
      if (ids.length > 0) {
        const found = await partners.batchGetPartners({ ids });
        this.partnerNames = new Map(found.partners.map((partner) => [partner.id, partner.displayName]));
      }
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  // Runs a move, says what happened, and reloads both lists.
  private async act(move: () => Promise<unknown>, said: string) {
    this.problem = "";
    this.done = "";
    try {
      await move();
      this.done = said;
      await this.load();
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private quotationActions(quotation: Quotation) {
    // Open quotations (a draft too: the customer may accept by phone).
    if (quotation.state !== QuotationState.SENT && quotation.state !== QuotationState.DRAFT) return "";
    const { id, etag, number } = quotation;
    return html`
      <button
        class="quiet"
        aria-label=${t("acceptQuotationOf", number)}
        @click=${() => this.act(() => quotations.acceptQuotation({ id, etag }), t("quotationAcceptedSaid", number))}
      >
        ${t("accept")}
      </button>
      <button
        class="quiet"
        aria-label=${t("rejectQuotationOf", number)}
        @click=${() => {
          const reason = prompt(t("rejectReason")) ?? "";
          if (reason.trim() === "") return;
          void this.act(() => quotations.rejectQuotation({ id, etag, reason }), t("quotationRejectedSaid", number));
        }}
      >
        ${t("reject")}
      </button>
    `;
  }

  private orderAction(order: Order) {
    const { id, etag, number } = order;
    const move = (label: TextKey, run: () => Promise<unknown>) =>
      html`<button
        class="quiet"
        aria-label=${`${t(label)}: ${number}`}
        @click=${() => this.act(run, t("orderMovedSaid", number))}
      >
        ${t(label)}
      </button>`;
    switch (order.state) {
      case OrderState.DRAFT:
        return move("confirmOrder", () => orders.confirmOrder({ id, etag }));
      case OrderState.CONFIRMED:
        return move("markShipped", () => orders.markShipped({ id, etag }));
      case OrderState.SHIPPED:
        return move("markDelivered", () => orders.markDelivered({ id, etag }));
      case OrderState.DELIVERED:
        return move("completeOrder", () => orders.completeOrder({ id, etag }));
      default:
        return "";
    }
  }

  private partnerLink(id: bigint) {
    return html`<a href="#/partners/${id}">${this.partnerNames.get(id) ?? `#${id}`}</a>`;
  }

  override render() {
    return html`
      <section aria-labelledby="quotations">
        <h1 id="quotations">${t("quotations")}</h1>
        <p class="problem" role="alert">${this.problem}</p>
        <p role="status">${this.done}</p>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">${t("invoiceNumber")}</th>
                <th scope="col">${t("partner")}</th>
                <th scope="col">${t("state")}</th>
                <th scope="col">${t("validUntil")}</th>
                <th scope="col" class="number">${t("grossTotal")}</th>
                <th scope="col"><span class="visually-hidden">${t("actions")}</span></th>
              </tr>
            </thead>
            <tbody>
              ${this.quotationList.map(
                (quotation) => html`<tr>
                  <td>${quotation.number}</td>
                  <td>${this.partnerLink(quotation.partnerId)}</td>
                  <td>${t(quotationStateKeys[quotation.state])}</td>
                  <td>${day(quotation.validUntil)}</td>
                  <td class="number">${money(quotation.totals?.grossAmount)}</td>
                  <td>${this.quotationActions(quotation)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${this.quotationList.length === 0 ? html`<p>${t("noQuotations")}</p>` : ""}
      </section>
      <section aria-labelledby="orders">
        <h2 id="orders">${t("orders")}</h2>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">${t("invoiceNumber")}</th>
                <th scope="col">${t("partner")}</th>
                <th scope="col">${t("state")}</th>
                <th scope="col" class="number">${t("grossTotal")}</th>
                <th scope="col"><span class="visually-hidden">${t("actions")}</span></th>
              </tr>
            </thead>
            <tbody>
              ${this.orderList.map(
                (order) => html`<tr>
                  <td>${order.number}</td>
                  <td>${this.partnerLink(order.partnerId)}</td>
                  <td>${t(orderStateKeys[order.state])}</td>
                  <td class="number">${money(order.totals?.grossAmount)}</td>
                  <td>${this.orderAction(order)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${this.orderList.length === 0 ? html`<p>${t("noOrders")}</p>` : ""}
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
      .visually-hidden {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip: rect(0 0 0 0);
        white-space: nowrap;
      }
    `,
  ];
}

customElements.define("karton-sales", KartonSales);
