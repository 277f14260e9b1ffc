#include "personal_data_service.h"

#include <soci/soci.h>

#include <boost/json.hpp>

#include "activity_repository.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/proto_json.h"
#include "lead_repository.h"
#include "scope.h"

namespace karton::crm {
namespace {

constexpr const char* kLeadResource = "crm.lead";
constexpr const char* kActivityResource = "crm.activity";

// Every topic whose events carry a lead's or an activity's data.
const std::vector<std::string> kLeadTopics = {"crm.lead.created", "crm.lead.assigned",
                                              "crm.lead.qualified", "crm.lead.disqualified"};
const std::vector<std::string> kActivityTopics = {
    "crm.activity.created", "crm.activity.due", "crm.activity.completed", "crm.activity.canceled"};

std::string JsonArray(const google::protobuf::RepeatedPtrField<std::string>& values) {
  boost::json::array array;
  for (const auto& value : values) array.emplace_back(value);
  return boost::json::serialize(array);
}

template <typename Ids>
std::string IdArray(const Ids& ids) {
  std::string array = "{";
  for (const auto id : ids) array += (array.size() > 1 ? "," : "") + std::to_string(id);
  return array + "}";
}

struct Held {
  std::vector<std::int64_t> leads;
  std::vector<std::int64_t> activities;
};

Held Find(soci::session& session, const common::v1::PersonalDataSubject& subject) {
  Held held;
  held.leads = lead_repository::IdsOfPerson(
      session, subject.partner_id(), JsonArray(subject.emails()), JsonArray(subject.phones()));
  held.activities = activity_repository::IdsOfPerson(
      session, subject.partner_id(), IdArray(subject.contact_ids()), IdArray(held.leads));
  return held;
}

grpc::Status CheckSubject(const common::v1::PersonalDataSubject& subject) {
  if (subject.partner_id() <= 0 && subject.contact_ids().empty() && subject.emails().empty() &&
      subject.phones().empty()) {
    return kernel::InvalidField("subject", "names no partner, contact, address or phone");
  }
  return grpc::Status::OK;
}

}  // namespace

kernel::MethodRoles PersonalDataServiceImpl::Roles() {
  const std::vector<std::string> admin = {std::string(kernel::kRoleAdmin)};
  return {{"ExportPersonalDataSection", admin}, {"ErasePersonalDataSection", admin}};
}

grpc::Status PersonalDataServiceImpl::ExportPersonalDataSection(
    grpc::ServerContext*, const common::v1::ExportPersonalDataSectionRequest* request,
    common::v1::ExportPersonalDataSectionResponse* response) {
  if (auto status = CheckSubject(request->subject()); !status.ok()) return status;
  return kernel::Guarded(context_, "ExportPersonalDataSection", [&]() -> grpc::Status {
    auto lease = context_.Db().Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    session << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY";
    const Held held = Find(session, request->subject());
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
  if (auto status = CheckSubject(request->subject()); !status.ok()) return status;
  if (request->reason().empty()) return kernel::InvalidField("reason", "is required");
  const kernel::Caller caller = kernel::CallerOf(*context);
  return kernel::Guarded(context_, "ErasePersonalDataSection", [&]() -> grpc::Status {
    auto lease = context_.Db().Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    const Held held = Find(session, request->subject());
    lead_repository::EraseLeads(session, held.leads);
    activity_repository::EraseTexts(session, held.activities);
    auto& audit = context_.Audit();
    auto& events = context_.Events();
    const std::vector<kernel::FieldChange> entry = {
        {"reason", std::nullopt, kernel::JsonString(request->reason())}};
    auto* section = response->mutable_section();
    section->set_module("crm");
    const auto erased = [&](const char* type, std::int64_t id,
                            const std::vector<std::string>& topics) {
      audit.EraseValues(session, type, id, {});
      audit.Record(session, caller, kernel::AuditAction::kErase, type, id, entry);
      events.ErasePayloads(session, topics, id);
      auto* record = section->add_records();
      record->set_resource_type(type);
      record->set_resource_id(id);
      record->set_outcome("erased");
    };
    for (const auto id : held.leads) erased(kLeadResource, id, kLeadTopics);
    for (const auto id : held.activities) erased(kActivityResource, id, kActivityTopics);
    transaction.commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::crm
