// <karton-pipeline-board>: the open deals of a pipeline in a column per
// stage. A deal is dragged to another stage (or moved with its "Move to"
// list, from the keyboard). A deal without a planned activity is marked;
// when its pipeline requires a next step (C8), the move asks for the next
// task in the same gesture and sends both in one request, so the deal is
// never left without one.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { LitElement, css, html } from "lit";

import { client, problemOf } from "../api.js";
import { ActivitySchema, ActivityType } from "../gen/karton/crm/v1/activity_pb.js";
import type { Opportunity, Pipeline, Stage } from "../gen/karton/crm/v1/crm_pb.js";
import { OpportunityStatus } from "../gen/karton/crm/v1/crm_pb.js";
import { OpportunityService } from "../gen/karton/crm/v1/opportunity_service_pb.js";
import { PipelineService } from "../gen/karton/crm/v1/pipeline_service_pb.js";
import { PartnerService } from "../gen/karton/partners/v1/partner_service_pb.js";
import { money } from "../format.js";
import { t } from "../i18n.js";
import { sharedStyles } from "../shared-styles.js";

const pipelines = client(PipelineService);
const opportunities = client(OpportunityService);
const partners = client(PartnerService);

// A move waiting for its next step: the deal and where it goes.
interface PendingMove {
  deal: Opportunity;
  stage: Stage;
}

export class KartonPipelineBoard extends LitElement {
  static properties = {
    pipeline: { state: true },
    deals: { state: true },
    stale: { state: true },
    partnerNames: { state: true },
    problem: { state: true },
    pending: { state: true },
  };

  declare pipeline: Pipeline | null;
  declare deals: Opportunity[];
  declare stale: Set<bigint>;
  declare partnerNames: Map<bigint, string>;
  declare problem: string;
  declare pending: PendingMove | null;

  constructor() {
    super();
    this.pipeline = null;
    this.deals = [];
    this.stale = new Set();
    this.partnerNames = new Map();
    this.problem = "";
    this.pending = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    this.problem = "";
    try {
      const all = await pipelines.listPipelines({});
      this.pipeline = all.pipelines[0] ?? null;
      if (!this.pipeline) return;
      const [open, stale] = await Promise.all([
        opportunities.listOpportunities({
          pipelineId: this.pipeline.id,
          status: OpportunityStatus.OPEN,
          pageSize: 1000,
        }),
        opportunities.listStaleOpportunities({ pageSize: 1000 }),
      ]);
      this.deals = open.opportunities;
      this.stale = new Set(stale.opportunities.map((deal) => deal.id));
      const ids = [...new Set(this.deals.map((deal) => deal.partnerId).filter((id) => id > 0n))];
      if (ids.length > 0) {
        const found = await partners.batchGetPartners({ ids });
        this.partnerNames = new Map(found.partners.map((partner) => [partner.id, partner.displayName]));
      }
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private openStages(): Stage[] {
    return this.pipeline?.stages.filter((stage) => !stage.won && !stage.lost) ?? [];
  }

  // A move the user asked for: straight away, or first the next step when
  // the pipeline requires one and the deal has none planned.
  private requestMove(deal: Opportunity, stage: Stage) {
    if (deal.stageId === stage.id) return;
    if (this.pipeline?.requireNextStep && this.stale.has(deal.id)) {
      this.pending = { deal, stage };
      return;
    }
    void this.move(deal, stage);
  }

  private async move(deal: Opportunity, stage: Stage, nextTask?: { subject: string; due: Date }) {
    this.problem = "";
    try {
      const moved = await opportunities.moveStage({
        id: deal.id,
        etag: deal.etag,
        stageId: stage.id,
        nextActivity: nextTask
          ? create(ActivitySchema, {
              type: ActivityType.TASK,
              subject: nextTask.subject,
              dueTime: timestampFromDate(nextTask.due),
            })
          : undefined,
      });
      this.deals = this.deals.map((each) => (each.id === moved.id ? moved : each));
      if (nextTask) this.stale = new Set([...this.stale].filter((id) => id !== moved.id));
      this.pending = null;
    } catch (error) {
      // The server knows best whether a next step is missing (another
      // colleague may have completed the last one).
      if (error instanceof ConnectError && error.code === Code.FailedPrecondition && !nextTask) {
        this.pending = { deal, stage };
        return;
      }
      this.problem = problemOf(error);
    }
  }

  private submitNextStep(event: SubmitEvent) {
    event.preventDefault();
    if (!this.pending) return;
    const form = new FormData(event.target as HTMLFormElement);
    const due = new Date(`${String(form.get("due"))}T09:00:00`);
    void this.move(this.pending.deal, this.pending.stage, { subject: String(form.get("subject")), due });
  }

  private onDrop(event: DragEvent, stage: Stage) {
    event.preventDefault();
    (event.currentTarget as HTMLElement).classList.remove("over");
    const id = event.dataTransfer?.getData("text/plain");
    const deal = this.deals.find((each) => String(each.id) === id);
    if (deal) this.requestMove(deal, stage);
  }

  private card(deal: Opportunity) {
    const revenue = money(deal.expectedRevenue);
    const stale = this.stale.has(deal.id);
    return html`
      <li
        class="deal ${stale ? "stale" : ""}"
        draggable="true"
        data-deal=${String(deal.id)}
        @dragstart=${(event: DragEvent) => event.dataTransfer?.setData("text/plain", String(deal.id))}
      >
        <strong>${deal.name}</strong>
        <span>${this.partnerNames.get(deal.partnerId) ?? ""}</span>
        <span>${revenue}</span>
        ${stale ? html`<span class="badge">${t("noNextStep")}</span>` : ""}
        <select
            aria-label="${t("moveTo")}: ${deal.name}"
            @change=${(event: Event) => {
              const select = event.target as HTMLSelectElement;
              const stage = this.openStages().find((each) => String(each.id) === select.value);
              select.value = "";
              if (stage) this.requestMove(deal, stage);
            }}
          >
            <option value="">${t("moveTo")}…</option>
            ${this.openStages()
              .filter((stage) => stage.id !== deal.stageId)
              .map((stage) => html`<option value=${String(stage.id)}>${stage.name}</option>`)}
        </select>
      </li>
    `;
  }

  private nextStepDialog() {
    const pending = this.pending;
    if (!pending) return "";
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    return html`
      <section class="dialog" role="dialog" aria-modal="false" aria-labelledby="next-step-title">
        <h2 id="next-step-title">${t("nextStepTitle", pending.deal.name, pending.stage.name)}</h2>
        <p>${t("nextStepWhy")}</p>
        <form @submit=${this.submitNextStep}>
          <p>
            <label for="subject">${t("nextTask")}</label>
            <input id="subject" name="subject" required maxlength="200" />
          </p>
          <p>
            <label for="due">${t("due")}</label>
            <input id="due" name="due" type="date" required .value=${tomorrow} />
          </p>
          <button type="submit">${t("moveWithNextStep")}</button>
          <button type="button" class="quiet" @click=${() => (this.pending = null)}>${t("cancel")}</button>
        </form>
      </section>
    `;
  }

  override render() {
    if (!this.pipeline) {
      return html`<h1>${t("pipeline")}</h1>
        <p class="problem" role="alert">${this.problem}</p>`;
    }
    return html`
      <h1>${t("pipeline")}: ${this.pipeline.name}</h1>
      <p class="problem" role="alert">${this.problem}</p>
      ${this.nextStepDialog()}
      <div class="board">
        ${this.openStages().map(
          (stage) => html`
            <section
              class="column"
              aria-label=${stage.name}
              data-stage=${String(stage.id)}
              @dragover=${(event: DragEvent) => {
                event.preventDefault();
                (event.currentTarget as HTMLElement).classList.add("over");
              }}
              @dragleave=${(event: DragEvent) => (event.currentTarget as HTMLElement).classList.remove("over")}
              @drop=${(event: DragEvent) => this.onDrop(event, stage)}
            >
              <h2>${stage.name} <span class="probability">${stage.probability}%</span></h2>
              <ul>
                ${this.deals.filter((deal) => deal.stageId === stage.id).map((deal) => this.card(deal))}
              </ul>
            </section>
          `,
        )}
      </div>
    `;
  }

  static styles = [
    sharedStyles,
    css`
      .board {
        display: grid;
        grid-auto-flow: column;
        grid-auto-columns: minmax(15rem, 1fr);
        gap: 0.75rem;
        overflow-x: auto;
      }
      .column {
        margin: 0;
        min-height: 10rem;
      }
      .column.over {
        outline: 3px dashed var(--accent, #1f5fbf);
      }
      .probability {
        color: var(--muted, #5b6577);
        font-weight: 400;
        font-size: 0.9rem;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .deal {
        display: grid;
        gap: 0.25rem;
        padding: 0.6rem;
        margin-bottom: 0.5rem;
        border: 1px solid var(--line, #d8dde6);
        border-radius: 6px;
        background: var(--page, #f4f6f9);
        cursor: grab;
      }
      .deal.stale {
        border-left: 4px solid var(--danger, #b3261e);
      }
      .badge {
        color: var(--danger, #b3261e);
        font-size: 0.85rem;
        font-weight: 600;
      }
      select {
        font: inherit;
        padding: 0.3rem;
      }
      .dialog {
        border: 2px solid var(--accent, #1f5fbf);
      }
      .visually-hidden {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip: rect(0 0 0 0);
      }
      @media (max-width: 600px) {
        .board {
          grid-auto-flow: row;
        }
      }
    `,
  ];
}

customElements.define("karton-pipeline-board", KartonPipelineBoard);
