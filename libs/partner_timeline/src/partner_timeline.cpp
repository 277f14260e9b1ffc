#include "karton/partner_timeline/partner_timeline.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "karton/kernel/calls.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"

namespace karton::partner_timeline {
namespace {

namespace pv1 = partners::v1;

// BatchLogInteractions' own limit.
constexpr std::size_t kMaxBatch = 1000;
constexpr auto kCallLimit = std::chrono::seconds(30);

// Partners answers INVALID_ARGUMENT for an entry whose partner, contact or
// user no longer exists: nothing to log it on, and a retry would not mend
// it. NOT_FOUND is taken the same way (the helpdesk did so before this
// library), though LogInteraction does not answer it today.
bool Refused(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
         status.error_code() == grpc::StatusCode::NOT_FOUND;
}

void LogOne(pv1::PartnerService::Stub& partners, spdlog::logger& log, const Entry& entry) {
  pv1::LogInteractionRequest request;
  *request.mutable_interaction() = entry.interaction;
  pv1::Interaction logged;
  const auto status =
      partners.LogInteraction(kernel::KernelCallContext(kCallLimit).get(), request, &logged);
  if (Refused(status)) {
    log.warn("{} not logged on partner {}'s timeline: {}", entry.what,
             entry.interaction.partner_id(), status.error_message());
    return;
  }
  if (!status.ok()) {
    throw std::runtime_error(
        fmt::format("logging {} on the timeline: {}", entry.what, status.error_message()));
  }
}

void LogBatch(pv1::PartnerService::Stub& partners, spdlog::logger& log,
              std::span<const Entry> entries) {
  pv1::BatchLogInteractionsRequest request;
  for (const auto& entry : entries)
    *request.add_requests()->mutable_interaction() = entry.interaction;
  pv1::BatchLogInteractionsResponse logged;
  const auto status =
      partners.BatchLogInteractions(kernel::KernelCallContext(kCallLimit).get(), request, &logged);
  if (Refused(status)) {
    // The batch is all or nothing: each entry on its own, so the others
    // are logged and the refused one is skipped.
    for (const auto& entry : entries) LogOne(partners, log, entry);
    return;
  }
  if (!status.ok()) {
    throw std::runtime_error(fmt::format("logging {} entries ({} first) on the timeline: {}",
                                         entries.size(), entries.front().what,
                                         status.error_message()));
  }
}

}  // namespace

void Log(const kernel::ChannelSource& partners, spdlog::logger& log,
         std::span<const Entry> entries) {
  if (entries.empty()) return;
  auto stub = pv1::PartnerService::NewStub(partners());
  if (entries.size() == 1) {
    LogOne(*stub, log, entries.front());
    return;
  }
  for (std::size_t at = 0; at < entries.size(); at += kMaxBatch) {
    LogBatch(*stub, log, entries.subspan(at, std::min(kMaxBatch, entries.size() - at)));
  }
}

}  // namespace karton::partner_timeline
