// <karton-ticket-list> and <karton-ticket-view>: the helpdesk's tickets the
// user may see (open ones first by default, the SLA's state beside each),
// and one ticket with its description, comments (internal or to the
// customer), hand-overs, and the state changes a support agent makes.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { LitElement, css, html } from "lit";

import { client, problemOf } from "../api.js";
import {
  CommentVisibility,
  SlaState,
  type Ticket,
  TicketPriority,
  TicketState,
} from "../gen/karton/helpdesk/v1/helpdesk_pb.js";
import { TicketService } from "../gen/karton/helpdesk/v1/ticket_service_pb.js";
import { type TextKey, formatDateTime, t } from "../i18n.js";
import { PagedList, listFooter, openOnlyToggle } from "../paged-list.js";
import { sharedStyles } from "../shared-styles.js";

const tickets = client(TicketService);

export const stateKeys: Record<TicketState, TextKey> = {
  [TicketState.UNSPECIFIED]: "unknown",
  [TicketState.NEW]: "ticketNew",
  [TicketState.OPEN]: "ticketOpen",
  [TicketState.WAITING_ON_CUSTOMER]: "ticketWaitingOnCustomer",
  [TicketState.WAITING_ON_THIRD_PARTY]: "ticketWaitingOnThirdParty",
  [TicketState.RESOLVED]: "ticketResolved",
  [TicketState.CLOSED]: "ticketClosed",
};
const priorityKeys: Record<TicketPriority, TextKey> = {
  [TicketPriority.UNSPECIFIED]: "unknown",
  [TicketPriority.LOW]: "priorityLow",
  [TicketPriority.NORMAL]: "priorityNormal",
  [TicketPriority.HIGH]: "priorityHigh",
  [TicketPriority.URGENT]: "priorityUrgent",
};
const slaKeys: Record<SlaState, TextKey> = {
  [SlaState.UNSPECIFIED]: "unknown",
  [SlaState.NONE]: "slaNone",
  [SlaState.ON_TRACK]: "slaOnTrack",
  [SlaState.WARNING]: "slaWarning",
  [SlaState.BREACHED]: "slaBreached",
  [SlaState.PAUSED]: "slaPaused",
  [SlaState.MET]: "slaMet",
};

const ticketStyles = css`
  .sla-warning {
    color: #8a5300;
    font-weight: 600;
  }
  .sla-breached {
    color: var(--danger, #b3261e);
    font-weight: 600;
  }
  .muted {
    color: var(--muted, #5b6577);
  }
  label.inline {
    display: flex;
    align-items: center;
    gap: 0.5rem;
  }
  label.inline input {
    width: auto;
  }
`;

function slaBadge(ticket: Ticket) {
  const text = t(slaKeys[ticket.slaState]);
  if (ticket.slaState === SlaState.BREACHED) return html`<span class="sla-breached">⚠ ${text}</span>`;
  if (ticket.slaState === SlaState.WARNING) return html`<span class="sla-warning">${text}</span>`;
  return html`<span class="muted">${text}</span>`;
}

export class KartonTicketList extends LitElement {
  static properties = {
    openOnly: { state: true },
  };

  declare openOnly: boolean;
  private readonly list = new PagedList<Ticket>(this, async (pageToken) => {
    const answer = await tickets.listTickets({ pageSize: 50, pageToken, openOnly: this.openOnly });
    return { items: answer.tickets, nextPageToken: answer.nextPageToken };
  });

  constructor() {
    super();
    this.openOnly = true;
  }

  override render() {
    return html`
      <section>
        <h1>${t("tickets")}</h1>
        ${openOnlyToggle(this.openOnly, (openOnly) => {
          this.openOnly = openOnly;
          void this.list.load(false);
        })}
        <p class="problem" role="alert">${this.list.problem}</p>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">${t("ticketNumber")}</th>
                <th scope="col">${t("subject")}</th>
                <th scope="col">${t("requester")}</th>
                <th scope="col">${t("priority")}</th>
                <th scope="col">${t("state")}</th>
                <th scope="col">${t("sla")}</th>
                <th scope="col">${t("resolveBy")}</th>
              </tr>
            </thead>
            <tbody>
              ${this.list.items.map(
                (ticket) => html`
                  <tr>
                    <td><a href="#/tickets/${ticket.id}">${ticket.number}</a></td>
                    <td>${ticket.subject}</td>
                    <td>${ticket.requesterName || ticket.requesterEmail}</td>
                    <td>${t(priorityKeys[ticket.priority])}</td>
                    <td>${t(stateKeys[ticket.state])}</td>
                    <td>${slaBadge(ticket)}</td>
                    <td>${ticket.resolveDueTime ? formatDateTime(timestampDate(ticket.resolveDueTime)) : ""}</td>
                  </tr>
                `,
              )}
            </tbody>
          </table>
        </div>
        ${listFooter(this.list, t("noTickets"))}
      </section>
    `;
  }

  static styles = [sharedStyles, ticketStyles];
}

// The states an agent moves a ticket to from its page, by where it is.
function nextStates(state: TicketState): TicketState[] {
  switch (state) {
    case TicketState.NEW:
    case TicketState.OPEN:
      return [TicketState.WAITING_ON_CUSTOMER, TicketState.WAITING_ON_THIRD_PARTY, TicketState.RESOLVED];
    case TicketState.WAITING_ON_CUSTOMER:
    case TicketState.WAITING_ON_THIRD_PARTY:
      return [TicketState.OPEN, TicketState.RESOLVED];
    case TicketState.RESOLVED:
      return [TicketState.CLOSED, TicketState.OPEN];
    case TicketState.CLOSED:
      return [TicketState.OPEN];
    default:
      return [];
  }
}

export class KartonTicketView extends LitElement {
  static properties = {
    ticketId: { attribute: false },
    ticket: { state: true },
    problem: { state: true },
    done: { state: true },
  };

  declare ticketId: bigint;
  declare ticket: Ticket | null;
  declare problem: string;
  declare done: string;

  constructor() {
    super();
    this.ticketId = 0n;
    this.ticket = null;
    this.problem = "";
    this.done = "";
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("ticketId") && this.ticketId > 0n) void this.load();
  }

  private async load() {
    try {
      this.ticket = await tickets.getTicket({ id: this.ticketId });
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private async comment(event: SubmitEvent) {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    this.problem = "";
    this.done = "";
    try {
      await tickets.addComment({
        ticketId: this.ticketId,
        comment: {
          body: String(form.get("body")),
          visibility: form.get("public") ? CommentVisibility.PUBLIC : CommentVisibility.INTERNAL,
        },
      });
      formElement.reset();
      this.done = t("commentAdded");
      await this.load();
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private async moveTo(state: TicketState) {
    this.problem = "";
    this.done = "";
    try {
      this.ticket = await tickets.changeState({ id: this.ticketId, etag: this.ticket?.etag ?? "", state });
      this.done = t("ticketMoved", t(stateKeys[state]));
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  override render() {
    const ticket = this.ticket;
    if (!ticket) {
      return html`<section>
        <p class="problem" role="alert">${this.problem}</p>
        ${this.problem ? "" : html`<p aria-live="polite">${t("loading")}</p>`}
      </section>`;
    }
    return html`
      <section>
        <h1>${ticket.number}: ${ticket.subject}</h1>
        <p class="problem" role="alert">${this.problem}</p>
        <p role="status">${this.done}</p>
        <p>
          ${t("state")}: <strong>${t(stateKeys[ticket.state])}</strong> · ${t("priority")}:
          ${t(priorityKeys[ticket.priority])} · ${t("sla")}: ${slaBadge(ticket)}
        </p>
        <p>
          ${t("requester")}:
          ${ticket.partnerId > 0n
            ? html`<a href="#/partners/${ticket.partnerId}">${ticket.requesterName || ticket.requesterEmail}</a>`
            : ticket.requesterName || ticket.requesterEmail}
        </p>
        <p style="white-space: pre-wrap">${ticket.description}</p>
        <div role="group" aria-label=${t("changeState")}>
          ${nextStates(ticket.state).map(
            (state) => html`<button class="quiet" @click=${() => this.moveTo(state)}>
              ${t("moveTicketTo", t(stateKeys[state]))}
            </button>`,
          )}
        </div>
      </section>
      <section aria-labelledby="comments">
        <h2 id="comments">${t("comments")}</h2>
        ${ticket.comments.length === 0
          ? html`<p>${t("noComments")}</p>`
          : html`<ol class="plain">
              ${ticket.comments.map(
                (comment) => html`<li>
                  <time class="muted">${comment.createTime ? formatDateTime(timestampDate(comment.createTime)) : ""}</time>
                  <strong
                    >${comment.visibility === CommentVisibility.PUBLIC ? t("toCustomer") : t("internalNote")}</strong
                  >
                  <div style="white-space: pre-wrap">${comment.body}</div>
                </li>`,
              )}
            </ol>`}
        <form @submit=${this.comment}>
          <p>
            <label for="comment-body">${t("newComment")}</label>
            <textarea id="comment-body" name="body" rows="3" required></textarea>
          </p>
          <p>
            <label class="inline"><input type="checkbox" name="public" /> ${t("sendToCustomer")}</label>
          </p>
          <button type="submit">${t("addComment")}</button>
        </form>
      </section>
    `;
  }

  static styles = [
    sharedStyles,
    ticketStyles,
    css`
      ol.plain {
        list-style: none;
        padding: 0;
        margin: 0 0 1rem;
      }
      ol.plain li {
        padding: 0.5rem 0;
        border-bottom: 1px solid var(--line, #d8dde6);
      }
      div[role="group"] {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
    `,
  ];
}

customElements.define("karton-ticket-list", KartonTicketList);
customElements.define("karton-ticket-view", KartonTicketView);
