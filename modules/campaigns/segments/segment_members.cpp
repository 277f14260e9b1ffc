#include "segments/segment_members.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <optional>
#include <set>

#include "karton/kernel/calls.h"
#include "karton/kernel/errors.h"
#include "karton/orders/v1/order_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"

namespace karton::campaigns {
namespace {

namespace pv1 = partners::v1;
namespace ov1 = orders::v1;

constexpr int kPartnerPage = 1000;

// The partners who bought what `condition` names, asked of orders.
grpc::Status Buyers(const std::shared_ptr<grpc::Channel>& channel, const grpc::ServerContext* from,
                    const v1::PurchaseCondition& condition, std::set<std::int64_t>& buyers) {
  auto orders = ov1::OrderService::NewStub(channel);
  ov1::ListPurchasersRequest request;
  request.set_page_size(10000);
  *request.mutable_product_ids() = condition.product_ids();
  if (condition.has_since()) *request.mutable_since() = condition.since();
  do {
    ov1::ListPurchasersResponse page;
    const auto status = orders->ListPurchasers(kernel::CallContextFor(from).get(), request, &page);
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      return kernel::FailedPreconditionOnField(
          "segment.purchased", "a purchase condition needs the orders module, not loaded here");
    }
    if (!status.ok()) return status;
    buyers.insert(page.partner_ids().begin(), page.partner_ids().end());
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return grpc::Status::OK;
}

// A partner's or a contact's first address of each kind.
template <class Record>
void Reach(const Record& record, v1::SegmentMember& member) {
  if (!record.emails().empty()) member.set_email(record.emails(0));
  if (!record.phones().empty()) member.set_phone(record.phones(0));
}

class Lister {
 public:
  Lister(const std::shared_ptr<grpc::Channel>& channel, const grpc::ServerContext* from,
         const v1::Segment& segment, const MemberSink& sink)
      : partners_(pv1::PartnerService::NewStub(channel)),
        from_(from),
        segment_(segment),
        sink_(sink),
        excluded_(segment.excluded_partner_ids().begin(), segment.excluded_partner_ids().end()) {}

  std::optional<std::set<std::int64_t>> buyers;

  // Emits `partner` (or its contacts); false when the sink asked to stop.
  grpc::Status Emit(const pv1::Partner& partner, bool& go_on) {
    go_on = true;
    if (excluded_.count(partner.id()) == 1 || partner.has_erase_time()) return grpc::Status::OK;
    if (buyers && buyers->count(partner.id()) == 0) return grpc::Status::OK;
    if (segment_.members() != v1::SEGMENT_MEMBERS_CONTACTS) {
      v1::SegmentMember member;
      member.set_partner_id(partner.id());
      member.set_display_name(partner.display_name());
      Reach(partner, member);
      go_on = sink_(std::move(member));
      return grpc::Status::OK;
    }
    pv1::ListContactsRequest request;
    request.set_partner_id(partner.id());
    request.set_page_size(1000);
    do {
      pv1::ListContactsResponse page;
      auto status = partners_->ListContacts(kernel::CallContextFor(from_).get(), request, &page);
      if (!status.ok()) return status;
      for (const auto& contact : page.contacts()) {
        if (contact.has_erase_time()) continue;
        v1::SegmentMember member;
        member.set_partner_id(partner.id());
        member.set_contact_id(contact.id());
        member.set_display_name(contact.name());
        Reach(contact, member);
        if (!(go_on = sink_(std::move(member)))) return grpc::Status::OK;
      }
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
    return grpc::Status::OK;
  }

  // A listed partner, read by id; gone or archived ones are no members.
  grpc::Status EmitListed(std::int64_t id, bool& go_on) {
    go_on = true;
    pv1::GetPartnerRequest request;
    request.set_id(id);
    pv1::Partner partner;
    auto status = partners_->GetPartner(kernel::CallContextFor(from_).get(), request, &partner);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND ||
        status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      return grpc::Status::OK;
    }
    if (!status.ok()) return status;
    if (partner.archived()) return grpc::Status::OK;
    return Emit(partner, go_on);
  }

  pv1::PartnerService::Stub& Partners() { return *partners_; }

 private:
  std::unique_ptr<pv1::PartnerService::Stub> partners_;
  const grpc::ServerContext* from_;
  const v1::Segment& segment_;
  const MemberSink& sink_;
  const std::set<std::int64_t> excluded_;
};

}  // namespace

grpc::Status ForEachMember(const kernel::ChannelSource& channel_source,
                           const grpc::ServerContext* from, const v1::Segment& segment,
                           std::int64_t after_partner_id, const MemberSink& sink) {
  const auto channel = channel_source();
  if (!channel) return {grpc::StatusCode::UNAVAILABLE, "kartond is not serving yet"};
  Lister lister(channel, from, segment, sink);
  if (segment.has_purchased()) {
    lister.buyers.emplace();
    if (auto status = Buyers(channel, from, segment.purchased(), *lister.buyers); !status.ok()) {
      return status;
    }
  }
  std::set<std::int64_t> listed;
  for (const auto id : segment.partner_ids()) {
    if (id > after_partner_id) listed.insert(id);
  }
  auto next_listed = listed.begin();
  bool go_on = true;
  // The listed partners before `id` (all of them when id is 0).
  auto emit_listed_before = [&](std::int64_t id) -> grpc::Status {
    while (go_on && next_listed != listed.end() && (id == 0 || *next_listed < id)) {
      if (auto status = lister.EmitListed(*next_listed++, go_on); !status.ok()) return status;
    }
    return grpc::Status::OK;
  };
  // A static list (listed partners, no filter) asks nothing else.
  if (!segment.filter().empty() || segment.partner_ids().empty()) {
    pv1::ListPartnersRequest request;
    request.set_page_size(kPartnerPage);
    request.set_order_by("id");
    std::string filter = segment.filter();
    if (after_partner_id > 0) {
      filter = (filter.empty() ? "" : filter + " and ") + fmt::format("id > {}", after_partner_id);
    }
    request.set_filter(filter);
    do {
      pv1::ListPartnersResponse page;
      auto status =
          lister.Partners().ListPartners(kernel::CallContextFor(from).get(), request, &page);
      if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
        return kernel::InvalidField("segment.filter", status.error_message());
      }
      if (!status.ok()) return status;
      for (const auto& partner : page.partners()) {
        if (auto listed_status = emit_listed_before(partner.id()); !listed_status.ok()) {
          return listed_status;
        }
        if (next_listed != listed.end() && *next_listed == partner.id()) ++next_listed;
        if (!go_on) return grpc::Status::OK;
        if (auto emitted = lister.Emit(partner, go_on); !emitted.ok()) return emitted;
        if (!go_on) return grpc::Status::OK;
      }
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
  }
  return emit_listed_before(0);
}

}  // namespace karton::campaigns
