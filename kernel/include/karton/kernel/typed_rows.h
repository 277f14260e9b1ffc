// Query results read straight into protobuf messages: the way a module
// reads its rows on every path that matters for speed.
//
//   static const kernel::TypedQuery<v1::Note> kFindNote(
//       "SELECT n.id, n.text, n.tags, (extract(epoch FROM n.create_time) * 1e6)::bigint "
//       "AS create_time, n.version::text AS etag FROM notes.note n WHERE n.id = $1");
//
//   std::optional<v1::Note> note = kFindNote.One(session, {std::to_string(id)});
//
// Each column is named after the field it fills; "credit_limit.currency_code"
// fills a field of a nested message. What a column's PostgreSQL type fills:
// - bigint, integer, smallint, boolean, text, real, double precision, bytea:
//   the scalar field of that name (text parsed for number fields);
// - text for an enum field: the value's name ("PARTNER_KIND_PERSON") or, in
//   lower case, the part after the enum's common prefix ("person");
// - bigint for a google.protobuf.Timestamp: microseconds since 1970;
// - date for a karton.common.v1.Date;
// - text[], bigint[], integer[] for a repeated scalar field;
// - json or jsonb for a message, a repeated message or a map field
//   (proto3 JSON: the form the column holds anyway, such as addresses);
// - for a repeated message, instead, one array per field of its elements,
//   named "list.field": element i of each array fills that field of the
//   list's element i (NULL elements leave it unset). Child rows come this
//   way with one array_agg each, in one LATERAL subquery, all with the same
//   ORDER BY, so the arrays line up:
//     CROSS JOIN LATERAL (SELECT array_agg(c.stage_id ORDER BY c.id) AS
//       stage_id, ... FROM crm.opportunity_stage_change c WHERE ...) h
//     ... h.stage_id AS "stage_history.stage_id", ...
//   Arrays of the element types above work (text[], bigint[] for
//   Timestamps, date[], boolean[], integer[], double precision[]).
// NULL (and '' for an enum) leaves the field unset. A column whose name
// begins with "_" is left to the caller (a list's sort key, say). The
// statement is prepared once per pool
// connection (RunPrepared) and its columns are matched to fields once, on
// its first result: a column that names no field, or whose type cannot fill
// it, throws std::logic_error naming the column. After that, reading a row
// looks nothing up by name and builds no JSON in the database.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "karton/kernel/prepared_query.h"

namespace google::protobuf {
class Descriptor;
class EnumDescriptor;
class Message;
}  // namespace google::protobuf

namespace karton::kernel {

// How the columns of one statement's results fill one message type. Built
// once; read-only afterwards, so threads share it.
class RowPlan {
 public:
  static std::unique_ptr<RowPlan> Build(const QueryRows& rows,
                                        const google::protobuf::Descriptor& type);
  ~RowPlan();
  RowPlan(const RowPlan&) = delete;
  RowPlan& operator=(const RowPlan&) = delete;

  // Fills `message` (of the plan's type) from row `row`.
  void Read(const QueryRows& rows, int row, google::protobuf::Message& message) const;

 private:
  struct Column;
  RowPlan();
  static void SetValue(const Column& column, google::protobuf::Message& target,
                       std::string_view text);
  std::vector<Column> columns_;
};

// The columns of results shaped alike (the same select list, whatever the
// WHERE clause: a list with any filter) read as messages of type M. The plan
// is made from the first result seen.
template <class M>
class RowShape {
 public:
  const RowPlan& PlanFor(const QueryRows& rows) const {
    std::call_once(planned_, [&] { plan_ = RowPlan::Build(rows, *M::descriptor()); });
    return *plan_;
  }

 private:
  mutable std::once_flag planned_;
  mutable std::unique_ptr<RowPlan> plan_;
};

// A statement whose rows are messages of type M.
template <class M>
class TypedQuery {
 public:
  explicit TypedQuery(std::string sql) : sql_(std::move(sql)) {}

  const std::string& Sql() const { return sql_; }

  std::vector<M> All(soci::session& session, std::span<const QueryParam> params) const {
    const QueryRows rows = RunPrepared(session, sql_, params);
    return Messages(rows);
  }
  std::vector<M> All(soci::session& session, std::initializer_list<QueryParam> params) const {
    return All(session, std::span<const QueryParam>(params.begin(), params.size()));
  }
  // The first row, if any.
  std::optional<M> One(soci::session& session, std::span<const QueryParam> params) const {
    const QueryRows rows = RunPrepared(session, sql_, params);
    if (rows.Count() == 0) return std::nullopt;
    M message;
    PlanFor(rows).Read(rows, 0, message);
    return message;
  }
  std::optional<M> One(soci::session& session, std::initializer_list<QueryParam> params) const {
    return One(session, std::span<const QueryParam>(params.begin(), params.size()));
  }

  // The rows of `rows` (a result of this statement) as messages.
  std::vector<M> Messages(const QueryRows& rows) const {
    std::vector<M> messages(static_cast<std::size_t>(rows.Count()));
    if (messages.empty()) return messages;
    const RowPlan& plan = PlanFor(rows);
    for (int row = 0; row < rows.Count(); ++row) {
      plan.Read(rows, row, messages[static_cast<std::size_t>(row)]);
    }
    return messages;
  }

  const RowPlan& PlanFor(const QueryRows& rows) const { return shape_.PlanFor(rows); }

 private:
  std::string sql_;
  RowShape<M> shape_;
};

// How an enum value is stored in a text column, the word typed rows read
// back: the value's name in lower case without the enum's common prefix
// (ORDER_STATE_CONFIRMED -> "confirmed"; the prefix is the zero value's
// name up to its last '_'). "" for a number the enum does not have.
//
//   kernel::EnumWord(*v1::OrderState_descriptor(), order.state())
std::string EnumWord(const google::protobuf::EnumDescriptor& type, int value);
// The inverse: "confirmed" -> ORDER_STATE_CONFIRMED's number; nullopt for a
// word that names no value.
std::optional<int> EnumValueOfWord(const google::protobuf::EnumDescriptor& type,
                                   std::string_view word);

// A repeated text field as a PostgreSQL text[] literal, for parameters:
// "{\"a\",\"b c\"}".
template <class Strings>
std::string TextArrayLiteral(const Strings& values) {
  std::string out = "{";
  bool first = true;
  for (const auto& value : values) {
    if (!first) out += ',';
    first = false;
    out += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// Whole numbers as a PostgreSQL bigint[] (or integer[]) literal, for
// parameters: {1,2,3}. With TextArrayLiteral, what a statement that writes
// many rows at once unnests (INSERT ... SELECT FROM unnest($1::bigint[], ...)).
template <class Numbers>
std::string IntegerArrayLiteral(const Numbers& values) {
  std::string out = "{";
  bool first = true;
  for (const auto& value : values) {
    if (!first) out += ',';
    first = false;
    out += std::to_string(value);
  }
  return out + "}";
}

}  // namespace karton::kernel
