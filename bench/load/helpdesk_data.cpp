#include "helpdesk_data.h"

#include <fmt/format.h>

#include "partner_data.h"

namespace karton::bench {

helpdesk::v1::CreateTicketRequest SyntheticTicket(std::int64_t serial) {
  helpdesk::v1::CreateTicketRequest request;
  auto& ticket = *request.mutable_ticket();
  ticket.set_subject(fmt::format("Nem indul a kazán ({})", serial));
  ticket.set_description(
      "A kazán kijelzőjén E03 hibakód villog, a fűtés reggel óta nem működik. A nyomás 1,4 "
      "bar, a gázcsap nyitva.");
  ticket.set_source(helpdesk::v1::TICKET_SOURCE_PHONE);
  ticket.set_requester_name(fmt::format("Bench Ügyfél {}", serial));
  ticket.set_requester_email(fmt::format("ticket{}@example.com", serial));
  ticket.set_customer_notices_off(true);
  request.set_request_id(fmt::format("bench-ticket-{}", serial));
  return request;
}

helpdesk::v1::CreateTicketRequest SyntheticCustomerTicket(std::int64_t serial,
                                                          std::int64_t partner_serial) {
  auto request = SyntheticTicket(serial);
  request.mutable_ticket()->set_requester_email(PartnerEmail(partner_serial));
  return request;
}

std::string KbWord(int k) {
  static constexpr char kConsonants[] = "bcdfghjklmnprstvz";
  static constexpr char kVowels[] = "aeiou";
  std::string word;
  word += kConsonants[k % 17];
  word += kVowels[k / 17 % 5];
  word += kConsonants[k / 85 % 17];
  word += kVowels[k / 1445 % 5];
  word += 'b';
  return word;
}

std::string KbQuery(std::int64_t n) {
  const int i = static_cast<int>(n % 200);
  return i % 4 == 0 ? "nyomtatót" : KbWord(i * 25 + 7);
}

helpdesk::v1::SearchArticlesRequest SyntheticSearch(std::int64_t sequence) {
  helpdesk::v1::SearchArticlesRequest request;
  request.set_query(KbQuery(sequence));
  return request;
}

}  // namespace karton::bench
