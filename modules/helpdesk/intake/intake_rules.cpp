#include "intake/intake_rules.h"

#include <fmt/format.h>

#include <cctype>
#include <map>

#include "karton/kernel/numbers.h"

namespace karton::helpdesk {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Upper(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

}  // namespace

std::string TicketNumberIn(std::string_view subject) {
  // HD-<4 digits>-<6 or more digits>, not inside a longer word or number.
  for (std::size_t at = 0; at + 14 <= subject.size(); ++at) {
    if (at > 0 && std::isalnum(static_cast<unsigned char>(subject[at - 1]))) continue;
    if (Upper(subject.substr(at, 3)) != "HD-") continue;
    std::size_t i = at + 3;
    std::size_t year = 0;
    while (i < subject.size() && IsDigit(subject[i])) ++i, ++year;
    if (year != 4 || i >= subject.size() || subject[i] != '-') continue;
    const std::size_t serial_start = ++i;
    while (i < subject.size() && IsDigit(subject[i])) ++i;
    if (i - serial_start < 6 || i - serial_start > 18) continue;
    if (i < subject.size() && std::isalnum(static_cast<unsigned char>(subject[i]))) continue;
    return Upper(subject.substr(at, i - at));
  }
  return "";
}

std::int64_t TicketOfMessageKey(std::string_view key) {
  constexpr std::string_view kPrefix = "helpdesk.";
  if (key.substr(0, kPrefix.size()) != kPrefix) return 0;
  key.remove_prefix(kPrefix.size());
  const auto slash = key.find('/');
  if (slash == std::string_view::npos || slash == 0 || key.substr(0, slash) == "sla") return 0;
  key.remove_prefix(slash + 1);
  const auto end = key.find('/');
  const auto id = kernel::ParseInt64(std::string(key.substr(0, end)));
  return id && *id > 0 ? *id : 0;
}

std::string CutUtf8(std::string_view text, std::size_t bytes) {
  if (text.size() <= bytes) return std::string(text);
  while (bytes > 0 && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) --bytes;
  return std::string(text.substr(0, bytes));
}

std::string SubjectOfSubmission(const crm::v1::WebFormSubmission& submission) {
  const auto& post = submission.submitted();
  std::string subject = post.title();
  if (subject.empty()) {
    const std::string& who = !post.contact_name().empty() ? post.contact_name()
                             : !post.email().empty()      ? post.email()
                                                          : post.phone();
    subject = who.empty() ? submission.web_form_title()
                          : fmt::format("{}: {}", submission.web_form_title(), who);
  }
  if (subject.empty()) subject = "Web form " + submission.web_form_slug();
  return CutUtf8(subject, 500);
}

std::string DescriptionOfSubmission(const crm::v1::WebFormSubmission& submission) {
  const auto& post = submission.submitted();
  std::string text = post.message();
  std::string fields;
  const auto line = [&](const char* name, const std::string& value) {
    if (!value.empty()) fields += fmt::format("{}: {}\n", name, value);
  };
  line("company", post.company_name());
  line("tax_number", post.tax_number());
  line("country", post.country());
  line("postal_code", post.postal_code());
  line("city", post.city());
  line("category", post.category());
  // In name order, so the text does not depend on the map's.
  const std::map<std::string, std::string> custom(post.custom_fields().begin(),
                                                  post.custom_fields().end());
  for (const auto& [name, value] : custom) line(name.c_str(), value);
  if (!fields.empty()) text += (text.empty() ? "" : "\n\n") + fields;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return CutUtf8(text, 20000);
}

}  // namespace karton::helpdesk
