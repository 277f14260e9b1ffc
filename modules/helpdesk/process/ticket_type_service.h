// TicketTypeService: ticket types and their standard processes
// (ticket_type_service.proto).
#pragma once

#include "karton/helpdesk/v1/ticket_type_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"

namespace karton::kernel {
class DomainEvents;
}  // namespace karton::kernel

namespace karton::helpdesk {

inline constexpr char kTicketTypeResource[] = "helpdesk.ticket_type";

class TicketTypeServiceImpl final : public v1::TicketTypeService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  explicit TicketTypeServiceImpl(kernel::ServiceParts parts) : parts_(parts) {}

  grpc::Status CreateTicketType(grpc::ServerContext* context,
                                const v1::CreateTicketTypeRequest* request,
                                v1::TicketType* response) override;
  grpc::Status GetTicketType(grpc::ServerContext* context, const v1::GetTicketTypeRequest* request,
                             v1::TicketType* response) override;
  grpc::Status ListTicketTypes(grpc::ServerContext* context,
                               const v1::ListTicketTypesRequest* request,
                               v1::ListTicketTypesResponse* response) override;
  grpc::Status UpdateTicketType(grpc::ServerContext* context,
                                const v1::UpdateTicketTypeRequest* request,
                                v1::TicketType* response) override;

 private:
  kernel::ServiceParts parts_;
};

}  // namespace karton::helpdesk
