#include "loyalty_module.h"

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <string>

#include "karton/common/v1/customer_overview.pb.h"
#include "karton/loyalty/v1/loyalty_service.grpc.pb.h"

namespace karton::loyalty {

// The extension point the CRM owns (modules/crm/customer_overview_service.h).
// Spelled out here on purpose: a contributing module knows the point's name
// and messages, never the owner's code.
constexpr const char* kOverviewSectionPoint = "customer_overview.section";

class LoyaltyServiceImpl final : public v1::LoyaltyService::Service {
 public:
  // Even partner ids fail, so the tests can watch the overview leave the
  // section out (unavailable_sections) without stopping anything.
  grpc::Status GetOverviewSection(grpc::ServerContext* context,
                                  const common::v1::CustomerOverviewSectionRequest* request,
                                  common::v1::CustomerOverviewSection* response) override {
    // Calls between modules are trusted (no role check, docs/security.md):
    // the owner of the point must forward its caller, or a real module could
    // not apply its user's view. No user behind the call is refused here, so
    // the tests notice when the CRM stops forwarding.
    if (kernel::CallerOf(*context).user_id == 0) {
      return {grpc::StatusCode::PERMISSION_DENIED, "the section is read for a user"};
    }
    if (request->partner_id() <= 0) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "partner_id: is required"};
    }
    if (request->partner_id() % 2 == 0) {
      return {grpc::StatusCode::UNAVAILABLE, "the loyalty programme is down for even partner ids"};
    }
    v1::LoyaltyOverview overview;
    overview.set_partner_id(request->partner_id());
    overview.set_points(static_cast<std::int32_t>(request->partner_id() * 10));
    // The CRM sets `module` itself; a module's own value is not trusted.
    response->set_title("Hűségpontok");
    response->mutable_content()->PackFrom(overview);
    return grpc::Status::OK;
  }
};

LoyaltyModule::LoyaltyModule() = default;
LoyaltyModule::~LoyaltyModule() = default;

void LoyaltyModule::Register(kernel::ModuleContext&, kernel::Registrar& registrar) {
  service_ = std::make_unique<LoyaltyServiceImpl>();
  // Every role may read the CRM's overview, so every role may read the
  // section (checked on calls from outside; the CRM's call is in-process).
  registrar.AddGrpcService(*service_, v1::LoyaltyService::service_full_name(),
                           {{"GetOverviewSection", {std::string(kernel::kAnyRole)}}});
  registrar.OfferExtension(kOverviewSectionPoint,
                           "/karton.loyalty.v1.LoyaltyService/GetOverviewSection");
}

}  // namespace karton::loyalty
