#include "karton/kernel/copy.h"

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <memory>
#include <stdexcept>

#include "open_transaction.h"

namespace karton::kernel {
namespace {

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

constexpr std::size_t kFlushBytes = 1 << 20;

PGconn* ConnectionOf(soci::session& session) {
  auto* backend = static_cast<soci::postgresql_session_backend*>(session.get_backend());
  if (backend == nullptr || backend->conn_ == nullptr) {
    throw std::runtime_error("COPY needs an open PostgreSQL session");
  }
  return backend->conn_;
}

std::string ErrorOf(PGconn* connection) {
  std::string message = PQerrorMessage(connection);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

}  // namespace

CopyIn::CopyIn(soci::session& session, const std::string& copy_statement)
    : connection_(ConnectionOf(session)) {
  SendPendingBegin(connection_);  // the COPY belongs to an open kernel::Transaction
  Result result(PQexec(connection_, copy_statement.c_str()), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_COPY_IN) {
    throw std::runtime_error("COPY could not start: " + ErrorOf(connection_));
  }
  buffer_.reserve(kFlushBytes + 4096);
}

CopyIn::~CopyIn() {
  if (finished_) return;
  // Aborting makes the server fail the COPY: nothing of it is stored.
  PQputCopyEnd(connection_, "the writer was abandoned");
  while (PGresult* result = PQgetResult(connection_)) PQclear(result);
}

void CopyIn::Separator() {
  if (row_started_) buffer_ += '\t';
  row_started_ = true;
}

void CopyIn::Field(std::string_view text) {
  Separator();
  for (char c : text) {
    switch (c) {
      case '\\':
        buffer_ += "\\\\";
        break;
      case '\t':
        buffer_ += "\\t";
        break;
      case '\n':
        buffer_ += "\\n";
        break;
      case '\r':
        buffer_ += "\\r";
        break;
      default:
        buffer_ += c;
    }
  }
}

void CopyIn::Field(std::int64_t number) {
  Separator();
  buffer_ += std::to_string(number);
}

void CopyIn::Null() {
  Separator();
  buffer_ += "\\N";
}

void CopyIn::Bytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  Separator();
  buffer_ += "\\\\x";  // bytea's hex input, its backslash escaped for COPY
  for (unsigned char byte : bytes) {
    buffer_ += kHex[byte >> 4];
    buffer_ += kHex[byte & 0x0f];
  }
}

void CopyIn::EndRow() {
  buffer_ += '\n';
  row_started_ = false;
  ++rows_;
  Flush(false);
}

void CopyIn::Flush(bool force) {
  if (buffer_.empty() || (!force && buffer_.size() < kFlushBytes)) return;
  if (PQputCopyData(connection_, buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
    throw std::runtime_error("COPY failed: " + ErrorOf(connection_));
  }
  buffer_.clear();
}

std::int64_t CopyIn::Finish() {
  Flush(true);
  finished_ = true;
  if (PQputCopyEnd(connection_, nullptr) != 1) {
    throw std::runtime_error("COPY failed: " + ErrorOf(connection_));
  }
  std::string error;
  while (PGresult* raw = PQgetResult(connection_)) {
    Result result(raw, &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK && error.empty()) {
      error = PQresultErrorMessage(result.get());
    }
  }
  if (!error.empty()) {
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    throw std::runtime_error("COPY failed: " + error);
  }
  return rows_;
}

}  // namespace karton::kernel
