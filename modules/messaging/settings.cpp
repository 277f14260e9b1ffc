#include "settings.h"

#include <fmt/format.h>

#include <stdexcept>

namespace karton::messaging {
namespace {

double RateOption(kernel::ModuleContext& context, const char* key, double fallback) {
  const auto text = context.Option(key);
  if (!text) return fallback;
  std::size_t parsed = 0;
  double rate = -1;
  try {
    rate = std::stod(*text, &parsed);
  } catch (const std::exception&) {
    parsed = 0;
  }
  if (parsed != text->size() || rate < 0 || rate > 100000) {
    throw std::invalid_argument(fmt::format(
        "--module-option messaging.{} must be messages per second, 0 to 100000 (0: no limit)",
        key));
  }
  return rate;
}

}  // namespace

ChannelSettings ReadChannelSettings(kernel::ModuleContext& context) {
  ChannelSettings settings;
  const auto url = context.Option("smtp_url");
  const auto from = context.Option("mail_from");
  if (url && !url->empty()) {
    if (url->rfind("smtp://", 0) != 0 && url->rfind("smtps://", 0) != 0) {
      throw std::invalid_argument(
          fmt::format("--smtp-url '{}' must start with smtp:// or smtps://", *url));
    }
    if (!from || AddressOf(*from).find('@') == std::string::npos) {
      throw std::invalid_argument(
          "--mail-from must be an address (\"Name <address>\" or \"address\") when --smtp-url "
          "is given");
    }
    settings.smtp = SmtpSettings{.url = *url, .from = *from};
  }
  const auto sms_url = context.Option("sms_url");
  const auto sms_key = context.Option("sms_api_key");
  const auto sms_sender = context.Option("sms_sender");
  if (sms_url && !sms_url->empty()) {
    if (sms_url->rfind("https://", 0) != 0 && sms_url->rfind("http://", 0) != 0) {
      throw std::invalid_argument(fmt::format(
          "--module-option messaging.sms_url '{}' must be an http:// or https:// URL", *sms_url));
    }
    if (!sms_sender || sms_sender->empty() || sms_sender->size() > 16) {
      throw std::invalid_argument(
          "--module-option messaging.sms_sender (the sender id phones show, at most 16 "
          "characters) is required with messaging.sms_url");
    }
    settings.sms =
        SmsSettings{.url = *sms_url, .api_key = sms_key.value_or(""), .sender = *sms_sender};
  }
  // Relays and providers throttle bursts; these defaults stay under what
  // common ones accept. 0 lifts the limit.
  settings.email_per_second = RateOption(context, "email_per_second", 100);
  settings.sms_per_second = RateOption(context, "sms_per_second", 10);
  // '|' separates lines: module options travel in environment lists too.
  std::string sender = context.Option("letter_sender").value_or("");
  if (sender.empty() && settings.smtp) {
    const std::string& mailbox = settings.smtp->from;
    const auto open = mailbox.find('<');
    sender = open == std::string::npos || open == 0 ? "" : mailbox.substr(0, open);
    while (!sender.empty() && (sender.back() == ' ' || sender.back() == '"')) sender.pop_back();
    while (!sender.empty() && sender.front() == '"') sender.erase(0, 1);
  }
  for (char& c : sender) {
    if (c == '|') c = '\n';
  }
  settings.letter.sender = sender.empty() ? "Karton" : sender;
  settings.letter.place = context.Option("letter_place").value_or("");
  return settings;
}

}  // namespace karton::messaging
