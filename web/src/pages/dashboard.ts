// <karton-dashboard>: the sales reports at a glance (R1, R2, R5). Three
// figures (the open pipeline weighted, the win rate, overdue work) and a
// chart per report: pipeline by stage, weighted forecast by month, won and
// lost per owner, activities per colleague. Filtered by date range,
// colleague and team; each answer is what the reports module gives this
// user (docs/reports.md, "Who sees what"), so a salesperson sees their own
// numbers and a sales manager the team's. Every chart has its numbers as
// a table under it.
import { LitElement, css, html } from "lit";

import "../bar-chart.js";
import { client, problemOf } from "../api.js";
import type { ChartSpec } from "../charts.js";
import type { Team, User } from "../gen/karton/kernel/v1/identity_service_pb.js";
import { Report, ReportService, type RunReportResponse } from "../gen/karton/reports/v1/report_service_pb.js";
import { formatMoney, type TextKey, t } from "../i18n.js";
import {
  type ReportFilters,
  cellNumber,
  cellString,
  colleaguesAndTeams,
  columnIndex,
  reportName,
  reportRequest,
} from "../report-data.js";
import { emptyFilters, filterFields, reportStyles, reportTable } from "../report-view.js";
import { sharedStyles } from "../shared-styles.js";

const reports = client(ReportService);

const dashboardReports = [
  Report.PIPELINE_BY_STAGE,
  Report.FORECAST_BY_MONTH,
  Report.WIN_RATE_BY_OWNER,
  Report.ACTIVITIES_BY_OWNER,
];

type Answer = { result: RunReportResponse } | { problem: string };

// The currency most rows are in (HUF when none): a chart adds up amounts
// of one currency only.
function mainCurrency(result: RunReportResponse): string {
  const currency = columnIndex(result, "currency");
  const counts = new Map<string, number>();
  for (const row of result.rows) {
    const code = cellString(row.cells[currency]);
    if (code) counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  let best = "HUF";
  let bestCount = 0;
  for (const [code, count] of counts) {
    if (count > bestCount || (count === bestCount && code === "HUF")) [best, bestCount] = [code, count];
  }
  return best;
}

// Sums the report's `valueKeys` columns by the label `labelOf` gives each
// row (rows of other currencies than `currency` left out when it is set),
// keeping the labels in the report's order.
function sumBy(
  result: RunReportResponse,
  labelOf: (row: RunReportResponse["rows"][number]) => string,
  valueKeys: string[],
  currency = "",
): { labels: string[]; sums: number[][] } {
  const currencyColumn = columnIndex(result, "currency");
  const valueColumns = valueKeys.map((key) => columnIndex(result, key));
  const labels: string[] = [];
  const sums: number[][] = valueKeys.map(() => []);
  const position = new Map<string, number>();
  for (const row of result.rows) {
    if (currency && cellString(row.cells[currencyColumn]) !== currency) continue;
    const label = labelOf(row);
    let at = position.get(label);
    if (at === undefined) {
      at = labels.length;
      position.set(label, at);
      labels.push(label);
      sums.forEach((series) => series.push(0));
    }
    valueColumns.forEach((column, series) => (sums[series][at] += cellNumber(row.cells[column])));
  }
  return { labels, sums };
}

function specOf(report: Report, result: RunReportResponse): ChartSpec {
  const series = (keys: Array<[string, TextKey]>, sums: number[][]) =>
    keys.map(([, text], index) => ({ label: t(text), data: sums[index] }));
  switch (report) {
    case Report.PIPELINE_BY_STAGE: {
      const currency = mainCurrency(result);
      const pipeline = columnIndex(result, "pipeline");
      const stage = columnIndex(result, "stage");
      const pipelines = new Set(result.rows.map((row) => cellString(row.cells[pipeline])));
      const keys: Array<[string, TextKey]> = [
        ["total", "columnExpectedRevenue"],
        ["weighted", "columnWeighted"],
      ];
      const { labels, sums } = sumBy(
        result,
        (row) =>
          pipelines.size > 1
            ? `${cellString(row.cells[pipeline])}: ${cellString(row.cells[stage])}`
            : cellString(row.cells[stage]),
        keys.map(([key]) => key),
        currency,
      );
      return { labels, datasets: series(keys, sums), stacked: false, unit: "money", currency };
    }
    case Report.FORECAST_BY_MONTH: {
      const currency = mainCurrency(result);
      const month = columnIndex(result, "month");
      const keys: Array<[string, TextKey]> = [
        ["total", "columnExpectedRevenue"],
        ["weighted", "columnWeighted"],
      ];
      const { labels, sums } = sumBy(result, (row) => cellString(row.cells[month]), keys.map(([key]) => key), currency);
      return { labels, datasets: series(keys, sums), stacked: false, unit: "money", currency };
    }
    case Report.WIN_RATE_BY_OWNER: {
      const owner = columnIndex(result, "owner");
      const keys: Array<[string, TextKey]> = [
        ["won", "columnWon"],
        ["lost", "columnLost"],
      ];
      const { labels, sums } = sumBy(result, (row) => cellString(row.cells[owner]), keys.map(([key]) => key));
      return { labels, datasets: series(keys, sums), stacked: true, unit: "count", currency: "" };
    }
    default: {
      // Activities: overdue is a part of open, so the bars stand side by
      // side rather than stacked.
      const owner = columnIndex(result, "owner");
      const keys: Array<[string, TextKey]> = [
        ["done", "columnDone"],
        ["open", "columnOpen"],
        ["overdue", "columnOverdue"],
      ];
      const { labels, sums } = sumBy(result, (row) => cellString(row.cells[owner]), keys.map(([key]) => key));
      return { labels, datasets: series(keys, sums), stacked: false, unit: "count", currency: "" };
    }
  }
}

// One sentence for a screen reader: each label with its first series.
function summaryOf(report: Report, spec: ChartSpec): string {
  if (spec.labels.length === 0) return `${t(reportName(report))}: ${t("reportEmpty")}`;
  const values = spec.labels.map((label, index) =>
    spec.datasets.map((dataset) => `${label} ${dataset.label} ${dataset.data[index]}`).join(", "),
  );
  return t("chartSummary", t(reportName(report)), values.join("; "));
}

function total(result: RunReportResponse | undefined, key: string, currency = ""): number {
  if (!result) return 0;
  const { sums } = sumBy(result, () => "", [key], currency);
  return sums[0][0] ?? 0;
}

const integers = new Intl.NumberFormat("hu-HU");
const percents = new Intl.NumberFormat("hu-HU", { style: "percent", maximumFractionDigits: 1 });

export class KartonDashboard extends LitElement {
  static properties = {
    filters: { state: true },
    users: { state: true },
    teams: { state: true },
    answers: { state: true },
    loading: { state: true },
  };

  declare filters: ReportFilters;
  declare users: User[];
  declare teams: Team[];
  declare answers: Map<Report, Answer>;
  declare loading: boolean;

  constructor() {
    super();
    this.filters = emptyFilters();
    this.users = [];
    this.teams = [];
    this.answers = new Map();
    this.loading = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void colleaguesAndTeams().then(({ users, teams }) => {
      this.users = users;
      this.teams = teams;
    });
    void this.load();
  }

  private async load(event?: SubmitEvent) {
    event?.preventDefault();
    this.loading = true;
    const filters = this.filters;
    const settled = await Promise.allSettled(
      dashboardReports.map((report) => reports.runReport(reportRequest(report, filters))),
    );
    const answers = new Map<Report, Answer>();
    settled.forEach((outcome, index) =>
      answers.set(
        dashboardReports[index],
        outcome.status === "fulfilled" ? { result: outcome.value } : { problem: problemOf(outcome.reason) },
      ),
    );
    this.answers = answers;
    this.loading = false;
  }

  private result(report: Report): RunReportResponse | undefined {
    const answer = this.answers.get(report);
    return answer && "result" in answer ? answer.result : undefined;
  }

  private figures() {
    const pipeline = this.result(Report.PIPELINE_BY_STAGE);
    const currency = pipeline ? mainCurrency(pipeline) : "HUF";
    const weighted = total(pipeline, "weighted", currency);
    const deals = total(pipeline, "deals");
    const winRate = this.result(Report.WIN_RATE_BY_OWNER);
    const won = total(winRate, "won");
    const closed = won + total(winRate, "lost");
    const activities = this.result(Report.ACTIVITIES_BY_OWNER);
    return html`<ul class="figures">
      <li>
        <span class="label">${t("openPipelineWeighted")}</span>
        <strong>${formatMoney(BigInt(Math.round(weighted * 100)), currency)}</strong>
        <span>${t("openDeals", integers.format(deals))}</span>
      </li>
      <li>
        <span class="label">${t("winRateOverall")}</span>
        <strong>${closed > 0 ? percents.format(won / closed) : "—"}</strong>
        <span>${t("wonOfClosed", integers.format(won), integers.format(closed))}</span>
      </li>
      <li>
        <span class="label">${t("overdueActivities")}</span>
        <strong>${integers.format(total(activities, "overdue"))}</strong>
        <span>${t("openActivities", integers.format(total(activities, "open")))}</span>
      </li>
    </ul>`;
  }

  private card(report: Report) {
    const answer = this.answers.get(report);
    const title = t(reportName(report));
    const id = `chart-${report}`;
    if (!answer) return html`<section aria-labelledby=${id}><h2 id=${id}>${title}</h2></section>`;
    if ("problem" in answer) {
      return html`<section aria-labelledby=${id}>
        <h2 id=${id}>${title}</h2>
        <p class="problem" role="alert">${answer.problem}</p>
      </section>`;
    }
    const spec = specOf(report, answer.result);
    const currencies = new Set(
      answer.result.rows.map((row) => cellString(row.cells[columnIndex(answer.result, "currency")])),
    );
    return html`<section aria-labelledby=${id}>
      <h2 id=${id}>${title}</h2>
      ${spec.labels.length === 0
        ? html`<p>${t("reportEmpty")}</p>`
        : html`<karton-bar-chart .spec=${spec} summary=${summaryOf(report, spec)}></karton-bar-chart>
            ${spec.unit === "money" && currencies.size > 1
              ? html`<p class="note">${t("otherCurrencies", spec.currency)}</p>`
              : ""}
            <details>
              <summary>${t("showAsTable")}</summary>
              ${reportTable(answer.result, title)}
            </details>`}
    </section>`;
  }

  override render() {
    return html`
      <section>
        <h1>${t("dashboard")}</h1>
        <form @submit=${this.load}>
          <div class="fields">
            ${filterFields(this.filters, this.users, this.teams, (filters) => (this.filters = filters))}
          </div>
          <button type="submit">${t("refresh")}</button>
        </form>
        <p aria-live="polite">${this.loading ? t("loading") : ""}</p>
        ${this.answers.size > 0 ? this.figures() : ""}
      </section>
      <div class="charts">${dashboardReports.map((report) => this.card(report))}</div>
    `;
  }

  static styles = [
    sharedStyles,
    reportStyles,
    css`
      .figures {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr));
        gap: 1rem;
      }
      .figures li {
        display: flex;
        flex-direction: column;
        gap: 0.2rem;
        padding: 0.75rem;
        border: 1px solid var(--line, #d8dde6);
        border-radius: 6px;
      }
      .figures strong {
        font-size: 1.5rem;
      }
      .label,
      .note {
        color: var(--muted, #5b6577);
      }
      .charts {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 28rem), 1fr));
        align-items: start;
        gap: 0 1rem;
      }
      details {
        margin-top: 0.75rem;
      }
    `,
  ];
}

customElements.define("karton-dashboard", KartonDashboard);
