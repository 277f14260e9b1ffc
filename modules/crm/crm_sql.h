// SQL fragments the CRM repositories share: how a stored time is read and
// bound.
#pragma once

// A time as proto JSON text, for the documents kept as JSON (a lead's status
// history and messages, web form definitions).
#define KARTON_CRM_TIME(column) \
  "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

// A time as microseconds since the epoch: the column shape that fills a
// google.protobuf.Timestamp in kernel::TypedQuery (NULL leaves it unset).
#define KARTON_CRM_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

// Microseconds since the epoch, as the repositories bind times.
#define KARTON_CRM_AT(param) "to_timestamp(cast(" param " AS bigint) / 1e6)"
