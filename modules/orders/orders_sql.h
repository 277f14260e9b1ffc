// SQL fragments the orders repositories share.
#pragma once

// A stored time as microseconds since 1970: what kernel::TypedQuery reads
// into a google.protobuf.Timestamp.
#define KARTON_ORDERS_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

// A bound time (microseconds since 1970, as text) as a timestamptz.
#define KARTON_ORDERS_AT(param) "to_timestamp(cast(" param " AS bigint) / 1e6)"

// Money columns of a document: its currency and the minor units of `column`
// as a karton.common.v1.Money field named `field`.
#define KARTON_ORDERS_MONEY(currency, column, field) \
  currency " AS \"" field ".currency_code\", " column " AS \"" field ".minor_units\""
