// <karton-reports>: the reports of the reports module (docs/reports.md)
// over a date range, for a colleague or a team: pipeline by stage,
// weighted forecast by month, win rate and cycle per owner, activities per
// colleague. Each answers from what the user may see, as a table typed by
// column, and downloads as CSV or XLSX through kartond's /files bridge.
// The user saves a report's choices under a name and opens them again
// from the list of their saved reports.
import { LitElement, css, html } from "lit";

import { client, downloadUrl, problemOf } from "../api.js";
import type { Team, User } from "../gen/karton/kernel/v1/identity_service_pb.js";
import {
  Report,
  ReportService,
  type RunReportResponse,
  type SavedReport,
} from "../gen/karton/reports/v1/report_service_pb.js";
import { day } from "../format.js";
import { t } from "../i18n.js";
import {
  type ReportFilters,
  calendarDate,
  colleaguesAndTeams,
  exportParameters,
  inputDate,
  reportChoices,
  reportName,
  reportRequest,
} from "../report-data.js";
import { emptyFilters, filterFields, reportStyles, reportTable } from "../report-view.js";
import { sharedStyles } from "../shared-styles.js";

const reports = client(ReportService);

export class KartonReports extends LitElement {
  static properties = {
    report: { state: true },
    filters: { state: true },
    users: { state: true },
    teams: { state: true },
    result: { state: true },
    problem: { state: true },
    loading: { state: true },
    saved: { state: true },
    savedName: { state: true },
    notice: { state: true },
  };

  declare report: Report;
  declare filters: ReportFilters;
  declare users: User[];
  declare teams: Team[];
  declare result: RunReportResponse | null;
  declare problem: string;
  declare loading: boolean;
  declare saved: SavedReport[];
  declare savedName: string;
  declare notice: string;

  constructor() {
    super();
    this.report = Report.PIPELINE_BY_STAGE;
    this.filters = emptyFilters();
    this.users = [];
    this.teams = [];
    this.result = null;
    this.problem = "";
    this.loading = false;
    this.saved = [];
    this.savedName = "";
    this.notice = "";
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void colleaguesAndTeams().then(({ users, teams }) => {
      this.users = users;
      this.teams = teams;
    });
    void this.loadSaved();
  }

  private async loadSaved() {
    try {
      this.saved = (await reports.listSavedReports({})).savedReports;
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private async run(event?: SubmitEvent) {
    event?.preventDefault();
    this.problem = "";
    this.notice = "";
    this.loading = true;
    try {
      this.result = await reports.runReport(reportRequest(this.report, this.filters));
    } catch (error) {
      this.result = null;
      this.problem = problemOf(error);
    } finally {
      this.loading = false;
    }
  }

  private async save(event: SubmitEvent) {
    event.preventDefault();
    this.problem = "";
    this.notice = "";
    try {
      const saved = await reports.createSavedReport({
        savedReport: {
          name: this.savedName.trim(),
          report: this.report,
          fromDate: calendarDate(this.filters.fromDate),
          toDate: calendarDate(this.filters.toDate),
          ownerUserId: this.filters.ownerUserId,
          teamId: this.filters.teamId,
        },
      });
      this.notice = t("reportSaved", saved.name);
      this.savedName = "";
      await this.loadSaved();
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  // A saved report's choices back in the form, and the report run.
  private async open(saved: SavedReport) {
    this.report = saved.report;
    this.filters = {
      fromDate: inputDate(saved.fromDate),
      toDate: inputDate(saved.toDate),
      ownerUserId: saved.ownerUserId,
      teamId: saved.teamId,
    };
    await this.run();
  }

  private async deleteSaved(saved: SavedReport) {
    this.problem = "";
    this.notice = "";
    try {
      await reports.deleteSavedReport({ id: saved.id });
      this.notice = t("reportDeleted", saved.name);
      await this.loadSaved();
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private period(saved: SavedReport): string {
    const from = day(saved.fromDate);
    const to = day(saved.toDate);
    return from || to ? `${from} – ${to}` : t("anyTime");
  }

  private savedList() {
    return html`<section aria-labelledby="saved">
      <h2 id="saved">${t("savedReports")}</h2>
      ${this.saved.length === 0
        ? html`<p>${t("noSavedReports")}</p>`
        : html`<ul class="saved">
            ${this.saved.map(
              (saved) =>
                html`<li>
                  <span class="name">${saved.name}</span>
                  <span class="muted">${t(reportName(saved.report))} · ${this.period(saved)}</span>
                  <button class="quiet" aria-label=${t("openSavedReport", saved.name)} @click=${() => this.open(saved)}>
                    ${t("open")}
                  </button>
                  <button
                    class="quiet"
                    aria-label=${t("deleteSavedReport", saved.name)}
                    @click=${() => this.deleteSaved(saved)}
                  >
                    ${t("delete")}
                  </button>
                </li>`,
            )}
          </ul>`}
    </section>`;
  }

  override render() {
    const result = this.result;
    const title = t(reportName(this.report));
    const exportUrl = (format: string) =>
      downloadUrl(
        "karton.reports.v1.ReportService/ExportReport",
        exportParameters(this.report, this.filters, format),
      );
    return html`
      <section>
        <h1>${t("reports")}</h1>
        <form @submit=${this.run}>
          <div class="fields">
            <p>
              <label for="report">${t("report")}</label>
              <select
                id="report"
                .value=${String(this.report)}
                @change=${(event: Event) => (this.report = Number((event.target as HTMLSelectElement).value))}
              >
                ${reportChoices.map(
                  ([report, label]) =>
                    html`<option value=${report} ?selected=${report === this.report}>${t(label)}</option>`,
                )}
              </select>
            </p>
            ${filterFields(this.filters, this.users, this.teams, (filters) => (this.filters = filters))}
          </div>
          <button type="submit">${t("runReport")}</button>
        </form>
        <p class="problem" role="alert">${this.problem}</p>
        <p role="status">${this.notice}</p>
        <p aria-live="polite">${this.loading ? t("loading") : ""}</p>
      </section>
      ${result
        ? html`<section aria-labelledby="result">
            <h2 id="result">${title}</h2>
            <p class="downloads">
              <a href=${exportUrl("EXPORT_FORMAT_CSV")} download>${t("downloadCsv")}</a>
              <a href=${exportUrl("EXPORT_FORMAT_XLSX")} download>${t("downloadXlsx")}</a>
            </p>
            ${reportTable(result, title)}
            ${result.rows.length === 0 ? html`<p>${t("reportEmpty")}</p>` : ""}
            <form class="save" @submit=${this.save}>
              <p>
                <label for="saved-name">${t("savedReportName")}</label>
                <input
                  id="saved-name"
                  required
                  maxlength="200"
                  .value=${this.savedName}
                  @input=${(event: Event) => (this.savedName = (event.target as HTMLInputElement).value)}
                />
              </p>
              <button type="submit">${t("saveReport")}</button>
            </form>
          </section>`
        : ""}
      ${this.savedList()}
    `;
  }

  static styles = [
    sharedStyles,
    reportStyles,
    css`
      .downloads {
        display: flex;
        gap: 1rem;
      }
      .save {
        display: flex;
        flex-wrap: wrap;
        align-items: flex-end;
        gap: 0 1rem;
        margin-top: 1rem;
      }
      .save p {
        flex: 1 1 16rem;
        margin: 0 0 0.75rem;
      }
      .save button {
        margin-bottom: 0.75rem;
      }
      .saved {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .saved li {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.25rem 0.75rem;
        padding: 0.5rem 0;
        border-bottom: 1px solid var(--line, #d8dde6);
      }
      .saved .name {
        font-weight: 600;
      }
      .muted {
        color: var(--muted, #5b6577);
        flex: 1;
      }
    `,
  ];
}

customElements.define("karton-reports", KartonReports);
