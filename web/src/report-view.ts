// What the reports page and the dashboard both draw: the filter fields (a
// date range, a colleague, a team) and a report's answer as a table.
// Functions of the page's state, so each page keeps its own filters and
// decides when to run. The selects bind `.value` as well as `?selected`:
// the attribute alone does not move a select the user has already
// changed (opening a saved report sets them all).
import { css, html } from "lit";

import type { Team, User } from "./gen/karton/kernel/v1/identity_service_pb.js";
import { ColumnType, type RunReportResponse } from "./gen/karton/reports/v1/report_service_pb.js";
import { t } from "./i18n.js";
import { type ReportFilters, cellText, columnTitles } from "./report-data.js";

export function filterFields(
  filters: ReportFilters,
  users: User[],
  teams: Team[],
  change: (filters: ReportFilters) => void,
) {
  const value = (event: Event) => (event.target as HTMLInputElement | HTMLSelectElement).value;
  return html`
    <p>
      <label for="from">${t("fromDate")}</label>
      <input
        id="from"
        type="date"
        .value=${filters.fromDate}
        @change=${(event: Event) => change({ ...filters, fromDate: value(event) })}
      />
    </p>
    <p>
      <label for="to">${t("toDate")}</label>
      <input
        id="to"
        type="date"
        .value=${filters.toDate}
        @change=${(event: Event) => change({ ...filters, toDate: value(event) })}
      />
    </p>
    <p>
      <label for="owner">${t("colleague")}</label>
      <select id="owner" .value=${String(filters.ownerUserId)} @change=${(event: Event) => change({ ...filters, ownerUserId: BigInt(value(event)) })}>
        <option value="0" ?selected=${filters.ownerUserId === 0n}>${t("everyone")}</option>
        ${users.map(
          (user) =>
            html`<option value=${String(user.id)} ?selected=${user.id === filters.ownerUserId}>${user.name}</option>`,
        )}
      </select>
    </p>
    <p>
      <label for="team">${t("team")}</label>
      <select id="team" .value=${String(filters.teamId)} @change=${(event: Event) => change({ ...filters, teamId: BigInt(value(event)) })}>
        <option value="0" ?selected=${filters.teamId === 0n}>${t("allTeams")}</option>
        ${teams.map(
          (team) =>
            html`<option value=${String(team.id)} ?selected=${team.id === filters.teamId}>${team.name}</option>`,
        )}
      </select>
    </p>
  `;
}

// The answer as a table; ids are for programs (they stay in the
// downloads), not for people, so their columns are left out.
export function reportTable(result: RunReportResponse, caption: string) {
  const shown = result.columns
    .map((column, index) => ({ column, index }))
    .filter(({ column }) => !column.key.endsWith("_id"));
  const align = (type: ColumnType) => (type === ColumnType.TEXT ? "" : "number");
  // The wrapper scrolls sideways on a narrow screen; focusable and named
  // so that a keyboard can scroll it too.
  return html`<div class="scroll" tabindex="0" role="region" aria-label=${caption}>
    <table>
      <caption class="visually-hidden">${caption}</caption>
      <thead>
        <tr>
          ${shown.map(
            ({ column }) =>
              html`<th scope="col" class=${align(column.type)}>
                ${columnTitles[column.key] ? t(columnTitles[column.key]) : column.title}
              </th>`,
          )}
        </tr>
      </thead>
      <tbody>
        ${result.rows.map(
          (row) =>
            html`<tr>
              ${shown.map(
                ({ column, index }) =>
                  html`<td class=${align(column.type)}>${cellText(row.cells[index], column.type)}</td>`,
              )}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

export const reportStyles = css`
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
  }
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
`;

export const emptyFilters = (): ReportFilters => ({ fromDate: "", toDate: "", ownerUserId: 0n, teamId: 0n });
