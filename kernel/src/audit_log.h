// The kernel's audit trail writer (karton/kernel/audit.h) and reader service.
#pragma once

#include "karton/kernel/audit.h"
#include "karton/kernel/clock.h"
#include "karton/kernel/v1/audit_service.grpc.pb.h"

namespace karton::kernel {

class Database;

class KernelAuditLog final : public AuditLog {
 public:
  explicit KernelAuditLog(const Clock& clock) : clock_(clock) {}
  void Record(soci::session& session, const Caller& actor, AuditAction action,
              std::string_view resource_type, std::int64_t resource_id,
              const std::vector<FieldChange>& changes) override;
  void RecordMany(soci::session& session, const Caller& actor, AuditAction action,
                  std::string_view resource_type, const Entries& entries) override;
  std::vector<v1::AuditEntry> History(soci::session& session, std::string_view resource_type,
                                      std::int64_t resource_id) override;
  void EraseValues(soci::session& session, std::string_view resource_type,
                   std::int64_t resource_id, const std::vector<std::string>& fields) override;

 private:
  const Clock& clock_;
};

class AuditServiceImpl final : public v1::AuditService::Service {
 public:
  explicit AuditServiceImpl(Database& database) : database_(database) {}
  static MethodRoles Roles();
  grpc::Status ListAuditEntries(grpc::ServerContext*, const v1::ListAuditEntriesRequest*,
                                v1::ListAuditEntriesResponse*) override;

 private:
  Database& database_;
};

}  // namespace karton::kernel
