// The SQL of documents.
#include "documents/document_repository.h"

#include <libpq-fe.h>
#include <soci/soci.h>

#include <memory>
#include <stdexcept>

#include "karton/kernel/proto_json.h"
#include "visibility.h"

namespace karton::partners::repository {
namespace {

using kernel::ToEpochMicros;

#define KARTON_DOCUMENT_JSON                                                           \
  "jsonb_build_object('id', d.id::text, 'resourceType', d.resource_type, "             \
  "'resourceId', d.resource_id::text, 'name', d.name, 'contentType', d.content_type, " \
  "'sizeBytes', d.size_bytes::text, 'sha256', d.sha256, 'version', d.version, "        \
  "'uploadedByUserId', coalesce(d.uploaded_by, 0)::text, "                             \
  "'createTime', to_char(d.create_time AT TIME ZONE 'UTC', "                           \
  "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))::text"

// A partner's (and its contacts') documents need the partner shared
// directly: a shared deal shows its partner's card, not the papers on it.
#define KARTON_DOCUMENT_VISIBLE                                                                   \
  "(cast(:external AS int) = 0 OR (d.resource_type <> 'partners.partner' AND "                    \
  "kernel.is_shared_with(d.resource_type, d.resource_id, cast(:user_id AS bigint))) OR "          \
  "(d.resource_type = 'partners.partner' AND kernel.is_shared_directly_with('partners.partner', " \
  "d.resource_id, cast(:user_id3 AS bigint))) OR (d.resource_type = 'partners.contact' AND "      \
  "kernel.is_shared_directly_with('partners.partner', (SELECT c.partner_id FROM "                 \
  "partners.contact c WHERE c.id = d.resource_id), cast(:user_id2 AS bigint))))"

constexpr const char* kFindDocument = "SELECT " KARTON_DOCUMENT_JSON
                                      " FROM partners.document d WHERE d.id = :id AND "
                                      "d.pending_since IS NULL AND " KARTON_DOCUMENT_VISIBLE;
constexpr const char* kNextVersion =
    "SELECT coalesce(max(version), 0) + 1 FROM partners.document "
    "WHERE resource_type = :type AND resource_id = :id AND name = :name";
constexpr const char* kInsertPendingDocument =
    "INSERT INTO partners.document (resource_type, resource_id, name, content_type, version, "
    "pending_since, uploaded_by, create_time) VALUES (:type, :id, :name, :content_type, NULL, "
    "to_timestamp(:now / 1e6), nullif(cast(:user AS bigint), 0), to_timestamp(:now2 / 1e6)) "
    "RETURNING id";
constexpr const char* kDeleteAbandonedUploads =
    "DELETE FROM partners.document WHERE pending_since < to_timestamp(:before / 1e6)";
constexpr const char* kInsertChunk =
    "INSERT INTO partners.document_chunk (document_id, seq, data) VALUES ($1::bigint, $2::int, $3)";
constexpr const char* kFinishDocument =
    "UPDATE partners.document SET size_bytes = :size, sha256 = :sha256, version = :version, "
    "pending_since = NULL, create_time = to_timestamp(:now / 1e6) WHERE id = :id AND "
    "pending_since IS NOT NULL";
constexpr const char* kChunkCount =
    "SELECT count(*) FROM partners.document_chunk WHERE document_id = :id";
constexpr const char* kReadChunk =
    "SELECT data FROM partners.document_chunk WHERE document_id = $1::bigint AND seq = $2::int";
constexpr const char* kDeleteDocument = "DELETE FROM partners.document WHERE id = :id RETURNING id";
constexpr const char* kDeleteDocumentsOfPartner =
    "DELETE FROM partners.document WHERE (resource_type = 'partners.partner' AND resource_id = "
    ":id1) OR (resource_type = 'partners.contact' AND resource_id IN "
    "(SELECT id FROM partners.contact WHERE partner_id = :id2))";

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

v1::Document DocumentFromJson(const std::string& json) {
  v1::Document document;
  try {
    kernel::ParseProtoJson(json, document);
  } catch (const std::invalid_argument& error) {
    throw std::runtime_error("a stored document does not read back: " + std::string(error.what()));
  }
  return document;
}

}  // namespace

std::optional<v1::Document> FindDocument(soci::session& session, std::int64_t id,
                                         const Visibility& visibility) {
  long long document_id = id, user_id = visibility.user_id;
  const int external = visibility.external ? 1 : 0;
  std::string json;
  session << kFindDocument, soci::use(document_id), soci::use(external), soci::use(user_id),
      soci::use(user_id), soci::use(user_id), soci::into(json);
  if (!session.got_data()) return std::nullopt;
  return DocumentFromJson(json);
}

int NextDocumentVersion(soci::session& session, const std::string& resource_type,
                        std::int64_t resource_id, const std::string& name) {
  long long id = resource_id;
  int version = 1;
  session << kNextVersion, soci::use(resource_type), soci::use(id), soci::use(name),
      soci::into(version);
  return version;
}

std::int64_t InsertPendingDocument(soci::session& session, const v1::Document& document,
                                   std::int64_t uploaded_by, TimePoint now) {
  long long resource_id = document.resource_id(), now_us = ToEpochMicros(now), id = 0;
  const std::string user = std::to_string(uploaded_by);
  session << kInsertPendingDocument, soci::use(document.resource_type()), soci::use(resource_id),
      soci::use(document.name()), soci::use(document.content_type()), soci::use(now_us),
      soci::use(user), soci::use(now_us), soci::into(id);
  return id;
}

int DeleteAbandonedUploads(soci::session& session, TimePoint before) {
  long long before_us = ToEpochMicros(before);
  soci::statement statement = (session.prepare << kDeleteAbandonedUploads, soci::use(before_us));
  statement.execute(true);
  return static_cast<int>(statement.get_affected_rows());
}

void InsertDocumentChunk(PGconn* connection, std::int64_t document_id, int seq,
                         std::string_view data) {
  const std::string id_text = std::to_string(document_id), seq_text = std::to_string(seq);
  const char* values[] = {id_text.c_str(), seq_text.c_str(), data.data()};
  const int lengths[] = {0, 0, static_cast<int>(data.size())};
  const int formats[] = {0, 0, 1};  // the chunk goes in binary
  Result result(PQexecParams(connection, kInsertChunk, 3, nullptr, values, lengths, formats, 0),
                &PQclear);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    throw std::runtime_error(std::string("storing a document chunk failed: ") +
                             PQerrorMessage(connection));
  }
}

bool FinishDocument(soci::session& session, std::int64_t id, int version, std::int64_t size_bytes,
                    const std::string& sha256, TimePoint now) {
  long long document_id = id, size = size_bytes, now_us = ToEpochMicros(now);
  soci::statement statement =
      (session.prepare << kFinishDocument, soci::use(size), soci::use(sha256), soci::use(version),
       soci::use(now_us), soci::use(document_id));
  statement.execute(true);
  return statement.get_affected_rows() == 1;
}

int DocumentChunkCount(soci::session& session, std::int64_t id) {
  long long document_id = id, count = 0;
  session << kChunkCount, soci::use(document_id), soci::into(count);
  return static_cast<int>(count);
}

std::optional<std::string> ReadDocumentChunk(PGconn* connection, std::int64_t document_id,
                                             int seq) {
  const std::string id_text = std::to_string(document_id), seq_text = std::to_string(seq);
  const char* values[] = {id_text.c_str(), seq_text.c_str()};
  Result result(PQexecParams(connection, kReadChunk, 2, nullptr, values, nullptr, nullptr,
                             /*resultFormat=binary*/ 1),
                &PQclear);
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    throw std::runtime_error(std::string("reading a document chunk failed: ") +
                             PQerrorMessage(connection));
  }
  if (PQntuples(result.get()) == 0) return std::nullopt;
  return std::string(PQgetvalue(result.get(), 0, 0),
                     static_cast<std::size_t>(PQgetlength(result.get(), 0, 0)));
}

bool DeleteDocument(soci::session& session, std::int64_t id) {
  long long document_id = id, deleted = 0;
  soci::indicator got = soci::i_null;
  session << kDeleteDocument, soci::use(document_id), soci::into(deleted, got);
  return session.got_data() && got == soci::i_ok;
}

void DeleteDocumentsOfPartner(soci::session& session, std::int64_t partner_id) {
  long long id = partner_id;
  session << kDeleteDocumentsOfPartner, soci::use(id), soci::use(id);
}

std::vector<ListedDocument> ListDocuments(soci::session& session, const std::string& resource_type,
                                          std::int64_t resource_id, bool all_versions,
                                          const Visibility& visibility,
                                          const std::optional<std::string>& after_name,
                                          int after_version, int limit) {
  std::vector<std::string> params = {resource_type,
                                     std::to_string(resource_id),
                                     visibility.external ? "1" : "0",
                                     std::to_string(visibility.user_id),
                                     std::to_string(visibility.user_id),
                                     std::to_string(visibility.user_id)};
  // The newest version of each name, or every version; by name, newest first.
  std::string sql = std::string("SELECT ") + KARTON_DOCUMENT_JSON + " FROM (SELECT " +
                    (all_versions ? "" : "DISTINCT ON (name) ") +
                    "* FROM partners.document WHERE resource_type = cast(:type AS text) AND "
                    "resource_id = cast(:id AS bigint) AND pending_since IS NULL "
                    "ORDER BY name, version DESC) d WHERE " +
                    KARTON_DOCUMENT_VISIBLE;
  if (after_name) {
    sql += " AND (d.name, -d.version) > (cast(:after_name AS text), -cast(:after_version AS int))";
    params.push_back(*after_name);
    params.push_back(std::to_string(after_version));
  }
  sql += " ORDER BY d.name, d.version DESC LIMIT cast(:limit AS int)";
  params.push_back(std::to_string(limit));
  auto prepared = (session.prepare << sql);
  for (const auto& param : params) prepared, soci::use(param);
  soci::rowset<std::string> rows(prepared);
  std::vector<ListedDocument> listed;
  for (const auto& json : rows) listed.push_back({DocumentFromJson(json)});
  return listed;
}

}  // namespace karton::partners::repository
