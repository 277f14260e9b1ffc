#include "settings.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <memory>
#include <stdexcept>

#include "karton/kernel/options.h"
#include "karton/kernel/secrets.h"

namespace karton::messaging {
namespace {

// The URL libcurl is given carries no credentials: they go separately, so
// that the URL may be logged and shown.
SmtpSettings SplitSmtpUrl(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    throw std::invalid_argument(
        fmt::format("--smtp-url '{}' is not a URL", kernel::RedactedUrl(url)));
  }
  SmtpSettings settings;
  const auto take = [&](CURLUPart part, std::string& into) {
    char* value = nullptr;
    if (curl_url_get(parsed.get(), part, &value, CURLU_URLDECODE) == CURLUE_OK && value) {
      into = value;
    }
    curl_free(value);
    curl_url_set(parsed.get(), part, nullptr, 0);
  };
  take(CURLUPART_USER, settings.username);
  take(CURLUPART_PASSWORD, settings.password);
  char* without = nullptr;
  curl_url_get(parsed.get(), CURLUPART_URL, &without, 0);
  settings.url = without != nullptr ? without : url;
  curl_free(without);
  return settings;
}

}  // namespace

ChannelSettings ReadChannelSettings(kernel::ModuleContext& context) {
  ChannelSettings settings;
  const auto url = context.Option("smtp_url");
  const auto from = context.Option("mail_from");
  const auto password_file = context.Option("smtp_password_file");
  if (url && !url->empty()) {
    if (url->rfind("smtp://", 0) != 0 && url->rfind("smtps://", 0) != 0) {
      throw std::invalid_argument(fmt::format("--smtp-url '{}' must start with smtp:// or smtps://",
                                              kernel::RedactedUrl(*url)));
    }
    if (!from || AddressOf(*from).find('@') == std::string::npos) {
      throw std::invalid_argument(
          "--mail-from must be an address (\"Name <address>\" or \"address\") when --smtp-url "
          "is given");
    }
    settings.smtp = SplitSmtpUrl(*url);
    settings.smtp->from = *from;
    if (password_file && !password_file->empty()) {
      if (settings.smtp->username.empty()) {
        throw std::invalid_argument(
            "--smtp-password-file needs a user in --smtp-url (smtp://user@host:port)");
      }
      settings.smtp->password = kernel::ReadSecretFile(*password_file);
    }
  } else if (password_file && !password_file->empty()) {
    throw std::invalid_argument("--smtp-password-file needs --smtp-url");
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
  // Messages per second; 0: no limit.
  settings.email_per_second = kernel::NumberOption(context, "email_per_second", 100, 0, 100000);
  settings.sms_per_second = kernel::NumberOption(context, "sms_per_second", 10, 0, 100000);
  // Ten MiB is 13.7 MB in base64, under what common relays accept (Gmail
  // and Microsoft 365: 20 to 25 MB); 20 MiB is the most kartond's gRPC
  // server takes in one request besides the texts.
  settings.attachments_max_bytes =
      kernel::IntegerOption(context, "attachments_max_mib", 10, 1, 20) * 1024 * 1024;
  // An installation that collected consent outside Karton turns it off.
  const auto opt_in = context.Option("marketing_requires_opt_in").value_or("true");
  if (opt_in != "true" && opt_in != "false") {
    throw std::invalid_argument(fmt::format(
        "--module-option messaging.marketing_requires_opt_in '{}' must be true or false", opt_in));
  }
  settings.marketing_requires_opt_in = opt_in == "true";
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
