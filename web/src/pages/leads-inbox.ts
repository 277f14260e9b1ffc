// <karton-leads-inbox>: the NEW leads the caller may see, newest first.
// Each can be taken ("Assign to me"), qualified (its partner is found or
// created and a deal opens in the first pipeline: the deal's card is where
// the work goes on) or disqualified with a reason.
import { create } from "@bufbuild/protobuf";
import { FieldMaskSchema, timestampDate } from "@bufbuild/protobuf/wkt";
import { LitElement, css, html } from "lit";

import { type Session, client, problemOf } from "../api.js";
import { type Lead, LeadSchema, LeadSource, LeadStatus } from "../gen/karton/crm/v1/crm_pb.js";
import { LeadService } from "../gen/karton/crm/v1/lead_service_pb.js";
import { type TextKey, formatDateTime, t } from "../i18n.js";
import { sharedStyles } from "../shared-styles.js";

const leads = client(LeadService);

const sourceText: Record<number, TextKey> = {
  [LeadSource.MANUAL]: "sourceManual",
  [LeadSource.WEB_FORM]: "sourceWebForm",
  [LeadSource.IMPORT]: "sourceImport",
  [LeadSource.EMAIL]: "sourceEmail",
};

export class KartonLeadsInbox extends LitElement {
  static properties = {
    session: { attribute: false },
    found: { state: true },
    problem: { state: true },
    notice: { state: true },
    disqualifying: { state: true },
  };

  declare session: Session | null;
  declare found: Lead[];
  declare problem: string;
  declare notice: string;
  // The lead whose reason for disqualifying is being asked for.
  declare disqualifying: Lead | null;

  constructor() {
    super();
    this.session = null;
    this.found = [];
    this.problem = "";
    this.notice = "";
    this.disqualifying = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      const answer = await leads.listLeads({ status: LeadStatus.NEW, pageSize: 200 });
      this.found = answer.leads;
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private replace(lead: Lead) {
    this.found = this.found
      .map((each) => (each.id === lead.id ? lead : each))
      .filter((each) => each.status === LeadStatus.NEW);
  }

  private async act(action: () => Promise<Lead>, notice: string) {
    this.problem = "";
    this.notice = "";
    try {
      this.replace(await action());
      this.notice = notice;
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private assignToMe(lead: Lead) {
    void this.act(async () => {
      return leads.updateLead({
        lead: create(LeadSchema, { id: lead.id, etag: lead.etag, assignedUserId: BigInt(this.session!.userId) }),
        updateMask: create(FieldMaskSchema, { paths: ["assigned_user_id"] }),
      });
    }, t("assigned", lead.title));
  }

  private qualify(lead: Lead) {
    void this.act(async () => {
      const answer = await leads.qualifyLead({ id: lead.id, etag: lead.etag });
      return answer.lead!;
    }, t("qualified", lead.title));
  }

  private submitDisqualify(event: SubmitEvent) {
    event.preventDefault();
    const lead = this.disqualifying;
    if (!lead) return;
    const reason = String(new FormData(event.target as HTMLFormElement).get("reason"));
    this.disqualifying = null;
    void this.act(() => leads.disqualifyLead({ id: lead.id, etag: lead.etag, reason }), t("disqualified", lead.title));
  }

  private row(lead: Lead) {
    const mine = this.session && lead.assignedUserId === BigInt(this.session.userId);
    return html`
      <li class="lead" aria-label=${lead.title}>
        <div class="what">
          <strong>${lead.title}</strong>
          <span>${[lead.contactName, lead.companyName].filter(Boolean).join(", ")}</span>
          <span class="meta">
            ${sourceText[lead.source] ? t(sourceText[lead.source]) : ""}
            ${lead.createTime ? ` · ${formatDateTime(timestampDate(lead.createTime))}` : ""}
            ${lead.city ? ` · ${lead.city}` : ""}
          </span>
          ${lead.message ? html`<p class="message">${lead.message}</p>` : ""}
        </div>
        <div class="actions">
          ${mine ? html`<span class="meta">${t("yours")}</span>` : html`<button class="quiet" @click=${() => this.assignToMe(lead)}>${t("assignToMe")}</button>`}
          <button @click=${() => this.qualify(lead)}>${t("qualify")}</button>
          <button class="quiet" @click=${() => (this.disqualifying = lead)}>${t("disqualify")}</button>
        </div>
        ${this.disqualifying?.id === lead.id
          ? html`<form class="reason" @submit=${this.submitDisqualify}>
              <label for="reason-${lead.id}">${t("disqualifyReason")}</label>
              <input id="reason-${lead.id}" name="reason" required maxlength="500" />
              <button type="submit">${t("confirmDisqualify")}</button>
              <button type="button" class="quiet" @click=${() => (this.disqualifying = null)}>${t("cancel")}</button>
            </form>`
          : ""}
      </li>
    `;
  }

  override render() {
    return html`
      <h1>${t("leads")}</h1>
      <p class="problem" role="alert">${this.problem}</p>
      <p class="notice" role="status">${this.notice}</p>
      ${this.found.length === 0 ? html`<p>${t("noLeads")}</p>` : html`<ul>${this.found.map((lead) => this.row(lead))}</ul>`}
    `;
  }

  static styles = [
    sharedStyles,
    css`
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .lead {
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 0.5rem 1rem;
        background: var(--surface, #fff);
        border: 1px solid var(--line, #d8dde6);
        border-radius: 8px;
        padding: 0.75rem 1rem;
        margin-bottom: 0.75rem;
      }
      .what {
        display: grid;
        gap: 0.2rem;
      }
      .meta {
        color: var(--muted, #5b6577);
        font-size: 0.9rem;
      }
      .message {
        margin: 0.25rem 0 0;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: start;
      }
      .reason {
        grid-column: 1 / -1;
        display: grid;
        gap: 0.5rem;
      }
      .notice {
        color: var(--ink, #1d2430);
      }
      @media (max-width: 600px) {
        .lead {
          grid-template-columns: 1fr;
        }
      }
    `,
  ];
}

customElements.define("karton-leads-inbox", KartonLeadsInbox);
