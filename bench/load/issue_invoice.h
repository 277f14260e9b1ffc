// The issue-invoice scenario of karton_load (docs/performance.md, scenario
// 9): IssueInvoice in a closed loop, of drafts made beforehand outside the
// timed window, in four phases:
//
// 1. drafts for the warm-up: CreateInvoice (two lines, for a random partner
//    of 1..max_partner_id) in a closed loop for the warm-up's length;
// 2. the warm-up: all of those drafts issued, not counted; its rate sizes
//    the next batch;
// 3. drafts for the timed window: CreateInvoice, half as many again as the
//    warm-up's issue rate would issue in `duration`, and a few more;
// 4. the timed window: IssueInvoice of those drafts for `duration`. Should
//    they all be issued before it is over, it ends with the last of them
//    (`ran_out`: the rate is over that shorter time).
//
// Every phase's failed calls count as errors of the run.
#pragma once

#include <cstdint>

#include "closed_loop.h"

namespace karton::bench {

struct IssueInvoiceRun {
  LoadResult issued;               // the timed window; errors of every phase
  std::int64_t warmup_issued = 0;  // drafts issued in the warm-up
  double warmup_rate = 0;          // their rate, per second
  std::int64_t drafts = 0;         // drafts made for the timed window
  double drafts_seconds = 0;       // the time it took
};

IssueInvoiceRun RunIssueInvoice(const LoadOptions& options, std::int64_t max_partner_id);

}  // namespace karton::bench
