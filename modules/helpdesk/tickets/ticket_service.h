// TicketService: tickets, their comments, hand-overs, states and merges
// (ticket_service.proto).
#pragma once

#include <cstdint>
#include <string>

#include "karton/helpdesk/v1/ticket_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "karton/kernel/sharing.h"

namespace karton::kernel {
class DomainEvents;
}  // namespace karton::kernel

namespace karton::helpdesk {

class PartnerDirectory;

inline constexpr char kTicketResource[] = "helpdesk.ticket";

class TicketServiceImpl final : public v1::TicketService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  TicketServiceImpl(kernel::ServiceParts parts, PartnerDirectory& partners)
      : parts_(parts), partners_(partners) {}

  grpc::Status CreateTicket(grpc::ServerContext* context, const v1::CreateTicketRequest* request,
                            v1::Ticket* response) override;
  grpc::Status GetTicket(grpc::ServerContext* context, const v1::GetTicketRequest* request,
                         v1::Ticket* response) override;
  grpc::Status ListTickets(grpc::ServerContext* context, const v1::ListTicketsRequest* request,
                           v1::ListTicketsResponse* response) override;
  grpc::Status UpdateTicket(grpc::ServerContext* context, const v1::UpdateTicketRequest* request,
                            v1::Ticket* response) override;
  grpc::Status AssignTicket(grpc::ServerContext* context, const v1::AssignTicketRequest* request,
                            v1::Ticket* response) override;
  grpc::Status HandOver(grpc::ServerContext* context, const v1::HandOverRequest* request,
                        v1::Ticket* response) override;
  grpc::Status AddComment(grpc::ServerContext* context, const v1::AddCommentRequest* request,
                          v1::TicketComment* response) override;
  grpc::Status ChangeState(grpc::ServerContext* context, const v1::ChangeStateRequest* request,
                           v1::Ticket* response) override;
  grpc::Status MergeTickets(grpc::ServerContext* context, const v1::MergeTicketsRequest* request,
                            v1::Ticket* response) override;
  grpc::Status ShareTicket(grpc::ServerContext* context, const v1::ShareTicketRequest* request,
                           v1::Ticket* response) override;
  grpc::Status UnshareTicket(grpc::ServerContext* context, const v1::UnshareTicketRequest* request,
                             v1::Ticket* response) override;
  grpc::Status CompleteStep(grpc::ServerContext* context, const v1::CompleteStepRequest* request,
                            v1::Ticket* response) override;
  grpc::Status SkipStep(grpc::ServerContext* context, const v1::SkipStepRequest* request,
                        v1::Ticket* response) override;

 private:
  // The partner and contact a create or an update names, or finds by the
  // requester's address or number; INVALID_ARGUMENT on `prefix`'s fields.
  grpc::Status ResolveParties(const grpc::ServerContext* context, v1::Ticket& ticket,
                              bool match_requester, const std::string& prefix);
  // AssignTicket and HandOver: the new holder, the history entry, the audit
  // entry and the event, and a share with an external partner user.
  grpc::Status Reassign(grpc::ServerContext* context, const char* method, v1::HandOverKind kind,
                        std::int64_t id, const std::string& etag, std::int64_t user_id,
                        std::int64_t team_id, const std::string& note, v1::Ticket* response);
  // CompleteStep and SkipStep: the current step finished, the next begun.
  grpc::Status MoveOn(grpc::ServerContext* context, const char* method, std::int64_t id,
                      const std::string& etag, bool skip, const std::string& note,
                      v1::Ticket* response);
  grpc::Status ChangeSharing(grpc::ServerContext* context, const char* method,
                             kernel::Sharing sharing, std::int64_t id, std::int64_t user_id,
                             std::int64_t team_id, v1::Ticket* response);

  kernel::ServiceParts parts_;
  PartnerDirectory& partners_;
};

}  // namespace karton::helpdesk
