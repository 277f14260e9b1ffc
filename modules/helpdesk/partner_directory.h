// What the helpdesk needs to know about partners, asked of the partners
// module over gRPC as the caller (or as kartond, for work with no caller:
// email intake). An interface, so the services' database tests answer it
// without a server.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace grpc {
class Channel;
class ServerContext;
}  // namespace grpc

namespace karton::helpdesk {

struct PartnerMatch {
  std::int64_t partner_id = 0;
  std::int64_t contact_id = 0;
};

class PartnerDirectory {
 public:
  virtual ~PartnerDirectory() = default;
  // NOT_FOUND when the caller of `from` (kartond when null) cannot see the
  // partner.
  virtual grpc::Status CheckPartner(const grpc::ServerContext* from, std::int64_t partner_id) = 0;
  // NOT_FOUND when there is no such contact, FAILED_PRECONDITION when it
  // is another partner's.
  virtual grpc::Status CheckContact(const grpc::ServerContext* from, std::int64_t partner_id,
                                    std::int64_t contact_id) = 0;
  // The partner (and contact) an address or number belongs to: a contact's
  // first, then a partner's own. `email` is lower case, `phone` E.164;
  // either may be empty. A match of nothing is OK with zeros.
  virtual grpc::Status Match(const grpc::ServerContext* from, const std::string& email,
                             const std::string& phone, PartnerMatch& match) = 0;
};

// The in-process gRPC implementation; `channel` is read on each call (it
// exists from the module's Start() on).
class GrpcPartnerDirectory final : public PartnerDirectory {
 public:
  explicit GrpcPartnerDirectory(std::function<std::shared_ptr<grpc::Channel>()> channel)
      : channel_(std::move(channel)) {}
  grpc::Status CheckPartner(const grpc::ServerContext* from, std::int64_t partner_id) override;
  grpc::Status CheckContact(const grpc::ServerContext* from, std::int64_t partner_id,
                            std::int64_t contact_id) override;
  grpc::Status Match(const grpc::ServerContext* from, const std::string& email,
                     const std::string& phone, PartnerMatch& match) override;

 private:
  std::function<std::shared_ptr<grpc::Channel>()> channel_;
};

}  // namespace karton::helpdesk
