// The API's money and calendar dates as a person reads them (hu-HU, as
// i18n.ts writes every number): shared by every page that lists them.
import type { Date as CalendarDate } from "./gen/karton/common/v1/date_pb.js";
import type { Money } from "./gen/karton/common/v1/money_pb.js";
import { formatMoney } from "./i18n.js";

// "1 250 000 Ft"; empty when the value is missing.
export function money(value: Money | undefined): string {
  return value ? formatMoney(value.minorUnits, value.currencyCode) : "";
}

// "2026. 12. 05."; empty when the date is missing.
export function day(value: CalendarDate | undefined): string {
  if (!value || value.year === 0) return "";
  return `${value.year}. ${String(value.month).padStart(2, "0")}. ${String(value.day).padStart(2, "0")}.`;
}
