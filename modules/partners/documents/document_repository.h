// SQL of documents and their chunks (partners.document, document_chunk).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/partners/v1/partner.pb.h"
#include "visibility.h"

namespace soci {
class session;
}  // namespace soci

typedef struct pg_conn PGconn;

namespace karton::partners::repository {

using kernel::TimePoint;

// External partners see documents of records shared with them (and of the
// contacts of partners shared with them).
std::optional<v1::Document> FindDocument(soci::session& session, std::int64_t id,
                                         const Visibility& visibility);
// The next version number of `name` on the record; call under LockKey.
int NextDocumentVersion(soci::session& session, const std::string& resource_type,
                        std::int64_t resource_id, const std::string& name);
// A pending upload: invisible, without a version, until FinishDocument.
std::int64_t InsertPendingDocument(soci::session& session, const v1::Document& document,
                                   std::int64_t uploaded_by, TimePoint now);
// Deletes pending uploads begun before `before` (their kartond died).
int DeleteAbandonedUploads(soci::session& session, TimePoint before);
// Chunks go through libpq in binary: SOCI binds text, which cannot carry
// the NUL bytes of a file. `connection` is the session's own, so the
// chunks are part of its transaction.
void InsertDocumentChunk(PGconn* connection, std::int64_t document_id, int seq,
                         std::string_view data);
// Makes pending upload `id` a visible document of `version`; false when it
// is no longer pending (deleted as abandoned meanwhile).
bool FinishDocument(soci::session& session, std::int64_t id, int version, std::int64_t size_bytes,
                    const std::string& sha256, TimePoint now);
int DocumentChunkCount(soci::session& session, std::int64_t id);
// nullopt when the chunk does not exist (the document was deleted meanwhile).
std::optional<std::string> ReadDocumentChunk(PGconn* connection, std::int64_t document_id, int seq);
bool DeleteDocument(soci::session& session, std::int64_t id);
// The documents of a partner and of its contacts, when the partner goes.
void DeleteDocumentsOfPartner(soci::session& session, std::int64_t partner_id);
struct ListedDocument {
  v1::Document document;
};
// By name, newest version first (or only the newest of each name); after
// the keyset position (name, version).
std::vector<ListedDocument> ListDocuments(soci::session& session, const std::string& resource_type,
                                          std::int64_t resource_id, bool all_versions,
                                          const Visibility& visibility,
                                          const std::optional<std::string>& after_name,
                                          int after_version, int limit);

}  // namespace karton::partners::repository
