// <karton-reports>: the sales reports of the reports module (docs/reports.md)
// over a date range: pipeline by stage, weighted forecast by month, win
// rate and cycle per owner, activities per colleague. Each answers from
// what the user may see in the CRM, as a table typed by column, and
// downloads as CSV or XLSX through kartond's /files bridge.
import { LitElement, css, html } from "lit";

import { client, downloadUrl, problemOf } from "../api.js";
import {
  type Cell,
  ColumnType,
  Report,
  ReportService,
  type RunReportResponse,
} from "../gen/karton/reports/v1/report_service_pb.js";
import { money } from "../format.js";
import { type TextKey, t } from "../i18n.js";
import { sharedStyles } from "../shared-styles.js";

const reports = client(ReportService);

const reportChoices: Array<[Report, TextKey, string]> = [
  [Report.PIPELINE_BY_STAGE, "reportPipeline", "REPORT_PIPELINE_BY_STAGE"],
  [Report.FORECAST_BY_MONTH, "reportForecast", "REPORT_FORECAST_BY_MONTH"],
  [Report.WIN_RATE_BY_OWNER, "reportWinRate", "REPORT_WIN_RATE_BY_OWNER"],
  [Report.ACTIVITIES_BY_OWNER, "reportActivities", "REPORT_ACTIVITIES_BY_OWNER"],
];

// The columns' titles in the user's language, by their stable keys (the
// server's titles are English); a key not here shows the server's title.
const columnTitles: Record<string, TextKey> = {
  pipeline: "columnPipeline",
  stage: "columnStage",
  probability: "columnProbability",
  owner: "columnOwner",
  currency: "columnCurrency",
  deals: "columnDeals",
  total: "columnExpectedRevenue",
  weighted: "columnWeighted",
  month: "columnMonth",
  won: "columnWon",
  lost: "columnLost",
  win_rate: "columnWinRate",
  average_cycle_days: "columnCycleDays",
  done: "columnDone",
  open: "columnOpen",
  overdue: "columnOverdue",
};

const integers = new Intl.NumberFormat("hu-HU");
const percents = new Intl.NumberFormat("hu-HU", { style: "percent", maximumFractionDigits: 1 });

function cellText(cell: Cell, type: ColumnType): string {
  switch (cell.value.case) {
    case "text":
      return cell.value.value;
    case "integer":
      return integers.format(cell.value.value);
    case "money":
      return money(cell.value.value);
    case "percentBasisPoints":
      return percents.format(Number(cell.value.value) / 10000);
    default:
      return type === ColumnType.TEXT ? "" : "—";
  }
}

// "2026-12-05" (a date input's value) as the API's date, or nothing.
function calendarDate(value: string) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return match ? { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) } : undefined;
}

export class KartonReports extends LitElement {
  static properties = {
    report: { state: true },
    fromDate: { state: true },
    toDate: { state: true },
    result: { state: true },
    problem: { state: true },
    loading: { state: true },
  };

  declare report: Report;
  declare fromDate: string;
  declare toDate: string;
  declare result: RunReportResponse | null;
  declare problem: string;
  declare loading: boolean;

  constructor() {
    super();
    this.report = Report.PIPELINE_BY_STAGE;
    this.fromDate = "";
    this.toDate = "";
    this.result = null;
    this.problem = "";
    this.loading = false;
  }

  private async run(event?: SubmitEvent) {
    event?.preventDefault();
    this.problem = "";
    this.loading = true;
    try {
      this.result = await reports.runReport({
        report: this.report,
        fromDate: calendarDate(this.fromDate),
        toDate: calendarDate(this.toDate),
      });
    } catch (error) {
      this.result = null;
      this.problem = problemOf(error);
    } finally {
      this.loading = false;
    }
  }

  // The same report as a file: the query carries the form's choices.
  private exportUrl(format: string): string {
    const parameters: Record<string, string> = {
      report: reportChoices.find(([report]) => report === this.report)?.[2] ?? "",
      format,
    };
    for (const [name, value] of [
      ["from_date", this.fromDate],
      ["to_date", this.toDate],
    ] as const) {
      const date = calendarDate(value);
      if (!date) continue;
      parameters[`${name}.year`] = String(date.year);
      parameters[`${name}.month`] = String(date.month);
      parameters[`${name}.day`] = String(date.day);
    }
    return downloadUrl("karton.reports.v1.ReportService/ExportReport", parameters);
  }

  override render() {
    const result = this.result;
    // Ids are for programs (they stay in the downloads), not for people.
    const shown = result
      ? result.columns.map((column, index) => ({ column, index })).filter(({ column }) => !column.key.endsWith("_id"))
      : [];
    const title = t(reportChoices.find(([report]) => report === this.report)?.[1] ?? "reports");
    return html`
      <section>
        <h1>${t("reports")}</h1>
        <form @submit=${this.run}>
          <div class="fields">
            <p>
              <label for="report">${t("report")}</label>
              <select
                id="report"
                @change=${(event: Event) => (this.report = Number((event.target as HTMLSelectElement).value))}
              >
                ${reportChoices.map(
                  ([report, label]) =>
                    html`<option value=${report} ?selected=${report === this.report}>${t(label)}</option>`,
                )}
              </select>
            </p>
            <p>
              <label for="from">${t("fromDate")}</label>
              <input
                id="from"
                type="date"
                .value=${this.fromDate}
                @change=${(event: Event) => (this.fromDate = (event.target as HTMLInputElement).value)}
              />
            </p>
            <p>
              <label for="to">${t("toDate")}</label>
              <input
                id="to"
                type="date"
                .value=${this.toDate}
                @change=${(event: Event) => (this.toDate = (event.target as HTMLInputElement).value)}
              />
            </p>
          </div>
          <button type="submit">${t("runReport")}</button>
        </form>
        <p class="problem" role="alert">${this.problem}</p>
        <p aria-live="polite">${this.loading ? t("loading") : ""}</p>
      </section>
      ${result
        ? html`<section aria-labelledby="result">
            <h2 id="result">${title}</h2>
            <p class="downloads">
              <a href=${this.exportUrl("EXPORT_FORMAT_CSV")} download>${t("downloadCsv")}</a>
              <a href=${this.exportUrl("EXPORT_FORMAT_XLSX")} download>${t("downloadXlsx")}</a>
            </p>
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    ${shown.map(
                      ({ column }) =>
                        html`<th scope="col" class=${column.type === ColumnType.TEXT ? "" : "number"}>
                          ${columnTitles[column.key] ? t(columnTitles[column.key]) : column.title}
                        </th>`,
                    )}
                  </tr>
                </thead>
                <tbody>
                  ${result.rows.map(
                    (row) =>
                      html`<tr>
                        ${shown.map(({ column, index }) => {
                          const cell = row.cells[index];
                          return html`<td class=${column.type === ColumnType.TEXT ? "" : "number"}>
                            ${cell ? cellText(cell, column.type) : ""}
                          </td>`;
                        })}
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            ${result.rows.length === 0 ? html`<p>${t("reportEmpty")}</p>` : ""}
          </section>`
        : ""}
    `;
  }

  static styles = [
    sharedStyles,
    css`
      .fields {
        display: flex;
        flex-wrap: wrap;
        gap: 0 1rem;
      }
      .fields p {
        flex: 1 1 12rem;
        margin: 0 0 0.75rem;
      }
      select {
        box-sizing: border-box;
        width: 100%;
        font: inherit;
        padding: 0.5rem;
      }
      .number {
        text-align: right;
        white-space: nowrap;
      }
      .downloads {
        display: flex;
        gap: 1rem;
      }
    `,
  ];
}

customElements.define("karton-reports", KartonReports);
