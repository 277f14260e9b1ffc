// SegmentService: saved segments and their members (segment_service.proto).
#pragma once

#include "karton/campaigns/v1/segment_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"

namespace karton::kernel {
class DomainEvents;
}  // namespace karton::kernel

namespace karton::campaigns {

class SegmentServiceImpl final : public v1::SegmentService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  explicit SegmentServiceImpl(kernel::ServiceParts parts) : parts_(std::move(parts)) {}

  grpc::Status CreateSegment(grpc::ServerContext* context, const v1::CreateSegmentRequest* request,
                             v1::Segment* response) override;
  grpc::Status GetSegment(grpc::ServerContext* context, const v1::GetSegmentRequest* request,
                          v1::Segment* response) override;
  grpc::Status ListSegments(grpc::ServerContext* context, const v1::ListSegmentsRequest* request,
                            v1::ListSegmentsResponse* response) override;
  grpc::Status UpdateSegment(grpc::ServerContext* context, const v1::UpdateSegmentRequest* request,
                             v1::Segment* response) override;
  grpc::Status DeleteSegment(grpc::ServerContext* context, const v1::DeleteSegmentRequest* request,
                             v1::DeleteSegmentResponse* response) override;
  grpc::Status PreviewSegment(grpc::ServerContext* context,
                              const v1::PreviewSegmentRequest* request,
                              v1::PreviewSegmentResponse* response) override;
  grpc::Status ListSegmentMembers(grpc::ServerContext* context,
                                  const v1::ListSegmentMembersRequest* request,
                                  v1::ListSegmentMembersResponse* response) override;

 private:
  // The segment as it would be stored: its fields, and its filter as
  // partners reads it (asked as the caller). No connection is held.
  grpc::Status Check(const grpc::ServerContext& context, const v1::Segment& segment);
  grpc::Status Read(std::int64_t id, v1::Segment& segment);

  kernel::ServiceParts parts_;
};

}  // namespace karton::campaigns
