// CallListService: cold-call lists and the calls made from them
// (call_list_service.proto).
#pragma once

#include "karton/campaigns/v1/call_list_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"

namespace karton::kernel {
class DomainEvents;
}  // namespace karton::kernel

namespace karton::campaigns {

class CallListServiceImpl final : public v1::CallListService::Service {
 public:
  // At most this many entries in one list.
  static constexpr std::size_t kMaxEntries = 20'000;
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  explicit CallListServiceImpl(kernel::ServiceParts parts) : parts_(std::move(parts)) {}

  grpc::Status CreateCallList(grpc::ServerContext* context,
                              const v1::CreateCallListRequest* request,
                              v1::CallList* response) override;
  grpc::Status GetCallList(grpc::ServerContext* context, const v1::GetCallListRequest* request,
                           v1::CallList* response) override;
  grpc::Status ListCallLists(grpc::ServerContext* context, const v1::ListCallListsRequest* request,
                             v1::ListCallListsResponse* response) override;
  grpc::Status ListCallListEntries(grpc::ServerContext* context,
                                   const v1::ListCallListEntriesRequest* request,
                                   v1::ListCallListEntriesResponse* response) override;
  grpc::Status RecordCall(grpc::ServerContext* context, const v1::RecordCallRequest* request,
                          v1::CallListEntry* response) override;

 private:
  kernel::ServiceParts parts_;
};

}  // namespace karton::campaigns
