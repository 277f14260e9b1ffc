#include "personal_data_service.h"

#include <soci/soci.h>

#include <algorithm>

#include "activities/activity_repository.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/personal_data.h"
#include "karton/kernel/proto_json.h"
#include "leads/lead_repository.h"
#include "scope.h"

namespace karton::crm {
namespace {

constexpr const char* kLeadResource = "crm.lead";
constexpr const char* kActivityResource = "crm.activity";

// Every topic whose events carry a lead's or an activity's data.
const std::vector<std::string> kLeadTopics = {
    "crm.lead.created",      "crm.lead.updated", "crm.lead.assigned", "crm.lead.qualified",
    "crm.lead.disqualified", "crm.lead.shared",  "crm.lead.unshared"};
const std::vector<std::string> kActivityTopics = {"crm.activity.created", "crm.activity.updated",
                                                  "crm.activity.due", "crm.activity.completed",
                                                  "crm.activity.canceled"};

struct Held {
  std::vector<std::int64_t> leads;
  std::vector<std::int64_t> activities;
};

Held Find(soci::session& session, const kernel::PersonalDataKeys& keys) {
  Held held;
  held.leads = lead_repository::IdsOfPerson(session, keys.partner_id, keys.emails, keys.phones);
  held.activities = activity_repository::IdsOfPerson(session, keys.partner_id, keys.contact_ids,
                                                     kernel::BigintArrayLiteral(held.leads));
  return held;
}

}  // namespace

std::vector<std::int64_t> EraseInvitations(const kernel::ServiceParts& services,
                                           soci::session& session, const std::string& contact_ids,
                                           const std::string& emails) {
  const auto ids = activity_repository::IdsInviting(session, contact_ids, emails);
  if (ids.empty()) return ids;
  activity_repository::EraseInvitees(session, contact_ids, emails);
  for (const auto id : ids) {
    services.audit.EraseValues(session, kActivityResource, id, {"invitees"});
    services.events.ErasePayloads(session, kActivityTopics, id);
  }
  return ids;
}

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
    const Held held = Find(session, keys);
    auto* section = response->mutable_section();
    section->set_module("crm");
    for (const auto id : held.leads) {
      auto* record = section->add_records();
      record->set_resource_type(kLeadResource);
      record->set_resource_id(id);
      record->set_json(
          kernel::PrintProtoJson(*lead_repository::Find(session, id, Scope::Everything(), false),
                                 kernel::ProtoJsonNames::kJson));
    }
    for (const auto id : held.activities) {
      auto* record = section->add_records();
      record->set_resource_type(kActivityResource);
      record->set_resource_id(id);
      record->set_json(kernel::PrintProtoJson(
          *activity_repository::Find(session, id, Scope::Everything(), false),
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
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    const Held held = Find(session, keys);
    // Activities that are not the person's but invite them (a colleague's
    // meeting with the partner, an address invited alone) lose the
    // invitation; their texts are someone else's and stay.
    std::vector<std::int64_t> inviting;
    for (const auto id : EraseInvitations(services_, session, keys.contact_ids, keys.emails)) {
      if (std::find(held.activities.begin(), held.activities.end(), id) == held.activities.end()) {
        inviting.push_back(id);
      }
    }
    lead_repository::EraseLeads(session, held.leads);
    activity_repository::EraseTexts(session, held.activities);
    auto* section = response->mutable_section();
    section->set_module("crm");
    const auto erased = [&](const char* type, std::int64_t id,
                            const std::vector<std::string>& topics) {
      kernel::ForgetErasedRecord(services_.audit, services_.events, session, caller, type, id,
                                 topics, request->reason());
      auto* record = section->add_records();
      record->set_resource_type(type);
      record->set_resource_id(id);
      record->set_outcome("erased");
    };
    for (const auto id : held.leads) erased(kLeadResource, id, kLeadTopics);
    for (const auto id : held.activities) erased(kActivityResource, id, kActivityTopics);
    for (const auto id : inviting) {
      services_.audit.Record(session, caller, kernel::AuditAction::kErase, kActivityResource, id,
                             {{"reason", std::nullopt, kernel::JsonString(request->reason())}});
      auto* record = section->add_records();
      record->set_resource_type(kActivityResource);
      record->set_resource_id(id);
      record->set_outcome("erased: the invitation (the activity is someone else's)");
    }
    transaction.commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::crm
