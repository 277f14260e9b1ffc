// PartnerService's documents (A4): files attached to any record, streamed
// in and out in chunks, versioned by name, checksummed (SHA-256).
#include <fmt/format.h>
#include <re2/re2.h>
#include <soci/soci.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include "contacts/contact_repository.h"
#include "documents/document_repository.h"
#include "karton/kernel/pagination.h"
#include "partner_repository.h"
#include "partner_service.h"
#include "record_access.h"
#include "service_support.h"
#include "validation.h"

namespace karton::partners {
namespace {

constexpr const char* kDocumentResource = "partners.document";
// Chunks are stored (and sent) at this size, whatever size the client sends.
constexpr std::size_t kChunkBytes = 1024 * 1024;
// A pending upload older than this belongs to a kartond that died.
constexpr auto kAbandonedAfter = std::chrono::hours(1);

grpc::Status NoDocument(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no document with id {}", id)};
}

// Checks the first message of an upload.
void CheckDocument(v1::Document& document, std::vector<kernel::FieldViolation>& violations) {
  static const RE2 kResourceType(R"([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)");
  if (document.resource_type().size() > 63 ||
      !RE2::FullMatch(document.resource_type(), kResourceType)) {
    violations.push_back(
        {"document.resource_type",
         "must be <module>.<resource> of at most 63 characters, e.g. partners.partner"});
  }
  if (document.resource_id() <= 0) violations.push_back({"document.resource_id", "is required"});
  const std::string& name = document.name();
  if (name.empty() || name.size() > 255 || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos || name == "." || name == ".." ||
      !IsAcceptableText(name, 255)) {
    violations.push_back(
        {"document.name", "must be a file name of 1 to 255 bytes without / or \\"});
  }
  if (document.content_type().empty()) document.set_content_type("application/octet-stream");
  static const RE2 kContentType(R"((?i)[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+(;.{0,80})?)");
  if (document.content_type().size() > 120 ||
      !RE2::FullMatch(document.content_type(), kContentType)) {
    violations.push_back({"document.content_type", "must be a media type, e.g. application/pdf"});
  }
}

bool IsPartnersRecord(const std::string& resource_type) {
  return resource_type.rfind("partners.", 0) == 0;
}

// Whether the partners record a document is for exists and the caller may
// see it. (Other modules' records: CheckRecordAccess.)
bool PartnersRecordVisible(soci::session& session, const v1::Document& document,
                           const repository::Visibility& visibility) {
  if (document.resource_type() == "partners.partner") {
    return repository::FindPartner(session, document.resource_id(), visibility).has_value();
  }
  if (document.resource_type() == "partners.contact") {
    return repository::FindContact(session, document.resource_id(), visibility).has_value();
  }
  return false;  // the partners module has no other records to attach files to
}

std::string HexDigest(crypto_hash_sha256_state& state) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

}  // namespace

grpc::Status PartnerServiceImpl::UploadDocument(
    grpc::ServerContext* context, grpc::ServerReader<v1::UploadDocumentRequest>* reader,
    v1::Document* response) {
  v1::UploadDocumentRequest message;
  if (!reader->Read(&message) || !message.has_document()) {
    return kernel::InvalidField("document", "the first message must carry the document");
  }
  v1::Document document = message.document();
  std::vector<kernel::FieldViolation> violations;
  CheckDocument(document, violations);
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  const kernel::Caller caller = kernel::CallerOf(*context);
  auto ticket = streams_.Enter(caller);
  if (!ticket) return TooManyStreams();
  return Guarded(services_.log, "UploadDocument", [&]() -> grpc::Status {
    const grpc::Status no_record = kernel::InvalidField(
        "document.resource_id",
        fmt::format("there is no {} {}", document.resource_type(), document.resource_id()));
    if (!IsPartnersRecord(document.resource_type())) {
      // Asked before taking a connection: the owner needs one of its own.
      RecordAccess access = RecordAccess::kHidden;
      if (auto status = CheckRecordAccess(services_, *context, document.resource_type(),
                                          document.resource_id(), access);
          !status.ok()) {
        return status;
      }
      if (access == RecordAccess::kNoModule) {
        return kernel::InvalidField(
            "document.resource_type",
            fmt::format("no loaded module keeps {} records", document.resource_type()));
      }
      if (access == RecordAccess::kHidden) return no_record;
    }
    // The upload is pending, invisible, while the client sends; every chunk
    // is stored in a short statement of its own, so a slow sender holds no
    // database connection (security review). Only the last transaction makes
    // it a document, with its version, audit entry and event.
    std::int64_t id = 0;
    {
      auto lease = services_.database.Acquire();
      soci::session& session = lease.Session();
      if (IsPartnersRecord(document.resource_type()) &&
          !PartnersRecordVisible(session, document, VisibilityOf(caller))) {
        return no_record;
      }
      repository::DeleteAbandonedUploads(session, services_.clock.Now() - kAbandonedAfter);
      id = repository::InsertPendingDocument(session, document, caller.user_id,
                                             services_.clock.Now());
    }
    // Whatever ends the upload early takes its pending row and chunks along.
    bool finished = false;
    struct DropUnfinished {
      const kernel::ServiceParts& services;
      const std::int64_t& id;
      const bool& finished;
      ~DropUnfinished() {
        if (finished) return;
        try {
          auto lease = services.database.Acquire();
          repository::DeleteDocument(lease.Session(), id);
        } catch (const std::exception& error) {
          // Left for DeleteAbandonedUploads.
          services.log.warn("an unfinished upload {} stays for the sweep: {}", id,
                            kernel::DescribeDatabaseError(error));
        }
      }
    } drop_unfinished{services_, id, finished};

    crypto_hash_sha256_state hash;
    crypto_hash_sha256_init(&hash);
    std::int64_t size = 0;
    int seq = 0;
    std::string pending;
    auto flush = [&](bool all) {
      while (pending.size() >= kChunkBytes || (all && !pending.empty())) {
        const std::size_t take = std::min(pending.size(), kChunkBytes);
        auto lease = services_.database.Acquire();
        repository::InsertDocumentChunk(lease.RawConnection(), id, seq++,
                                        std::string_view(pending).substr(0, take));
        pending.erase(0, take);
      }
    };
    while (reader->Read(&message)) {
      if (!message.has_chunk() && message.has_document()) {
        return kernel::InvalidField("document", "only the first message carries the document");
      }
      const std::string& chunk = message.chunk();
      size += static_cast<std::int64_t>(chunk.size());
      if (size > options_.document_max_bytes) {
        return kernel::InvalidField("chunk",
                                    fmt::format("the document is larger than the limit of {} MiB",
                                                options_.document_max_bytes / (1024 * 1024)));
      }
      crypto_hash_sha256_update(&hash, reinterpret_cast<const unsigned char*>(chunk.data()),
                                chunk.size());
      pending += chunk;
      flush(false);
    }
    if (context->IsCancelled()) {
      return {grpc::StatusCode::CANCELLED, "the upload was cancelled; nothing was stored"};
    }
    flush(true);
    const std::string sha256 = HexDigest(hash);

    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    repository::LockKey(session, fmt::format("partners.document.{}.{}.{}", document.resource_type(),
                                             document.resource_id(), document.name()));
    const int version = repository::NextDocumentVersion(session, document.resource_type(),
                                                        document.resource_id(), document.name());
    if (!repository::FinishDocument(session, id, version, size, sha256, services_.clock.Now())) {
      return {grpc::StatusCode::ABORTED,
              "the upload was discarded meanwhile (its record was deleted, or it took over an "
              "hour); send the document again"};
    }
    *response = *repository::FindDocument(session, id, repository::Visibility::Everyone());
    services_.audit.Record(
        session, caller, kernel::AuditAction::kCreate, kDocumentResource, id,
        {kernel::FieldChange::Created("name", response->name()),
         kernel::FieldChange::Created("resource_type", response->resource_type()),
         {"resource_id", std::nullopt, std::to_string(response->resource_id())},
         {"version", std::nullopt, std::to_string(response->version())},
         {"size_bytes", std::nullopt, std::to_string(size)},
         kernel::FieldChange::Created("sha256", sha256)});
    services_.events.Publish(session, "partners.document.uploaded", id, *response, caller);
    transaction.commit();
    finished = true;
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::CheckDocumentRecord(const grpc::ServerContext& caller,
                                                     std::int64_t id) {
  std::optional<v1::Document> document;
  {
    auto lease = services_.database.Acquire();
    document =
        repository::FindDocument(lease.Session(), id, VisibilityOf(kernel::CallerOf(caller)));
  }  // released: the owner of the record needs a connection of its own
  if (!document) return NoDocument(id);
  if (IsPartnersRecord(document->resource_type())) return grpc::Status::OK;
  RecordAccess access = RecordAccess::kHidden;
  if (auto status = CheckRecordAccess(services_, caller, document->resource_type(),
                                      document->resource_id(), access);
      !status.ok()) {
    return status;
  }
  return access == RecordAccess::kVisible ? grpc::Status::OK : NoDocument(id);
}

grpc::Status PartnerServiceImpl::DownloadDocument(
    grpc::ServerContext* context, const v1::DownloadDocumentRequest* request,
    grpc::ServerWriter<v1::DownloadDocumentResponse>* writer) {
  const kernel::Caller caller = kernel::CallerOf(*context);
  auto ticket = streams_.Enter(caller);
  if (!ticket) return TooManyStreams();
  return Guarded(services_.log, "DownloadDocument", [&]() -> grpc::Status {
    if (auto status = CheckDocumentRecord(*context, request->id()); !status.ok()) return status;
    // Each chunk is read in a short statement of its own and sent with no
    // connection held, so a slow reader ties up nothing in the database.
    // A version never changes once stored; only a delete can cut it short.
    std::optional<v1::Document> document;
    int chunks = 0;
    {
      auto lease = services_.database.Acquire();
      document = repository::FindDocument(lease.Session(), request->id(), VisibilityOf(caller));
      if (document) chunks = repository::DocumentChunkCount(lease.Session(), request->id());
    }
    if (!document) return NoDocument(request->id());
    v1::DownloadDocumentResponse message;
    *message.mutable_document() = *document;
    if (!writer->Write(message)) return grpc::Status::OK;  // the client went away
    for (int seq = 0; seq < chunks && !context->IsCancelled(); ++seq) {
      std::optional<std::string> chunk;
      {
        auto lease = services_.database.Acquire();
        chunk = repository::ReadDocumentChunk(lease.RawConnection(), request->id(), seq);
      }
      if (!chunk) {
        return {grpc::StatusCode::ABORTED,
                "the document was deleted while it was being downloaded"};
      }
      message.Clear();
      message.set_chunk(std::move(*chunk));
      if (!writer->Write(message)) break;
    }
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::TooManyStreams() const {
  return {grpc::StatusCode::RESOURCE_EXHAUSTED,
          fmt::format("at most {} document uploads, downloads and imports may run at once per "
                      "user; wait for one to finish",
                      options_.streams_per_user)};
}

grpc::Status PartnerServiceImpl::ListDocuments(grpc::ServerContext* context,
                                               const v1::ListDocumentsRequest* request,
                                               v1::ListDocumentsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "ListDocuments", [&]() -> grpc::Status {
    if (!IsPartnersRecord(request->resource_type())) {
      RecordAccess access = RecordAccess::kHidden;
      if (auto status = CheckRecordAccess(services_, *context, request->resource_type(),
                                          request->resource_id(), access);
          !status.ok()) {
        return status;
      }
      // Files of a record the caller may not see are not listed.
      if (access != RecordAccess::kVisible) return grpc::Status::OK;
    }
    auto lease = services_.database.Acquire();
    auto rows = repository::ListDocuments(
        lease.Session(), request->resource_type(), request->resource_id(), request->all_versions(),
        VisibilityOf(caller),
        page.after ? std::optional<std::string>(page.after->key) : std::nullopt,
        static_cast<int>(page.AfterId()), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{row.document.name(), row.document.version()};
    }));
    for (auto& row : rows) *response->add_documents() = std::move(row.document);
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::DeleteDocument(grpc::ServerContext* context,
                                                const v1::DeleteDocumentRequest* request,
                                                v1::DeleteDocumentResponse*) {
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "DeleteDocument", [&]() -> grpc::Status {
    if (auto status = CheckDocumentRecord(*context, request->id()); !status.ok()) return status;
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    const auto document = repository::FindDocument(session, request->id(), VisibilityOf(caller));
    if (!document || !repository::DeleteDocument(session, request->id())) {
      return NoDocument(request->id());
    }
    services_.audit.Record(session, caller, kernel::AuditAction::kDelete, kDocumentResource,
                           request->id(),
                           {{"name", kernel::JsonString(document->name()), std::nullopt},
                            {"sha256", kernel::JsonString(document->sha256()), std::nullopt}});
    services_.events.Publish(session, "partners.document.deleted", request->id(), *document,
                             caller);
    transaction.commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::partners
