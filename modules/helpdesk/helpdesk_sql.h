// SQL fragments the helpdesk repositories share.
#pragma once

// A stored time as microseconds since 1970: what kernel::TypedQuery reads
// into a google.protobuf.Timestamp.
#define KARTON_HELPDESK_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

// A bound time (microseconds since 1970, as text) as a timestamptz.
#define KARTON_HELPDESK_AT(param) "to_timestamp(cast(" param " AS bigint) / 1e6)"
