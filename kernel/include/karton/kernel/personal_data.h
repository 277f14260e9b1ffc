// For modules that offer "personal_data_export" and "personal_data_erase"
// (karton/common/v1/personal_data.proto; docs/module-guide.md): the
// subject's keys in the shapes a bound SQL parameter takes, so every module
// matches people the same way.
//
//   kernel::PersonalDataKeys keys;
//   if (auto status = kernel::ReadPersonalDataSubject(request->subject(), keys); !status.ok())
//     return status;
//   RunPrepared(session, "SELECT id FROM orders.order WHERE partner_id = cast($1 AS bigint) "
//               "OR lower(email) IN (SELECT jsonb_array_elements_text(cast($2 AS jsonb)))",
//               {std::to_string(keys.partner_id), keys.emails});
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace soci {
class session;
}  // namespace soci

namespace karton::common::v1 {
class PersonalDataSubject;
class ErasePersonalDataSectionRequest;
}  // namespace karton::common::v1

namespace karton::kernel {

class AuditLog;
class DomainEvents;
class ModuleContext;
struct Caller;

struct PersonalDataKeys {
  std::int64_t partner_id = 0;  // 0: the subject is no partner
  std::string contact_ids;      // PostgreSQL bigint[] literal: "{4,9}"
  std::string emails;           // JSON array of strings (an address may hold any character)
  std::string phones;           // JSON array of strings, E.164
};

// The keys of `subject`; INVALID_ARGUMENT on "subject" when it names
// nobody (no partner, contact, address or number).
grpc::Status ReadPersonalDataSubject(const common::v1::PersonalDataSubject& subject,
                                     PersonalDataKeys& keys);

// A PostgreSQL bigint[] literal of `ids`, "{1,2,3}", for the erasure of the
// records found.
std::string BigintArrayLiteral(const std::vector<std::int64_t>& ids);

// What every "personal_data_erase" offer checks first: the subject's keys
// (as ReadPersonalDataSubject) and a reason, INVALID_ARGUMENT on "reason"
// without one.
grpc::Status ReadErasureRequest(const common::v1::ErasePersonalDataSectionRequest& request,
                                PersonalDataKeys& keys);

// After a module has blanked one of its records, inside the same
// transaction: the kernel forgets what it keeps about it too. The values in
// the record's audit entries are blanked and an erase entry by `caller`
// records `reason`; the payloads of its events on `topics` are emptied.
void ForgetErasedRecord(ModuleContext& context, soci::session& session, const Caller& caller,
                        std::string_view resource_type, std::int64_t id,
                        const std::vector<std::string>& topics, const std::string& reason);
// The same for a service given the audit trail and the event bus rather
// than the whole context.
void ForgetErasedRecord(AuditLog& audit, DomainEvents& events, soci::session& session,
                        const Caller& caller, std::string_view resource_type, std::int64_t id,
                        const std::vector<std::string>& topics, const std::string& reason);

}  // namespace karton::kernel
