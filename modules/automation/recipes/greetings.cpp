#include "recipes/greetings.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <set>
#include <sstream>

#include "karton/hungarian_calendar/hungarian_calendar.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"

namespace karton::automation {
namespace {

namespace hc = hungarian_calendar;

// Enough pages of a name's search to reach everyone who has it.
constexpr int kSearchPages = 20;

bool Permanent(grpc::StatusCode code) {
  return code == grpc::StatusCode::INVALID_ARGUMENT ||
         code == grpc::StatusCode::FAILED_PRECONDITION || code == grpc::StatusCode::NOT_FOUND;
}

}  // namespace

std::vector<std::string> GivenNames(const std::string& display_name) {
  std::vector<std::string> words;
  std::istringstream in(display_name);
  for (std::string word; in >> word;) words.push_back(word);
  if (!words.empty()) words.erase(words.begin());
  return words;
}

void Greetings::Schedule(kernel::Jobs& jobs, soci::session& session) const {
  jobs.Schedule(session, {.kind = kJob,
                          .payload = settings_.greeting_time,
                          .run_at = {},
                          .recurrence = "daily " + settings_.greeting_time,
                          .max_attempts = 5,
                          .unique_key = "automation.greetings:" + settings_.greeting_time});
}

bool Greetings::Greet(const std::string& recipe, const std::string& template_name,
                      std::int64_t partner_id, const std::string& day, const std::string& name) {
  {
    auto lease = parts_.database.Acquire();
    const auto rows = kernel::RunPrepared(
        lease.Session(),
        "SELECT count(*) FROM automation.greeting_sent WHERE recipe = $1 AND partner_id = $2 "
        "AND day = $3::date",
        {recipe, std::to_string(partner_id), day});
    if (rows.Text(0, 0) != "0") return true;
  }
  messaging::v1::SendMessageRequest request;
  request.set_channel(messaging::v1::CHANNEL_EMAIL);
  request.set_category(messaging::v1::CATEGORY_MARKETING);
  request.mutable_recipient()->set_partner_id(partner_id);
  request.set_template_name(template_name);
  request.set_idempotency_key(fmt::format("greeting-{}-{}-{}", recipe, partner_id, day));
  if (!name.empty()) {
    (*request.mutable_variables()->mutable_fields())["name_day_name"].set_string_value(name);
  }
  messaging::v1::Message sent;
  auto stub = messaging::v1::MessagingService::NewStub(channel_());
  const auto status = stub->SendMessage(kernel::KernelCallContext().get(), request, &sent);
  if (!status.ok()) {
    if (Permanent(status.error_code())) {
      parts_.log.info("{} for partner {} not sent: {}", recipe, partner_id, status.error_message());
      return false;
    }
    throw std::runtime_error(fmt::format("SendMessage: {}", status.error_message()));
  }
  auto lease = parts_.database.Acquire();
  kernel::RunPrepared(lease.Session(),
                      "INSERT INTO automation.greeting_sent (recipe, partner_id, day, message_id) "
                      "VALUES ($1, $2, $3::date, $4) ON CONFLICT DO NOTHING",
                      {recipe, std::to_string(partner_id), day, std::to_string(sent.id())});
  return true;
}

void Greetings::Run(const kernel::JobRun& run) {
  // A job planned for another time of day belongs to an earlier setting.
  if (run.payload != settings_.greeting_time) return;
  std::string day;
  std::map<std::string, std::string> templates;  // enabled greeting recipe -> template
  {
    auto lease = parts_.database.Acquire();
    const auto today = kernel::RunPrepared(
        lease.Session(),
        "SELECT to_char(to_timestamp($1::bigint / 1e6) AT TIME ZONE $2, 'YYYY-MM-DD')",
        {std::to_string(kernel::ToEpochMicros(parts_.clock.Now())), settings_.time_zone});
    day = std::string(today.Text(0, 0));
    const auto rows = kernel::RunPrepared(
        lease.Session(),
        "SELECT name, template_name FROM automation.recipe WHERE enabled AND name IN "
        "('birthday_greeting', 'name_day_greeting')",
        {});
    for (int i = 0; i < rows.Count(); ++i) {
      templates[std::string(rows.Text(i, 0))] = std::string(rows.Text(i, 1));
    }
  }
  if (templates.empty()) return;
  int year = 0;
  unsigned month = 0, date = 0;
  std::from_chars(day.data(), day.data() + 4, year);
  std::from_chars(day.data() + 5, day.data() + 7, month);
  std::from_chars(day.data() + 8, day.data() + 10, date);
  const std::string month_day = day.substr(5);
  auto partners = partners::v1::PartnerService::NewStub(channel_());
  int failures = 0;
  const auto list = [&](const std::string& filter,
                        const std::function<void(const partners::v1::Partner&)>& each) {
    partners::v1::ListPartnersRequest request;
    request.set_filter(filter);
    request.set_page_size(500);
    do {
      partners::v1::ListPartnersResponse page;
      const auto status = partners->ListPartners(kernel::KernelCallContext().get(), request, &page);
      if (!status.ok()) throw std::runtime_error("ListPartners: " + status.error_message());
      for (const auto& partner : page.partners()) each(partner);
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
  };
  const auto greet = [&](const std::string& recipe, std::int64_t partner, const std::string& name) {
    try {
      Greet(recipe, templates[recipe], partner, day, name);
    } catch (const std::exception& error) {
      ++failures;
      parts_.log.warn("{} for partner {}: {}", recipe, partner, error.what());
    }
  };

  if (templates.count("birthday_greeting") > 0) {
    std::string filter = fmt::format("kind = \"person\" AND birthday_day = \"{}\"", month_day);
    list(filter, [&](const auto& partner) { greet("birthday_greeting", partner.id(), ""); });
    // Born on February 29: greeted on February 28 in common years.
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month_day == "02-28" && !leap) {
      list("kind = \"person\" AND birthday_day = \"02-29\"",
           [&](const auto& partner) { greet("birthday_greeting", partner.id(), ""); });
    }
  }
  if (templates.count("name_day_greeting") > 0) {
    std::set<std::int64_t> greeted;
    // The main names of the day, matched on the given names with accents.
    for (const auto& name_day : hc::NameDaysOn(year, month, date)) {
      if (name_day.rank != hc::NameDayRank::kMain) continue;
      const std::string name(name_day.name);
      const std::string key = hc::NameKey(name);
      partners::v1::SearchPartnersRequest search;
      search.set_query(name);
      search.set_page_size(100);
      for (int page = 0; page < kSearchPages; ++page) {
        partners::v1::SearchPartnersResponse found;
        const auto status =
            partners->SearchPartners(kernel::KernelCallContext().get(), search, &found);
        if (!status.ok()) throw std::runtime_error("SearchPartners: " + status.error_message());
        for (const auto& partner : found.partners()) {
          if (partner.kind() != partners::v1::PARTNER_KIND_PERSON) continue;
          for (const auto& given : GivenNames(partner.display_name())) {
            if (hc::NameKey(given) == key && greeted.insert(partner.id()).second) {
              greet("name_day_greeting", partner.id(), name);
            }
          }
        }
        if (found.next_page_token().empty()) break;
        search.set_page_token(found.next_page_token());
      }
    }
    // And whoever's card says today is their name day.
    list(fmt::format("kind = \"person\" AND name_day = \"{}\"", month_day),
         [&](const auto& partner) {
           if (greeted.insert(partner.id()).second) greet("name_day_greeting", partner.id(), "");
         });
  }
  // Retried later; those greeted already are not greeted again.
  if (failures > 0) throw std::runtime_error(fmt::format("{} greetings failed", failures));
}

}  // namespace karton::automation
