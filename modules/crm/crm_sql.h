// SQL fragments the CRM repositories share: how a stored time and a row
// become proto JSON (read back with kernel::ParseProtoJson).
#pragma once

#define KARTON_CRM_TIME(column) \
  "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

// Microseconds since the epoch, as the repositories bind times.
#define KARTON_CRM_AT(param) "to_timestamp(cast(" param " AS bigint) / 1e6)"
