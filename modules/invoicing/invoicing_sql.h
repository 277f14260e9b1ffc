// SQL fragments the invoicing repositories share.
#pragma once

// A stored time as microseconds since 1970 (a google.protobuf.Timestamp).
#define KARTON_INVOICING_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

// A bound time (microseconds since 1970, as text) as a timestamptz.
#define KARTON_INVOICING_AT(param) "to_timestamp(cast(" param " AS bigint) / 1e6)"

// "today" in the zone bound at `zone_param`, from the kernel clock's time
// bound at `now_param`.
#define KARTON_INVOICING_TODAY(now_param, zone_param) \
  "(" KARTON_INVOICING_AT(now_param) " AT TIME ZONE " zone_param ")::date"

// A Money field named `field` from a currency and a minor-units column.
#define KARTON_INVOICING_MONEY(currency, column, field) \
  currency " AS \"" field ".currency_code\", " column " AS \"" field ".minor_units\""
