#include "personal_data_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>

#include "inbound/inbound_repository.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/personal_data.h"
#include "karton/kernel/proto_json.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "message_repository.h"

namespace karton::messaging {
namespace {

constexpr const char* kMessageResource = "messaging.message";
constexpr const char* kSuppressionResource = "messaging.suppression";
constexpr const char* kInboundResource = "messaging.inbound_email";

// Every topic whose events carry a message's data.
const std::vector<std::string> kMessageTopics = {
    "messaging.message.queued", "messaging.message.sent", "messaging.message.failed",
    "messaging.message.suppressed", "messaging.message.bounced"};

// Kept on erasure: the entry is the person's own "do not contact me", and
// forgetting it would let the address be written to again (GDPR art. 21:
// the objection is honoured; the address is all that is kept).
constexpr const char* kSuppressionKept =
    "kept: a suppression is the person's objection; without it the address could be written "
    "to again";

std::vector<std::int64_t> MessagesOf(soci::session& session, const kernel::PersonalDataKeys& keys) {
  return repository::MessageIdsOfPerson(session, keys.partner_id, keys.contact_ids, keys.emails,
                                        keys.phones);
}

// Email received from the person: by their partner or contact, or from
// one of their addresses (a prospect who wrote in).
std::vector<std::int64_t> ReceivedFrom(soci::session& session,
                                       const kernel::PersonalDataKeys& keys) {
  return repository::InboundIdsOfPerson(session, keys.partner_id, keys.contact_ids, keys.emails);
}

}  // namespace

kernel::MethodRoles PersonalDataServiceImpl::Roles() {
  const std::vector<std::string> admin = {std::string(kernel::kRoleAdmin)};
  return {{"ExportPersonalDataSection", admin}, {"ErasePersonalDataSection", admin}};
}

grpc::Status PersonalDataServiceImpl::ExportPersonalDataSection(
    grpc::ServerContext*, const common::v1::ExportPersonalDataSectionRequest* request,
    common::v1::ExportPersonalDataSectionResponse* response) {
  kernel::PersonalDataKeys keys;
  if (auto status = kernel::ReadPersonalDataSubject(request->subject(), keys); !status.ok()) {
    return status;
  }
  return kernel::Guarded(services_.log, "ExportPersonalDataSection", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    session << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY";
    auto* section = response->mutable_section();
    section->set_module("messaging");
    for (const auto id : MessagesOf(session, keys)) {
      auto* record = section->add_records();
      record->set_resource_type(kMessageResource);
      record->set_resource_id(id);
      record->set_json(kernel::PrintProtoJson(*repository::FindMessage(session, id, false),
                                              kernel::ProtoJsonNames::kJson));
    }
    for (const auto id : ReceivedFrom(session, keys)) {
      auto* record = section->add_records();
      record->set_resource_type(kInboundResource);
      record->set_resource_id(id);
      record->set_json(kernel::PrintProtoJson(*repository::FindInboundEmail(session, id),
                                              kernel::ProtoJsonNames::kJson));
    }
    for (const auto& key : repository::SuppressionsOfPerson(session, keys.emails, keys.phones)) {
      auto* record = section->add_records();
      record->set_resource_type(kSuppressionResource);
      record->set_resource_id(key.id);
      record->set_json(
          kernel::PrintProtoJson(*repository::FindSuppression(session, key.channel, key.address),
                                 kernel::ProtoJsonNames::kJson));
    }
    transaction.commit();
    return grpc::Status::OK;
  });
}

grpc::Status PersonalDataServiceImpl::ErasePersonalDataSection(
    grpc::ServerContext* context, const common::v1::ErasePersonalDataSectionRequest* request,
    common::v1::ErasePersonalDataSectionResponse* response) {
  kernel::PersonalDataKeys keys;
  if (auto status = kernel::ReadErasureRequest(*request, keys); !status.ok()) return status;
  const kernel::Caller caller = kernel::CallerOf(*context);
  return kernel::Guarded(services_.log, "ErasePersonalDataSection", [&]() -> grpc::Status {
    // The attachments of email to the person's raw address are documents on
    // the messages (the partners module erases those on the partner and its
    // contacts itself). They go first, with no connection held (the partners
    // module needs one); if one cannot, nothing is erased here yet and the
    // request can be repeated.
    std::vector<std::int64_t> documents;
    {
      auto lease = services_.database.Acquire();
      documents =
          repository::DocumentsOnMessages(lease.Session(), MessagesOf(lease.Session(), keys));
    }
    for (const std::int64_t document : documents) {
      partners::v1::DeleteDocumentRequest remove;
      remove.set_id(document);
      partners::v1::DeleteDocumentResponse removed;
      const auto status =
          partners::v1::PartnerService::NewStub(services_.channel())
              ->DeleteDocument(kernel::CallContext(*context).get(), remove, &removed);
      if (!status.ok() && status.error_code() != grpc::StatusCode::NOT_FOUND) {
        return {status.error_code(), fmt::format("deleting document {}, an attachment: {}",
                                                 document, status.error_message())};
      }
    }
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    const auto messages = MessagesOf(session, keys);
    repository::EraseMessages(session, messages);
    auto* section = response->mutable_section();
    section->set_module("messaging");
    for (const auto document : documents) {
      auto* record = section->add_records();
      record->set_resource_type("partners.document");
      record->set_resource_id(document);
      record->set_outcome("deleted: an attachment of an erased message");
    }
    for (const auto id : messages) {
      kernel::ForgetErasedRecord(services_.audit, services_.events, session, caller,
                                 kMessageResource, id, kMessageTopics, request->reason());
      auto* record = section->add_records();
      record->set_resource_type(kMessageResource);
      record->set_resource_id(id);
      record->set_outcome("erased");
    }
    // Received email: its address, subject, thread and bytes (the
    // partners module erases its timeline entries and documents).
    const auto received = ReceivedFrom(session, keys);
    repository::EraseInbound(session, received);
    for (const auto id : received) {
      kernel::ForgetErasedRecord(services_.audit, services_.events, session, caller,
                                 kInboundResource, id, {"messaging.email.received"},
                                 request->reason());
      auto* record = section->add_records();
      record->set_resource_type(kInboundResource);
      record->set_resource_id(id);
      record->set_outcome("erased");
    }
    for (const auto& key : repository::SuppressionsOfPerson(session, keys.emails, keys.phones)) {
      auto* record = section->add_records();
      record->set_resource_type(kSuppressionResource);
      record->set_resource_id(key.id);
      record->set_outcome(kSuppressionKept);
    }
    transaction.commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::messaging
