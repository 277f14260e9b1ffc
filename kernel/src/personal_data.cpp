#include "karton/kernel/personal_data.h"

#include <boost/json.hpp>

#include "karton/common/v1/personal_data.pb.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/module.h"

namespace karton::kernel {
namespace {

std::string JsonArray(const google::protobuf::RepeatedPtrField<std::string>& values) {
  boost::json::array array;
  for (const auto& value : values) array.emplace_back(value);
  return boost::json::serialize(array);
}

}  // namespace

grpc::Status ReadPersonalDataSubject(const common::v1::PersonalDataSubject& subject,
                                     PersonalDataKeys& keys) {
  if (subject.partner_id() <= 0 && subject.contact_ids().empty() && subject.emails().empty() &&
      subject.phones().empty()) {
    return InvalidField("subject", "names no partner, contact, address or phone");
  }
  keys.partner_id = std::max<std::int64_t>(subject.partner_id(), 0);
  keys.contact_ids =
      BigintArrayLiteral({subject.contact_ids().begin(), subject.contact_ids().end()});
  keys.emails = JsonArray(subject.emails());
  keys.phones = JsonArray(subject.phones());
  return grpc::Status::OK;
}

std::string BigintArrayLiteral(const std::vector<std::int64_t>& ids) {
  std::string array = "{";
  for (const auto id : ids) {
    if (array.size() > 1) array += ',';
    array += std::to_string(id);
  }
  return array + "}";
}

grpc::Status ReadErasureRequest(const common::v1::ErasePersonalDataSectionRequest& request,
                                PersonalDataKeys& keys) {
  if (auto status = ReadPersonalDataSubject(request.subject(), keys); !status.ok()) return status;
  if (request.reason().empty()) return InvalidField("reason", "is required");
  return grpc::Status::OK;
}

void ForgetErasedRecord(ModuleContext& context, soci::session& session, const Caller& caller,
                        std::string_view resource_type, std::int64_t id,
                        const std::vector<std::string>& topics, const std::string& reason) {
  ForgetErasedRecord(context.Audit(), context.Events(), session, caller, resource_type, id, topics,
                     reason);
}

void ForgetErasedRecord(AuditLog& audit, DomainEvents& events, soci::session& session,
                        const Caller& caller, std::string_view resource_type, std::int64_t id,
                        const std::vector<std::string>& topics, const std::string& reason) {
  audit.EraseValues(session, resource_type, id, {});
  audit.Record(session, caller, AuditAction::kErase, resource_type, id,
               {{"reason", std::nullopt, JsonString(reason)}});
  events.ErasePayloads(session, topics, id);
}

}  // namespace karton::kernel
