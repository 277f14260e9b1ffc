// PostgreSQL COPY FROM STDIN for bulk writes, on a pool session's own
// connection, so the rows are part of that session's open transaction:
//
//   kernel::CopyIn copy(lease.Session(),
//                       "COPY partners.import_row (import_id, row_number, doc) FROM STDIN");
//   copy.Field(std::to_string(import_id)); copy.Field(std::to_string(row)); copy.Field(json);
//   copy.EndRow();
//   ...
//   copy.Finish();   // throws if the server refused any row
//
// Values go in PostgreSQL's text format; Field() escapes them. A CopyIn
// destroyed before Finish() aborts the COPY (no row of it is stored).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

typedef struct pg_conn PGconn;

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

class CopyIn {
 public:
  // Starts `copy_statement` (a COPY ... FROM STDIN in text format). Throws
  // std::runtime_error with the server's message.
  CopyIn(soci::session& session, const std::string& copy_statement);
  ~CopyIn();
  CopyIn(const CopyIn&) = delete;
  CopyIn& operator=(const CopyIn&) = delete;

  void Field(std::string_view text);
  void Field(std::int64_t number);
  void Null();
  // A bytea value.
  void Bytes(std::string_view bytes);
  void EndRow();
  // Sends the rest and checks the outcome; returns the rows stored.
  std::int64_t Finish();

 private:
  void Separator();
  void Flush(bool force);

  PGconn* connection_;
  std::string buffer_;
  bool row_started_ = false;
  bool finished_ = false;
  std::int64_t rows_ = 0;
};

}  // namespace karton::kernel
