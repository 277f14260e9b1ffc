// The helpdesk's scenarios for the benchmarks (docs/performance.md,
// scenarios 13 and 14): the ticket CreateTicket gets from a client, and the
// knowledge base's search queries, the same ones bench/run gives pgbench
// (its bench_kb_query table is filled by the same rule, KbQuery).
#pragma once

#include <cstdint>
#include <string>

#include "karton/helpdesk/v1/knowledge_base_service.pb.h"
#include "karton/helpdesk/v1/ticket_service.pb.h"

namespace karton::bench {

// Ticket number `serial`, as an agent logs a phone call: a subject, a
// description, the caller's name and address, a request id; customer
// notices off (the scenario measures the write, not the emails).
helpdesk::v1::CreateTicketRequest SyntheticTicket(std::int64_t serial);

// The same ticket from a customer Karton knows: the caller's address is
// generated partner `partner_serial`'s (partner_data.h), so the helpdesk
// finds the partner, links the ticket to it and logs the ticket on the
// partner's timeline (scenario 13's second line).
helpdesk::v1::CreateTicketRequest SyntheticCustomerTicket(std::int64_t serial,
                                                          std::int64_t partner_serial);

// The made-up word `k` (0 <= k < 5,000) bench/run writes into the
// generated articles, ten to an article: c v c v b, from
// "bcdfghjklmnprstvz" and "aeiou" ("bacab"). In SQL:
//   substr(c, k % 17 + 1, 1) || substr(v, k / 17 % 5 + 1, 1) ||
//   substr(c, k / 85 % 17 + 1, 1) || substr(v, k / 1445 % 5 + 1, 1) || 'b'
std::string KbWord(int k);

// Search query `n` of 200 (n % 200): every fourth "nyomtatót", which
// matches a tenth of the articles (the Hungarian ones that mention the
// printer, by its stem), the others a made-up word, KbWord(n * 25 + 7),
// which about 200 articles hold.
std::string KbQuery(std::int64_t n);

helpdesk::v1::SearchArticlesRequest SyntheticSearch(std::int64_t sequence);

}  // namespace karton::bench
