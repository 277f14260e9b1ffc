// The members of a segment now: asked of partners (and, for a purchase
// condition, of orders) over gRPC, as the caller sees them.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>

#include "karton/campaigns/v1/campaigns.pb.h"
#include "karton/kernel/service_parts.h"

namespace grpc {
class ServerContext;
}  // namespace grpc

namespace karton::campaigns {

// Called with each member in partner id order (a partner's contacts in
// their order); returning false stops the listing.
using MemberSink = std::function<bool(v1::SegmentMember&&)>;

// Lists `segment`'s members with partner ids above `after_partner_id`: the
// partners its filter matches (archived ones are left out unless the
// filter names "archived"), plus its listed partners, minus the excluded
// ones, and only buyers when it has a purchase condition. Calls run as the
// caller of `from`, or as kartond when `from` is null (a campaign's send).
// A filter partners refuses is INVALID_ARGUMENT naming `segment.filter`; a
// purchase condition without the orders module is FAILED_PRECONDITION
// naming `segment.purchased`.
grpc::Status ForEachMember(const kernel::ChannelSource& channel, const grpc::ServerContext* from,
                           const v1::Segment& segment, std::int64_t after_partner_id,
                           const MemberSink& sink);

}  // namespace karton::campaigns
