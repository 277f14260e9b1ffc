// What the orders module does when a partner changes in the partners
// module: a merge moves the merged partner's quotations, orders and own
// price lists to the partner kept, in the transaction that moves the
// subscription's cursor (so it happens exactly once).
#pragma once

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
struct Event;
}  // namespace karton::kernel

namespace karton::orders {

void FollowPartnerMerge(const kernel::Event& event, soci::session& session);

}  // namespace karton::orders
