// PartnerService's timeline (A5): every interaction with a partner, logged
// by people through the API and by other modules (messaging, crm) through
// the in-process channel.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <re2/re2.h>
#include <soci/soci.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "contacts/contact_repository.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "partner_repository.h"
#include "partner_service.h"
#include "record_access.h"
#include "service_support.h"
#include "timeline/timeline_repository.h"

namespace karton::partners {

namespace {

// The most entries one BatchLogInteractions takes.
constexpr int kMaxBatchInteractions = 1000;

// What LogInteraction and BatchLogInteractions check of an entry before
// the database, its fields named under `prefix` ("interaction",
// "requests[3].interaction"). Normalises it, and sets source_module when it
// is empty.
void CheckInteraction(v1::Interaction& interaction, const std::string& prefix,
                      const kernel::Caller& caller,
                      std::vector<kernel::FieldViolation>& violations) {
  using google::protobuf::util::TimeUtil;
  NormalizeInteraction(interaction, prefix, violations);
  static const RE2 kModule(R"([a-z][a-z0-9_]{0,62})");
  if (interaction.source_module().empty()) interaction.set_source_module("partners");
  if (!RE2::FullMatch(interaction.source_module(), kModule)) {
    violations.push_back({prefix + ".source_module", "must be a module name, [a-z][a-z0-9_]*"});
  }
  static const RE2 kResourceType(R"([a-z][a-z0-9_]{0,30}\.[a-z][a-z0-9_]{0,30})");
  if (!interaction.resource_type().empty() &&
      !RE2::FullMatch(interaction.resource_type(), kResourceType)) {
    violations.push_back({prefix + ".resource_type", "must be <module>.<resource>"});
  }
  if (interaction.resource_type().empty() != (interaction.resource_id() == 0) ||
      interaction.resource_id() < 0) {
    violations.push_back(
        {prefix + ".resource_id", "is given with resource_type, and only with it"});
  }
  // The range RFC 3339 can write: years 1 to 9999.
  if (interaction.has_occur_time() &&
      (interaction.occur_time().seconds() < TimeUtil::kTimestampMinSeconds ||
       interaction.occur_time().seconds() > TimeUtil::kTimestampMaxSeconds ||
       interaction.occur_time().nanos() < 0 || interaction.occur_time().nanos() > 999999999)) {
    violations.push_back({prefix + ".occur_time", "is not a valid time"});
  }
  // An external partner logs as themselves, on the partner or on a record
  // shared with them, and never names a module's reference (a reference
  // already logged would answer with that entry).
  if (caller.IsExternalPartner()) {
    if (interaction.user_id() != 0 && interaction.user_id() != caller.user_id) {
      violations.push_back({prefix + ".user_id", "an external partner logs as themselves"});
    }
    if (interaction.source_module() != "partners" || !interaction.source_reference().empty()) {
      violations.push_back({prefix + ".source_reference",
                            "source_module and source_reference are for modules, not for "
                            "external partners"});
    }
    if (interaction.resource_type().rfind("partners.", 0) == 0 &&
        interaction.resource_type() != kPartnerResource) {
      violations.push_back({prefix + ".resource_type",
                            "an external partner logs on the partner or on a record of another "
                            "module shared with them"});
    }
  }
}

// What the audit trail keeps of a new entry: what and where, not the
// subject or text. Those are personal data the partner's erasure empties in
// the timeline and its events, which the audit trail, kept for years,
// should not hold a copy of.
std::vector<kernel::FieldChange> AuditedInteraction(const v1::Interaction& logged) {
  return {kernel::FieldChange{"partner_id", std::nullopt, std::to_string(logged.partner_id())},
          kernel::FieldChange::Created("channel", v1::InteractionChannel_Name(logged.channel())),
          kernel::FieldChange::Created("source_module", logged.source_module())};
}

}  // namespace

grpc::Status PartnerServiceImpl::LogInteraction(grpc::ServerContext* context,
                                                const v1::LogInteractionRequest* request,
                                                v1::Interaction* response) {
  using google::protobuf::util::TimeUtil;
  v1::Interaction interaction = request->interaction();
  std::vector<kernel::FieldViolation> violations;
  const kernel::Caller caller = kernel::CallerOf(*context);
  const bool external = caller.IsExternalPartner();
  CheckInteraction(interaction, "interaction", caller, violations);
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
    services_.audit.Record(session, caller, kernel::AuditAction::kCreate, "partners.interaction",
                           response->id(), AuditedInteraction(*response));
    services_.events.Publish(session, "partners.interaction.logged", response->partner_id(),
                             *response, caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

// The same checks as LogInteraction, each entry's fields named by its
// place in the request, and one transaction for them all: the partners,
// contacts and users named are read in one statement, the entries go in
// with one INSERT (an entry logged before under its source reference is
// left out and answered), and the audit entries and events of the new ones
// go with the COMMIT.
grpc::Status PartnerServiceImpl::BatchLogInteractions(
    grpc::ServerContext* context, const v1::BatchLogInteractionsRequest* request,
    v1::BatchLogInteractionsResponse* response) {
  using google::protobuf::util::TimeUtil;
  if (request->requests().empty() || request->requests_size() > kMaxBatchInteractions) {
    return kernel::InvalidField("requests",
                                fmt::format("give 1 to {} entries", kMaxBatchInteractions));
  }
  const kernel::Caller caller = kernel::CallerOf(*context);
  const auto now = TimeUtil::MicrosecondsToTimestamp(kernel::ToEpochMicros(services_.clock.Now()));
  std::vector<v1::Interaction> entries;
  entries.reserve(static_cast<std::size_t>(request->requests_size()));
  std::vector<kernel::FieldViolation> violations;
  for (int i = 0; i < request->requests_size(); ++i) {
    v1::Interaction& entry = entries.emplace_back(request->requests(i).interaction());
    CheckInteraction(entry, fmt::format("requests[{}].interaction", i), caller, violations);
    if (entry.user_id() == 0) entry.set_user_id(caller.user_id);
    if (!entry.has_occur_time()) *entry.mutable_occur_time() = now;
  }
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  return Guarded(services_.log, "BatchLogInteractions", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    kernel::Transaction transaction(session);
    std::vector<std::int64_t> partner_ids, contact_ids, user_ids;
    for (const auto& entry : entries) {
      partner_ids.push_back(entry.partner_id());
      if (entry.contact_id() != 0) contact_ids.push_back(entry.contact_id());
      if (entry.user_id() != 0) user_ids.push_back(entry.user_id());
    }
    const auto found =
        repository::FindTimelineReferences(session, partner_ids, contact_ids, user_ids);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& entry = entries[i];
      const std::string prefix = fmt::format("requests[{}].interaction", i);
      if (!found.partners.contains(entry.partner_id())) {
        violations.push_back(
            {prefix + ".partner_id", fmt::format("no partner with id {}", entry.partner_id())});
      }
      if (entry.contact_id() != 0) {
        const auto contact = found.contact_partners.find(entry.contact_id());
        if (contact == found.contact_partners.end() || contact->second != entry.partner_id()) {
          violations.push_back(
              {prefix + ".contact_id", fmt::format("{} is not a contact of partner {}",
                                                   entry.contact_id(), entry.partner_id())});
        }
      }
      if (entry.user_id() != 0 && !found.users.contains(entry.user_id())) {
        violations.push_back(
            {prefix + ".user_id", fmt::format("there is no user {}", entry.user_id())});
      }
    }
    // A refusal returns before the COMMIT: nothing is logged.
    if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
    std::vector<v1::Interaction> inserted;
    try {
      inserted = repository::InsertInteractions(session, entries, services_.clock.Now());
    } catch (const std::exception& error) {
      // A user removed since the look above.
      if (SqlState(error) != "23503") throw;
      return kernel::InvalidField("requests", "an entry names a user or record that is gone");
    }
    // Each entry's answer: the row inserted for it, or the one logged
    // before under its reference. Inserted rows without a reference keep
    // the order given in their ids.
    std::sort(inserted.begin(), inserted.end(),
              [](const auto& a, const auto& b) { return a.id() < b.id(); });
    using Reference = std::pair<std::string, std::string>;
    std::map<Reference, const v1::Interaction*> by_reference;
    std::vector<const v1::Interaction*> unreferenced;
    for (const auto& row : inserted) {
      if (row.source_reference().empty()) {
        unreferenced.push_back(&row);
      } else {
        by_reference[{row.source_module(), row.source_reference()}] = &row;
      }
    }
    std::vector<Reference> logged_before;
    for (const auto& entry : entries) {
      if (entry.source_reference().empty()) continue;
      Reference reference{entry.source_module(), entry.source_reference()};
      if (!by_reference.contains(reference)) logged_before.push_back(std::move(reference));
    }
    const auto earlier = logged_before.empty()
                             ? std::vector<v1::Interaction>{}
                             : repository::FindInteractionsByReference(session, logged_before);
    for (const auto& row : earlier) {
      by_reference[{row.source_module(), row.source_reference()}] = &row;
    }
    std::size_t next_unreferenced = 0;
    for (const auto& entry : entries) {
      const v1::Interaction* answer = nullptr;
      if (entry.source_reference().empty()) {
        if (next_unreferenced < unreferenced.size()) answer = unreferenced[next_unreferenced++];
      } else if (const auto it =
                     by_reference.find({entry.source_module(), entry.source_reference()});
                 it != by_reference.end()) {
        answer = it->second;
      }
      if (answer == nullptr) {
        throw std::logic_error("BatchLogInteractions: an entry was neither inserted nor found");
      }
      *response->add_interactions() = *answer;
    }
    kernel::AuditLog::Entries audited;
    kernel::DomainEvents::Batch published;
    audited.reserve(inserted.size());
    published.reserve(inserted.size());
    for (const auto& row : inserted) {
      audited.emplace_back(row.id(), AuditedInteraction(row));
      published.emplace_back(row.partner_id(), &row);
    }
    services_.audit.RecordMany(session, caller, kernel::AuditAction::kCreate,
                               "partners.interaction", audited);
    services_.events.PublishMany(session, "partners.interaction.logged", published, caller);
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
