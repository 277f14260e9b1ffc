#include "issue_invoice.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string_view>
#include <vector>

#include "karton/invoicing/v1/invoice_service.grpc.pb.h"

namespace karton::bench {
namespace {

namespace iv1 = invoicing::v1;
using Stub = iv1::InvoiceService::Stub;

// How many more drafts the timed window gets than the warm-up's rate would
// issue in it: the rate after the warm-up may be higher.
constexpr double kDraftMargin = 1.5;

// A draft for `partner_id`: a yearly boiler service and the call-out fee,
// 53,500 Ft net with 27% VAT.
iv1::CreateInvoiceRequest DraftFor(std::int64_t partner_id) {
  iv1::CreateInvoiceRequest request;
  iv1::Invoice& invoice = *request.mutable_invoice();
  invoice.set_partner_id(partner_id);
  invoice.set_note("bench");
  auto add_line = [&](std::string_view description, std::int64_t unit_price_minor) {
    auto* line = invoice.add_lines();
    line->set_description(std::string(description));
    line->set_quantity("1");
    line->mutable_unit_price()->set_minor_units(unit_price_minor);
    line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  };
  add_line("Kazán éves karbantartása", 4'500'000);
  add_line("Kiszállási díj", 850'000);
  return request;
}

// CreateInvoice for random partners; each draft's id goes to `ids`.
CallFactory CreateDrafts(std::int64_t max_partner_id, std::vector<std::int64_t>& ids) {
  auto dice = std::make_shared<std::mt19937_64>(15);
  return [dice, max_partner_id, &ids](const std::shared_ptr<grpc::Channel>& channel,
                                      std::unique_ptr<grpc::ClientContext> context,
                                      std::int64_t) -> std::unique_ptr<PendingCall> {
    auto stub = std::make_shared<Stub>(channel);
    const std::int64_t partner_id =
        1 + static_cast<std::int64_t>(
                (*dice)() % static_cast<std::uint64_t>(std::max<std::int64_t>(1, max_partner_id)));
    return std::make_unique<UnaryCall<iv1::Invoice>>(
        std::move(context),
        [stub, request = DraftFor(partner_id)](grpc::ClientContext* c, grpc::CompletionQueue* q) {
          return stub->PrepareAsyncCreateInvoice(c, request, q);
        },
        [&ids](const iv1::Invoice& draft) { ids.push_back(draft.id()); });
  };
}

// IssueInvoice of ids[sequence]; the loop starts no more calls than there
// are ids.
CallFactory IssueDrafts(const std::vector<std::int64_t>& ids) {
  return [&ids](const std::shared_ptr<grpc::Channel>& channel,
                std::unique_ptr<grpc::ClientContext> context,
                std::int64_t sequence) -> std::unique_ptr<PendingCall> {
    auto stub = std::make_shared<Stub>(channel);
    iv1::IssueInvoiceRequest request;
    request.set_id(ids.at(static_cast<std::size_t>(sequence)));
    return std::make_unique<UnaryCall<iv1::Invoice>>(
        std::move(context), [stub, request](grpc::ClientContext* c, grpc::CompletionQueue* q) {
          return stub->PrepareAsyncIssueInvoice(c, request, q);
        });
  };
}

// Adds the errors of `phase` to `run`'s, their messages prefixed by `name`
// (if any).
void CountErrors(LoadResult& run, const LoadResult& phase, std::string_view name = {}) {
  run.errors += phase.errors;
  for (const auto& [code, entry] : phase.errors_by_code) {
    auto& into = run.errors_by_code[code];
    if (into.first == 0) {
      into.second = name.empty() ? entry.second : fmt::format("{}: {}", name, entry.second);
    }
    into.first += entry.first;
  }
}

}  // namespace

IssueInvoiceRun RunIssueInvoice(const LoadOptions& options, std::int64_t max_partner_id) {
  IssueInvoiceRun run;
  LoadResult setup_errors;

  // 1. Drafts for the warm-up, for as long as the warm-up.
  std::vector<std::int64_t> warmup_ids;
  LoadOptions making = options;
  making.warmup = std::chrono::milliseconds(0);
  making.duration = options.warmup;
  making.calls = 0;
  making.most_calls = 0;
  CountErrors(setup_errors, RunClosedLoop(making, CreateDrafts(max_partner_id, warmup_ids)),
              "CreateInvoice (warm-up drafts)");

  // 2. The warm-up: all of them issued.
  if (!warmup_ids.empty() && setup_errors.errors == 0) {
    LoadOptions warming = options;
    warming.calls = static_cast<std::int64_t>(warmup_ids.size());
    warming.most_calls = 0;
    const LoadResult warmup = RunClosedLoop(warming, IssueDrafts(warmup_ids));
    CountErrors(setup_errors, warmup, "IssueInvoice (warm-up)");
    run.warmup_issued = warmup.calls;
    run.warmup_rate = warmup.rate();
  }
  if (warmup_ids.empty() || setup_errors.errors > 0) {
    // Nothing to size the timed window by, or the calls fail anyway.
    run.issued = setup_errors;
    run.issued.seconds = 0;
    return run;
  }

  // 3. Drafts for the timed window.
  const double seconds = std::chrono::duration<double>(options.duration).count();
  const auto wanted =
      static_cast<std::int64_t>(std::ceil(run.warmup_rate * seconds * kDraftMargin)) +
      4 * std::max(1, options.concurrency);
  std::vector<std::int64_t> ids;
  ids.reserve(static_cast<std::size_t>(wanted));
  making = options;
  making.calls = wanted;
  making.most_calls = 0;
  const LoadResult made = RunClosedLoop(making, CreateDrafts(max_partner_id, ids));
  CountErrors(setup_errors, made, "CreateInvoice (drafts)");
  run.drafts = static_cast<std::int64_t>(ids.size());
  run.drafts_seconds = made.seconds;

  // 4. The timed window, with the warm-up behind it.
  LoadOptions issuing = options;
  issuing.warmup = std::chrono::milliseconds(0);
  issuing.calls = 0;
  issuing.most_calls = run.drafts;
  if (run.drafts > 0) run.issued = RunClosedLoop(issuing, IssueDrafts(ids));
  CountErrors(run.issued, setup_errors);
  return run;
}

}  // namespace karton::bench
