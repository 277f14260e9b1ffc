// Statements PostgreSQL parses and plans once per connection.
//
// SOCI sends every `session << sql` as an unnamed statement, which PostgreSQL
// parses and plans on each call. For a short statement on a hot path (reading
// one partner by id, say) that planning is most of the database's work:
// measured with pgbench, the partner read runs 12,000/s prepared against
// 4,400/s unnamed on one connection. RunPrepared keeps a named prepared
// statement per pool connection (created on the first use of `sql` on that
// connection) and afterwards only binds and executes it:
//
//   const kernel::QueryRows rows = kernel::RunPrepared(
//       lease.Session(), "SELECT name FROM notes.note WHERE id = $1", {std::to_string(id)});
//   if (rows.Count() == 1) name = rows.Text(0, 0);
//
// Placeholders are PostgreSQL's $1, $2, ... and parameters and values travel
// as text. The statement runs on the session's own connection, so it belongs
// to the session's open transaction like any SOCI statement. Errors throw
// soci::postgresql_soci_error with the SQLSTATE, as SOCI's own do.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

typedef struct pg_result PGresult;

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

// A parameter's text, or SQL NULL.
using QueryParam = std::optional<std::string_view>;

// The rows a statement returned, as text.
class QueryRows {
 public:
  explicit QueryRows(PGresult* result);
  int Count() const;
  bool IsNull(int row, int column) const;
  // Empty for NULL; valid while this object lives.
  std::string_view Text(int row, int column) const;
  int Columns() const;
  std::string_view ColumnName(int column) const;
  // The column's PostgreSQL type (its OID, as in pg_type).
  unsigned ColumnType(int column) const;

 private:
  struct Clear {
    void operator()(PGresult* result) const;
  };
  std::unique_ptr<PGresult, Clear> result_;
};

QueryRows RunPrepared(soci::session& session, const std::string& sql,
                      std::span<const QueryParam> params);
inline QueryRows RunPrepared(soci::session& session, const std::string& sql,
                             std::initializer_list<QueryParam> params) {
  return RunPrepared(session, sql, std::span<const QueryParam>(params.begin(), params.size()));
}

}  // namespace karton::kernel
