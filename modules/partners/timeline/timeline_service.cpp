// PartnerService's timeline (A5): every interaction with a partner, logged
// by people through the API and by other modules (messaging, crm) through
// the in-process channel.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <re2/re2.h>
#include <soci/soci.h>

#include "contacts/contact_repository.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "partner_repository.h"
#include "partner_service.h"
#include "record_access.h"
#include "service_support.h"
#include "timeline/timeline_repository.h"

namespace karton::partners {

grpc::Status PartnerServiceImpl::LogInteraction(grpc::ServerContext* context,
                                                const v1::LogInteractionRequest* request,
                                                v1::Interaction* response) {
  using google::protobuf::util::TimeUtil;
  v1::Interaction interaction = request->interaction();
  std::vector<kernel::FieldViolation> violations;
  NormalizeInteraction(interaction, "interaction", violations);
  static const RE2 kModule(R"([a-z][a-z0-9_]{0,62})");
  if (interaction.source_module().empty()) interaction.set_source_module("partners");
  if (!RE2::FullMatch(interaction.source_module(), kModule)) {
    violations.push_back({"interaction.source_module", "must be a module name, [a-z][a-z0-9_]*"});
  }
  static const RE2 kResourceType(R"([a-z][a-z0-9_]{0,30}\.[a-z][a-z0-9_]{0,30})");
  if (!interaction.resource_type().empty() &&
      !RE2::FullMatch(interaction.resource_type(), kResourceType)) {
    violations.push_back({"interaction.resource_type", "must be <module>.<resource>"});
  }
  if (interaction.resource_type().empty() != (interaction.resource_id() == 0) ||
      interaction.resource_id() < 0) {
    violations.push_back(
        {"interaction.resource_id", "is given with resource_type, and only with it"});
  }
  // The range RFC 3339 can write: years 1 to 9999.
  if (interaction.has_occur_time() &&
      (interaction.occur_time().seconds() < TimeUtil::kTimestampMinSeconds ||
       interaction.occur_time().seconds() > TimeUtil::kTimestampMaxSeconds ||
       interaction.occur_time().nanos() < 0 || interaction.occur_time().nanos() > 999999999)) {
    violations.push_back({"interaction.occur_time", "is not a valid time"});
  }
  const kernel::Caller caller = kernel::CallerOf(*context);
  // An external partner logs as themselves, on the partner or on a record
  // shared with them, and never names a module's reference (a reference
  // already logged would answer with that entry).
  const bool external = caller.IsExternalPartner();
  if (external) {
    if (interaction.user_id() != 0 && interaction.user_id() != caller.user_id) {
      violations.push_back({"interaction.user_id", "an external partner logs as themselves"});
    }
    if (interaction.source_module() != "partners" || !interaction.source_reference().empty()) {
      violations.push_back({"interaction.source_reference",
                            "source_module and source_reference are for modules, not for "
                            "external partners"});
    }
    if (interaction.resource_type().rfind("partners.", 0) == 0 &&
        interaction.resource_type() != kPartnerResource) {
      violations.push_back({"interaction.resource_type",
                            "an external partner logs on the partner or on a record of another "
                            "module shared with them"});
    }
  }
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  if (interaction.user_id() == 0) interaction.set_user_id(caller.user_id);
  if (external && !interaction.resource_type().empty() &&
      interaction.resource_type() != kPartnerResource) {
    // Asked of the owning module before a connection is held here: it
    // needs one of its own.
    RecordAccess access = RecordAccess::kHidden;
    if (auto status = CheckRecordAccess(services_, *context, interaction.resource_type(),
                                        interaction.resource_id(), access);
        !status.ok()) {
      return status;
    }
    if (access != RecordAccess::kVisible) {
      return kernel::InvalidField(
          "interaction.resource_id",
          fmt::format("no {} with id {} is shared with you", interaction.resource_type(),
                      interaction.resource_id()));
    }
  }
  if (!interaction.has_occur_time()) {
    *interaction.mutable_occur_time() =
        TimeUtil::MicrosecondsToTimestamp(kernel::ToEpochMicros(services_.clock.Now()));
  }
  return Guarded(services_.log, "LogInteraction", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    // BEGIN goes with the first statement, the audit entry and the event
    // with the COMMIT: a new entry with a source reference is five round
    // trips (PartnerServiceTest counts them).
    kernel::Transaction transaction(session);
    if (!interaction.source_reference().empty()) {
      repository::LockKey(session, "partners.interaction." + interaction.source_module() + "." +
                                       interaction.source_reference());
      if (const auto existing = repository::FindInteractionByReference(
              session, interaction.source_module(), interaction.source_reference())) {
        // Logged before (a retried delivery): one entry, not two.
        *response = *repository::FindInteraction(session, *existing);
        transaction.Commit();
        return grpc::Status::OK;
      }
    }
    if (!repository::FindPartner(session, interaction.partner_id(), VisibilityOf(caller))) {
      return kernel::InvalidField("interaction.partner_id",
                                  fmt::format("no partner with id {}", interaction.partner_id()));
    }
    // On the partner itself only with the partner shared directly: a
    // shared deal's card is for reading.
    if (external &&
        (interaction.resource_type().empty() || interaction.resource_type() == kPartnerResource) &&
        !repository::IsSharedDirectly(session, interaction.partner_id(), caller.user_id)) {
      return kernel::InvalidField("interaction.resource_type",
                                  fmt::format("partner {} is not shared with you directly; log "
                                              "on the deal shared with you",
                                              interaction.partner_id()));
    }
    if (interaction.contact_id() != 0) {
      const auto contact = repository::FindContact(session, interaction.contact_id(),
                                                   repository::Visibility::Everyone());
      if (!contact || contact->partner_id() != interaction.partner_id()) {
        return kernel::InvalidField(
            "interaction.contact_id",
            fmt::format("{} is not a contact of partner {}", interaction.contact_id(),
                        interaction.partner_id()));
      }
    }
    // A refusal returns before the COMMIT: the transaction rolls back whole.
    try {
      *response = repository::InsertInteraction(session, interaction, services_.clock.Now());
    } catch (const std::exception& error) {
      if (SqlState(error) != "23503") throw;
      return kernel::InvalidField("interaction.user_id",
                                  fmt::format("there is no user {}", interaction.user_id()));
    }
    // What and where, not the subject or text: personal data the partner's
    // erasure empties in the timeline and its events, which the audit
    // trail, kept for years, should not hold a copy of.
    services_.audit.Record(
        session, caller, kernel::AuditAction::kCreate, "partners.interaction", response->id(),
        {kernel::FieldChange{"partner_id", std::nullopt, std::to_string(response->partner_id())},
         kernel::FieldChange::Created("channel", v1::InteractionChannel_Name(response->channel())),
         kernel::FieldChange::Created("source_module", response->source_module())});
    services_.events.Publish(session, "partners.interaction.logged", response->partner_id(),
                             *response, caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::ListTimeline(grpc::ServerContext* context,
                                              const v1::ListTimelineRequest* request,
                                              v1::ListTimelineResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page, {.default_size = 50, .max_size = 1000});
      !status.ok()) {
    return status;
  }
  const kernel::Caller caller = kernel::CallerOf(*context);
  return Guarded(services_.log, "ListTimeline", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    if (!repository::FindPartner(session, request->partner_id(), VisibilityOf(caller))) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("partner_id: no partner with id {}", request->partner_id())};
    }
    auto rows = repository::ListTimeline(
        session, request->partner_id(), VisibilityOf(caller),
        page.after ? std::optional<std::string>(page.after->key) : std::nullopt, page.AfterId(),
        page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{row.key, row.interaction.id()};
    }));
    for (auto& row : rows) *response->add_interactions() = std::move(row.interaction);
    return grpc::Status::OK;
  });
}

}  // namespace karton::partners
