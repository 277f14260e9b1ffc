// What the reports page and the dashboard share about the reports module's
// answers (docs/reports.md): which reports there are and their names in the
// user's language, the columns' titles, a cell as text or as a number, the
// filter form's values as the API's request, and the user and team lists
// that the owner and team filters offer.
import { client } from "./api.js";
import type { Date as CalendarDate } from "./gen/karton/common/v1/date_pb.js";
import type { Team, User } from "./gen/karton/kernel/v1/identity_service_pb.js";
import { IdentityService } from "./gen/karton/kernel/v1/identity_service_pb.js";
import { type Cell, ColumnType, Report, type RunReportResponse } from "./gen/karton/reports/v1/report_service_pb.js";
import { money } from "./format.js";
import { type TextKey } from "./i18n.js";

// Every report the client offers: its enum value, its name's text key and
// its name in the API (for /files query strings and saved reports).
export const reportChoices: Array<[Report, TextKey, string]> = [
  [Report.PIPELINE_BY_STAGE, "reportPipeline", "REPORT_PIPELINE_BY_STAGE"],
  [Report.FORECAST_BY_MONTH, "reportForecast", "REPORT_FORECAST_BY_MONTH"],
  [Report.WIN_RATE_BY_OWNER, "reportWinRate", "REPORT_WIN_RATE_BY_OWNER"],
  [Report.ACTIVITIES_BY_OWNER, "reportActivities", "REPORT_ACTIVITIES_BY_OWNER"],
];

export function reportName(report: Report): TextKey {
  return reportChoices.find(([choice]) => choice === report)?.[1] ?? "reports";
}

export function reportApiName(report: Report): string {
  return reportChoices.find(([choice]) => choice === report)?.[2] ?? "";
}

// The columns' titles in the user's language, by their stable keys (the
// server's titles are English); a key not here shows the server's title.
export const columnTitles: Record<string, TextKey> = {
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

export function cellText(cell: Cell | undefined, type: ColumnType): string {
  switch (cell?.value.case) {
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

// A cell as a number for a chart: money in major units (forints, euros),
// a percentage as a fraction; 0 when empty.
export function cellNumber(cell: Cell | undefined): number {
  switch (cell?.value.case) {
    case "integer":
      return Number(cell.value.value);
    case "money":
      return Number(cell.value.value.minorUnits) / 100;
    case "percentBasisPoints":
      return Number(cell.value.value) / 10000;
    default:
      return 0;
  }
}

export function cellString(cell: Cell | undefined): string {
  return cell?.value.case === "text" ? cell.value.value : "";
}

// A column's index by its key, -1 when the report has no such column.
export function columnIndex(result: RunReportResponse, key: string): number {
  return result.columns.findIndex((column) => column.key === key);
}

// "2026-12-05" (a date input's value) as the API's date, or nothing.
export function calendarDate(value: string): { year: number; month: number; day: number } | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return match ? { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) } : undefined;
}

// The API's date as a date input's value ("2026-12-05"), or "".
export function inputDate(value: CalendarDate | undefined): string {
  if (!value || value.year === 0) return "";
  return `${value.year}-${String(value.month).padStart(2, "0")}-${String(value.day).padStart(2, "0")}`;
}

// The filters every report takes, as the form holds them.
export interface ReportFilters {
  fromDate: string;
  toDate: string;
  ownerUserId: bigint;
  teamId: bigint;
}

export function reportRequest(report: Report, filters: ReportFilters) {
  return {
    report,
    fromDate: calendarDate(filters.fromDate),
    toDate: calendarDate(filters.toDate),
    ownerUserId: filters.ownerUserId,
    teamId: filters.teamId,
  };
}

// The query string of the same report as a file through kartond's /files
// bridge (dotted names reach into the request's message fields).
export function exportParameters(report: Report, filters: ReportFilters, format: string): Record<string, string> {
  const parameters: Record<string, string> = { report: reportApiName(report), format };
  for (const [name, value] of [
    ["from_date", filters.fromDate],
    ["to_date", filters.toDate],
  ] as const) {
    const date = calendarDate(value);
    if (!date) continue;
    parameters[`${name}.year`] = String(date.year);
    parameters[`${name}.month`] = String(date.month);
    parameters[`${name}.day`] = String(date.day);
  }
  if (filters.ownerUserId > 0n) parameters.owner_user_id = String(filters.ownerUserId);
  if (filters.teamId > 0n) parameters.team_id = String(filters.teamId);
  return parameters;
}

const identity = client(IdentityService);

// The colleagues and teams the owner and team filters offer (every staff
// role may list them); empty lists when the call fails, and the filters
// then offer "everyone" only.
export async function colleaguesAndTeams(): Promise<{ users: User[]; teams: Team[] }> {
  const [users, teams] = await Promise.allSettled([
    identity.listUsers({ pageSize: 1000 }),
    identity.listTeams({ pageSize: 1000 }),
  ]);
  return {
    users:
      users.status === "fulfilled"
        ? users.value.users.filter((user) => !user.disabled).sort((a, b) => a.name.localeCompare(b.name, "hu"))
        : [],
    teams:
      teams.status === "fulfilled" ? teams.value.teams.sort((a, b) => a.name.localeCompare(b.name, "hu")) : [],
  };
}
