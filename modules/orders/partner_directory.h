// What the orders module needs to know about partners, asked of the
// partners module over gRPC as the caller (so an external partner can only
// quote for partners shared with them). An interface, so the services'
// database tests answer it without a server.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "karton/common/v1/address.pb.h"
#include "karton/common/v1/money.pb.h"
#include "karton/kernel/calls.h"

namespace grpc {
class Channel;
class ServerContext;
}  // namespace grpc

namespace karton::orders {

struct PartnerFacts {
  std::int64_t id = 0;
  std::string display_name;
  // Unset (no currency) when the partner has none: then nothing is checked.
  common::v1::Money credit_limit;
  // What a printed quotation says of the customer.
  std::string legal_name;
  std::string tax_number;
  // The billing address, else the first one; unset when there is none.
  common::v1::Address address;
  // "hu", "en", or empty (Hungarian).
  std::string preferred_language;
};

struct ContactFacts {
  std::int64_t id = 0;
  std::string name;
};

class PartnerDirectory {
 public:
  virtual ~PartnerDirectory() = default;
  // NOT_FOUND when the caller of `from` cannot see the partner.
  virtual grpc::Status FindPartner(const grpc::ServerContext* from, std::int64_t partner_id,
                                   PartnerFacts& facts) = 0;
  // NOT_FOUND when there is no such contact, FAILED_PRECONDITION when it is
  // another partner's.
  virtual grpc::Status CheckContact(const grpc::ServerContext* from, std::int64_t partner_id,
                                    std::int64_t contact_id) = 0;
  // CheckContact, and what a printed quotation says of the contact.
  virtual grpc::Status FindContact(const grpc::ServerContext* from, std::int64_t partner_id,
                                   std::int64_t contact_id, ContactFacts& facts) = 0;
};

// What other modules say a partner owes them (extension point
// "orders.credit_exposure", credit_exposure.proto).
struct ExposureAnswer {
  std::string module;
  std::int64_t open_minor = 0;
  std::string description;
  std::string not_counted;
};

class CreditExposureSource {
 public:
  virtual ~CreditExposureSource() = default;
  // Every offering module's answer; a module that fails is an error (the
  // check cannot be made without it), named in the status.
  virtual grpc::Status Ask(const grpc::ServerContext& from, std::int64_t partner_id,
                           const std::string& currency_code,
                           std::vector<ExposureAnswer>& answers) = 0;
};

// The in-process gRPC implementations. `channel` and `offers` are read on
// each call: the channel exists from the module's Start() on.
class GrpcPartnerDirectory final : public PartnerDirectory {
 public:
  explicit GrpcPartnerDirectory(std::function<std::shared_ptr<grpc::Channel>()> channel)
      : channel_(std::move(channel)) {}
  grpc::Status FindPartner(const grpc::ServerContext* from, std::int64_t partner_id,
                           PartnerFacts& facts) override;
  grpc::Status CheckContact(const grpc::ServerContext* from, std::int64_t partner_id,
                            std::int64_t contact_id) override;
  grpc::Status FindContact(const grpc::ServerContext* from, std::int64_t partner_id,
                           std::int64_t contact_id, ContactFacts& facts) override;

 private:
  std::function<std::shared_ptr<grpc::Channel>()> channel_;
};

class ExtensionCreditExposure final : public CreditExposureSource {
 public:
  ExtensionCreditExposure(std::function<std::shared_ptr<grpc::Channel>()> channel,
                          std::function<std::vector<kernel::ExtensionOffer>()> offers)
      : channel_(std::move(channel)), offers_(std::move(offers)) {}
  grpc::Status Ask(const grpc::ServerContext& from, std::int64_t partner_id,
                   const std::string& currency_code, std::vector<ExposureAnswer>& answers) override;

 private:
  std::function<std::shared_ptr<grpc::Channel>()> channel_;
  std::function<std::vector<kernel::ExtensionOffer>()> offers_;
};

inline constexpr char kCreditExposurePoint[] = "orders.credit_exposure";

}  // namespace karton::orders
