#include "customer_overview_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "activities/activity_repository.h"
#include "karton/common/v1/customer_overview.pb.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "leads/lead_repository.h"
#include "leads/lead_service.h"
#include "pipeline/opportunity_repository.h"

namespace karton::crm {
namespace {

namespace pv1 = partners::v1;

constexpr int kListed = 20;
// The card is read while a person waits: a slow partners answer fails it.
constexpr std::chrono::seconds kOverviewCallLimit{5};

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

}  // namespace

kernel::MethodRoles CustomerOverviewServiceImpl::Roles() {
  return {{"GetCustomerOverview", CrmReaders()}};
}

grpc::Status CustomerOverviewServiceImpl::GetCustomerOverview(
    grpc::ServerContext* context, const v1::GetCustomerOverviewRequest* request,
    v1::CustomerOverview* response) {
  if (request->partner_id() <= 0) return kernel::InvalidField("partner_id", "is required");
  return kernel::Guarded(services_.log, "GetCustomerOverview", [&]() -> grpc::Status {
    auto channel = services_.channel();
    auto partners = pv1::PartnerService::NewStub(channel);
    // The card decides: a partner the caller may not see has no overview.
    pv1::GetPartnerRequest get;
    get.set_id(request->partner_id());
    if (auto status = partners->GetPartner(kernel::CallContext(*context, kOverviewCallLimit).get(),
                                           get, response->mutable_partner());
        !status.ok()) {
      return status;
    }
    pv1::ListContactsRequest contacts;
    contacts.set_partner_id(request->partner_id());
    contacts.set_page_size(100);
    pv1::ListContactsResponse listed_contacts;
    if (auto status = partners->ListContacts(
            kernel::CallContext(*context, kOverviewCallLimit).get(), contacts, &listed_contacts);
        !status.ok()) {
      return status;
    }
    *response->mutable_contacts() = listed_contacts.contacts();
    pv1::ListTimelineRequest timeline;
    timeline.set_partner_id(request->partner_id());
    timeline.set_page_size(kListed);
    pv1::ListTimelineResponse listed_timeline;
    if (auto status = partners->ListTimeline(
            kernel::CallContext(*context, kOverviewCallLimit).get(), timeline, &listed_timeline);
        !status.ok()) {
      return status;
    }
    *response->mutable_recent_timeline() = listed_timeline.interactions();

    {
      const Scope scope = ScopeOf(kernel::CallerOf(*context));
      auto lease = services_.database.Acquire();
      // Leads are matched to a partner when qualified; before that, the
      // customer's own email finds what it wrote in.
      std::vector<std::string> emails;
      for (const auto& email : response->partner().emails()) emails.push_back(Lower(email));
      for (const auto& contact : response->contacts()) {
        for (const auto& email : contact.emails()) emails.push_back(Lower(email));
      }
      for (auto& lead : lead_repository::OpenForPartner(lease.Session(), scope,
                                                        request->partner_id(), emails, kListed)) {
        *response->add_open_leads() = std::move(lead);
      }
      opportunity_repository::ListFilter open_opportunities{.partner_id = request->partner_id(),
                                                            .status = "open"};
      for (auto& opportunity :
           opportunity_repository::List(lease.Session(), scope, open_opportunities, 0, kListed)) {
        *response->add_open_opportunities() = std::move(opportunity);
      }
      for (auto& activity : activity_repository::NextForPartner(
               lease.Session(), request->partner_id(), scope, kListed)) {
        *response->add_next_activities() = std::move(activity);
      }
    }

    // Other modules' sections: whatever is loaded and answers.
    // All at once: the overview waits for the slowest, not for the sum.
    common::v1::CustomerOverviewSectionRequest section_request;
    section_request.set_partner_id(request->partner_id());
    for (auto& answer : kernel::CallExtensions<common::v1::CustomerOverviewSection>(
             channel, *context, services_.offers(kOverviewSectionPoint), section_request,
             std::chrono::seconds(5))) {
      if (!answer.status.ok()) {
        services_.log.warn("customer overview: {}'s section left out: {}", answer.module,
                           answer.status.error_message());
        response->add_unavailable_sections(answer.module);
        continue;
      }
      answer.response.set_module(answer.module);
      *response->add_sections() = std::move(answer.response);
    }
    return grpc::Status::OK;
  });
}

}  // namespace karton::crm
