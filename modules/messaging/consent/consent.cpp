#include "consent/consent.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "addresses.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "message_repository.h"
#include "messaging_service.h"

namespace karton::messaging {
namespace {

constexpr const char* kSuppressionResource = "messaging.suppression";

// "k•••@kovacs.example": enough for its owner to recognise, little for
// anyone the link was forwarded to.
std::string Masked(const std::string& address) {
  const auto at = address.find('@');
  if (at != std::string::npos) {
    return at <= 1 ? address : address.substr(0, 1) + "•••" + address.substr(at);
  }
  return address.size() <= 4 ? address : "•••" + address.substr(address.size() - 4);
}

struct Words {
  const char* lang;
  const char* title;
  const char* question;  // {channel} {address}
  const char* button;
  const char* done;  // {channel} {address}
  const char* already;
  const char* unknown;
  const char* email;
  const char* sms;
};

constexpr Words kHungarian{"hu",
                           "Leiratkozás",
                           "Nem kér több marketing célú {} üzenetet a(z) {} címre?",
                           "Leiratkozom",
                           "Kész: a(z) {1} címre nem küldünk több marketing célú {0} üzenetet.",
                           "Ez a cím már korábban leiratkozott.",
                           "Ez a leiratkozási link nem érvényes.",
                           "e-mail",
                           "SMS"};
constexpr Words kEnglish{"en",
                         "Unsubscribe",
                         "Stop marketing {} messages to {}?",
                         "Unsubscribe",
                         "Done: no more marketing {0} messages will be sent to {1}.",
                         "This address had unsubscribed already.",
                         "This unsubscribe link is not valid.",
                         "email",
                         "SMS"};

const Words& WordsFor(const std::string& language, const kernel::HttpRequest& request) {
  if (!language.empty()) return language.rfind("hu", 0) == 0 ? kHungarian : kEnglish;
  const auto accept = request.headers.find("accept-language");
  return accept != request.headers.end() && accept->second.rfind("hu", 0) == 0 ? kHungarian
                                                                               : kEnglish;
}

kernel::HttpResponse Page(int status, const Words& words, const std::string& content) {
  kernel::HttpResponse response;
  response.status = status;
  response.content_type = "text/html; charset=utf-8";
  response.headers["cache-control"] = "no-store";
  response.headers["referrer-policy"] = "no-referrer";
  response.body = fmt::format(
      "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>{}</title><style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto;"
      "padding:0 1rem;line-height:1.5}}button{{font-size:1rem;padding:.5rem 1.5rem}}</style>"
      "</head><body><main><h1>{}</h1>{}</main></body></html>\n",
      words.lang, words.title, words.title, content);
  return response;
}

}  // namespace

bool RecordOptOut(const kernel::Clock& clock, kernel::AuditLog& audit, kernel::DomainEvents& events,
                  soci::session& session, const v1::Suppression& suppression,
                  const kernel::Caller& actor) {
  const auto id = repository::InsertSuppression(session, suppression, actor.user_id, clock.Now());
  if (!id) return false;
  const std::string channel = repository::ChannelName(suppression.channel());
  const auto stored = repository::FindSuppression(session, channel, suppression.address());
  audit.Record(session, actor, kernel::AuditAction::kCreate, kSuppressionResource, *id,
               {kernel::FieldChange::Created("channel", channel),
                kernel::FieldChange::Created("address", suppression.address()),
                kernel::FieldChange::Created("reason", suppression.reason())});
  events.Publish(session, "messaging.consent.withdrawn", *id, *stored, actor);
  return true;
}

kernel::HttpResponse UnsubscribePages::Ask(const kernel::HttpRequest& request) {
  const auto id = tokens_.Verify(request.path_params.at("token"));
  std::optional<v1::Message> message;
  if (id) {
    auto lease = services_.database.Acquire();
    message = repository::FindMessage(lease.Session(), *id, false);
  }
  if (!message || message->channel() == v1::CHANNEL_LETTER || message->address() == "[erased]") {
    const Words& words = WordsFor("", request);
    return Page(404, words, fmt::format("<p>{}</p>", words.unknown));
  }
  const Words& words = WordsFor(message->language(), request);
  const char* channel = message->channel() == v1::CHANNEL_SMS ? words.sms : words.email;
  return Page(200, words,
              fmt::format("<p>{}</p><form method=\"post\"><button type=\"submit\">{}</button>"
                          "</form>",
                          fmt::format(fmt::runtime(words.question), channel,
                                      "<strong>" + kernel::HtmlEscaped(Masked(message->address())) +
                                          "</strong>"),
                          words.button));
}

void UnsubscribePages::WithdrawConsent(const v1::Message& message) {
  if (message.recipient().partner_id() == 0 && message.recipient().contact_id() == 0) return;
  namespace pv1 = partners::v1;
  pv1::RecordMarketingConsentRequest withdraw;
  if (message.recipient().contact_id() != 0) {
    withdraw.set_contact_id(message.recipient().contact_id());
  } else {
    withdraw.set_partner_id(message.recipient().partner_id());
  }
  withdraw.set_channel(message.channel() == v1::CHANNEL_SMS ? pv1::MARKETING_CHANNEL_SMS
                                                            : pv1::MARKETING_CHANNEL_EMAIL);
  withdraw.set_granted(false);
  withdraw.set_source(pv1::CONSENT_SOURCE_UNSUBSCRIBE);
  withdraw.set_evidence(fmt::format("unsubscribe link of message {}", message.id()));
  pv1::MarketingConsent recorded;
  const auto status =
      pv1::PartnerService::NewStub(services_.channel())
          ->RecordMarketingConsent(kernel::KernelCallContext(std::chrono::seconds(30)).get(),
                                   withdraw, &recorded);
  if (!status.ok()) {
    services_.log.warn("message {}: the opt-out is recorded, the partners module's consent not: {}",
                       message.id(), status.error_message());
  }
}

kernel::HttpResponse UnsubscribePages::Confirm(const kernel::HttpRequest& request) {
  const auto id = tokens_.Verify(request.path_params.at("token"));
  if (!id) {
    const Words& words = WordsFor("", request);
    return Page(404, words, fmt::format("<p>{}</p>", words.unknown));
  }
  std::optional<v1::Message> message;
  bool recorded = false;
  {
    auto lease = services_.database.Acquire();
    soci::transaction transaction(lease.Session());
    message = repository::FindMessage(lease.Session(), *id, false);
    if (!message || message->channel() == v1::CHANNEL_LETTER || message->address() == "[erased]") {
      const Words& words = WordsFor("", request);
      return Page(404, words, fmt::format("<p>{}</p>", words.unknown));
    }
    v1::Suppression suppression;
    suppression.set_channel(message->channel());
    suppression.set_address(SuppressionKeysOf(*message).front());
    suppression.set_source(v1::SUPPRESSION_SOURCE_UNSUBSCRIBE_LINK);
    suppression.set_reason("unsubscribe link");
    suppression.set_message_id(message->id());
    recorded = RecordOptOut(services_.clock, services_.audit, services_.events, lease.Session(),
                            suppression, kernel::Caller::Internal());
    transaction.commit();
  }
  // The person's consent is withdrawn where it is kept, too (asked with
  // no connection held here). The suppression above already stops
  // marketing to the address, so a failure there is only logged.
  if (recorded) WithdrawConsent(*message);
  const Words& words = WordsFor(message->language(), request);
  const char* channel = message->channel() == v1::CHANNEL_SMS ? words.sms : words.email;
  const std::string done =
      fmt::format(fmt::runtime(words.done), channel,
                  "<strong>" + kernel::HtmlEscaped(Masked(message->address())) + "</strong>");
  return Page(200, words,
              recorded ? fmt::format("<p>{}</p>", done)
                       : fmt::format("<p>{}</p><p>{}</p>", words.already, done));
}

grpc::Status MessagingServiceImpl::CreateSuppression(grpc::ServerContext* context,
                                                     const v1::CreateSuppressionRequest* request,
                                                     v1::Suppression* response) {
  const v1::Suppression& given = request->suppression();
  if (given.channel() == v1::CHANNEL_UNSPECIFIED || !v1::Channel_IsValid(given.channel())) {
    return kernel::InvalidField("suppression.channel", "is required: EMAIL, SMS or LETTER");
  }
  std::string problem;
  const auto address = NormalizeSuppressionAddress(given.channel(), given.address(), problem);
  if (!address) return kernel::InvalidField("suppression.address", problem);
  if (given.reason().size() > 500) {
    return kernel::InvalidField("suppression.reason", "is longer than 500 bytes");
  }
  v1::Suppression suppression;
  suppression.set_channel(given.channel());
  suppression.set_address(*address);
  suppression.set_source(v1::SUPPRESSION_SOURCE_MANUAL);
  suppression.set_reason(given.reason());
  return kernel::Guarded(services_.log, "CreateSuppression", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::transaction transaction(lease.Session());
    if (!RecordOptOut(services_.clock, services_.audit, services_.events, lease.Session(),
                      suppression, kernel::CallerOf(*context))) {
      return {grpc::StatusCode::ALREADY_EXISTS,
              fmt::format("suppression.address: {} is on the {} suppression list already", *address,
                          v1::Channel_Name(given.channel()))};
    }
    *response = *repository::FindSuppression(lease.Session(),
                                             repository::ChannelName(given.channel()), *address);
    transaction.commit();
    return grpc::Status::OK;
  });
}

grpc::Status MessagingServiceImpl::ListSuppressions(grpc::ServerContext*,
                                                    const v1::ListSuppressionsRequest* request,
                                                    v1::ListSuppressionsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  std::string channel, address;
  if (request->channel() != v1::CHANNEL_UNSPECIFIED) {
    if (!v1::Channel_IsValid(request->channel())) {
      return kernel::InvalidField("channel", "is not a channel");
    }
    channel = repository::ChannelName(request->channel());
    if (!request->address().empty()) {
      std::string problem;
      const auto normalized =
          NormalizeSuppressionAddress(request->channel(), request->address(), problem);
      if (!normalized) return kernel::InvalidField("address", problem);
      address = *normalized;
    }
  } else if (!request->address().empty()) {
    return kernel::InvalidField("channel", "is required with an address");
  }
  return kernel::Guarded(services_.log, "ListSuppressions", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    auto rows = repository::ListSuppressions(lease.Session(), channel, address, page.AfterId(),
                                             page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{"", row.first};
    }));
    for (auto& [id, suppression] : rows) *response->add_suppressions() = std::move(suppression);
    return grpc::Status::OK;
  });
}

grpc::Status MessagingServiceImpl::DeleteSuppression(grpc::ServerContext* context,
                                                     const v1::DeleteSuppressionRequest* request,
                                                     v1::DeleteSuppressionResponse*) {
  if (request->channel() == v1::CHANNEL_UNSPECIFIED || !v1::Channel_IsValid(request->channel())) {
    return kernel::InvalidField("channel", "is required: EMAIL, SMS or LETTER");
  }
  std::string problem;
  const auto address = NormalizeSuppressionAddress(request->channel(), request->address(), problem);
  if (!address) return kernel::InvalidField("address", problem);
  return kernel::Guarded(services_.log, "DeleteSuppression", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::transaction transaction(lease.Session());
    const std::string channel = repository::ChannelName(request->channel());
    const auto existing = repository::FindSuppression(lease.Session(), channel, *address);
    if (!existing) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("{} is not on the {} suppression list", *address,
                          v1::Channel_Name(request->channel()))};
    }
    const auto id = repository::DeleteSuppression(lease.Session(), channel, *address);
    services_.audit.Record(lease.Session(), kernel::CallerOf(*context),
                           kernel::AuditAction::kDelete, kSuppressionResource, id.value_or(0),
                           {kernel::FieldChange::Of("address", existing->address(), ""),
                            kernel::FieldChange::Of("channel", channel, "")});
    services_.events.Publish(lease.Session(), "messaging.consent.restored", id.value_or(0),
                             *existing, kernel::CallerOf(*context));
    transaction.commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::messaging
