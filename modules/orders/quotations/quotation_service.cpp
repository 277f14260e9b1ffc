#include "quotations/quotation_service.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>
#include <optional>
#include <sstream>

#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/dates.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"
#include "karton/kernel/updates.h"
#include "orders/order_service.h"
#include "partner_directory.h"
#include "quotations/quotation_mail.h"
#include "quotations/quotation_repository.h"
#include "sales/sales_documents.h"
#include "sales/sales_line_repository.h"
#include "sales/sales_lines.h"

namespace karton::orders {
namespace {

using sales_line_repository::Owner;

constexpr char kQuotation[] = "orders.quotation";

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no quotation with id {}", id)};
}

std::string StateWord(v1::QuotationState state) {
  return kernel::EnumWord(*v1::QuotationState_descriptor(), state);
}

bool IsOpen(const v1::Quotation& quotation) {
  return quotation.state() == v1::QUOTATION_STATE_DRAFT ||
         quotation.state() == v1::QUOTATION_STATE_SENT;
}

// The quotation a decision (accept, reject) is about, locked: visible to
// the caller, unchanged since `etag` (when given), still draft or sent.
grpc::Status FindOpenLocked(soci::session& session, const kernel::Caller& caller, std::int64_t id,
                            const std::string& etag, const char* decision,
                            std::optional<v1::Quotation>& found) {
  found = quotation_repository::Find(session, id, VisibilityOf(caller), true);
  if (!found) return NotFound(id);
  if (auto status = kernel::CheckEtag("quotation", id, etag, found->etag()); !status.ok()) {
    return status;
  }
  if (!IsOpen(*found)) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            fmt::format("quotation {} is {}; only a draft or sent one can be {}", id,
                        StateWord(found->state()), decision)};
  }
  return grpc::Status::OK;
}

// FNV-1a: the same on every run and every machine, unlike std::hash, so a
// retried SendQuotation finds its idempotency key again.
std::uint64_t Fnv1a(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const unsigned char byte : text) {
    hash ^= byte;
    hash *= 1099511628211ULL;
  }
  return hash;
}

// The rules of the fields a client writes, with the currency defaulted.
grpc::Status CheckHeader(v1::Quotation& quotation) {
  if (auto status = CheckCurrency(*quotation.mutable_currency_code(), "quotation."); !status.ok()) {
    return status;
  }
  if (!quotation.has_valid_until()) {
    return kernel::InvalidField("quotation.valid_until", "is required");
  }
  if (!kernel::IsValidDate(quotation.valid_until())) {
    return kernel::InvalidField("quotation.valid_until", "is not a date");
  }
  if (quotation.opportunity_id() < 0) {
    return kernel::InvalidField("quotation.opportunity_id", "must not be negative");
  }
  if (quotation.note().size() > 4000) {
    return kernel::InvalidField("quotation.note", "at most 4000 bytes");
  }
  return grpc::Status::OK;
}

// The start of `date` (+ `days`) in `time_zone`, from the database's zone
// rules, as a kernel time point.
// "<id> <valid_until>" -> its parts.
bool ReadPayload(const std::string& payload, std::int64_t& id, std::string& valid_until) {
  std::istringstream in(payload);
  return static_cast<bool>(in >> id >> valid_until);
}

}  // namespace

void QuotationServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  for (const char* verb :
       {"created", "updated", "sent", "accepted", "rejected", "expired", "expiring"}) {
    events.DeclareTopic<v1::Quotation>(std::string("orders.quotation.") + verb);
  }
  kernel::DeclareSharingTopics<v1::Quotation>(events, "orders.quotation");
}

kernel::MethodRoles QuotationServiceImpl::Roles() {
  const std::vector<std::string> writers = {std::string(kernel::kRoleSales),
                                            std::string(kernel::kRoleSalesManager)};
  auto readers = kernel::StaffRoles();
  readers.emplace_back(kernel::kRoleExternalPartner);
  return {{"CreateQuotation", writers}, {"GetQuotation", readers},   {"ListQuotations", readers},
          {"UpdateQuotation", writers}, {"SendQuotation", writers},  {"AcceptQuotation", writers},
          {"RejectQuotation", writers}, {"ShareQuotation", writers}, {"UnshareQuotation", writers}};
}

void ScheduleQuotationExpiry(kernel::Jobs& jobs, soci::session& session,
                             const v1::Quotation& quotation, const OrdersSettings& settings) {
  const std::string day = kernel::DateText(quotation.valid_until());
  const std::string payload = fmt::format("{} {}", quotation.id(), day);
  jobs.Schedule(session, {.kind = QuotationServiceImpl::kExpireJob,
                          .payload = payload,
                          .run_at = kernel::StartOfDayIn(session, day, 1, settings.time_zone),
                          .recurrence = "",
                          .max_attempts = 5,
                          .unique_key = fmt::format("orders.quotation.expire:{}", payload)});
  jobs.Schedule(session, {.kind = QuotationServiceImpl::kExpiringJob,
                          .payload = payload,
                          .run_at = kernel::StartOfDayIn(
                              session, day, -settings.quotation_expiring_days, settings.time_zone),
                          .recurrence = "",
                          .max_attempts = 5,
                          .unique_key = fmt::format("orders.quotation.expiring:{}", payload)});
}

grpc::Status QuotationServiceImpl::CreateQuotation(grpc::ServerContext* context,
                                                   const v1::CreateQuotationRequest* request,
                                                   v1::Quotation* response) {
  v1::Quotation quotation = request->quotation();
  for (auto clear :
       {&v1::Quotation::clear_id, &v1::Quotation::clear_number, &v1::Quotation::clear_state,
        &v1::Quotation::clear_totals, &v1::Quotation::clear_order_id,
        &v1::Quotation::clear_reject_reason, &v1::Quotation::clear_etag}) {
    (quotation.*clear)();
  }
  if (auto status = CheckHeader(quotation); !status.ok()) return status;
  if (request->request_id().size() > 200) {
    return kernel::InvalidField("request_id", "at most 200 bytes");
  }
  if (auto status = CheckParties(partners_, context, quotation.partner_id(), quotation.contact_id(),
                                 "quotation.");
      !status.ok()) {
    return status;
  }
  return kernel::Guarded(parts_.log, "CreateQuotation", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    if (quotation.owner_user_id() == 0) quotation.set_owner_user_id(caller.user_id);
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    if (!request->request_id().empty()) {
      if (auto earlier = quotation_repository::FindByRequest(session, kernel::ActorUserId(caller),
                                                             request->request_id())) {
        LoadLines(session, Owner::kQuotation, *earlier);
        *response = std::move(*earlier);
        return grpc::Status::OK;
      }
    }
    if (IsBeforeToday(session, kernel::DateText(quotation.valid_until()), parts_.clock.Now(),
                      settings_.time_zone)) {
      return kernel::InvalidField("quotation.valid_until", "must not be in the past");
    }
    if (auto status = CheckOwner(session, quotation.owner_user_id(), "quotation."); !status.ok()) {
      return status;
    }
    if (auto status = PriceDocument(session, *quotation.mutable_lines(), quotation.partner_id(),
                                    quotation.currency_code(), parts_.clock.Now(),
                                    settings_.time_zone, "quotation.", *quotation.mutable_totals());
        !status.ok()) {
      return status;
    }
    auto created = quotation_repository::Insert(session, quotation, kernel::ActorUserId(caller),
                                                request->request_id(), parts_.clock.Now(),
                                                settings_.time_zone);
    if (!created) return {grpc::StatusCode::ABORTED, "the same request_id is being used now"};
    sales_line_repository::Replace(session, Owner::kQuotation, created->id(), quotation.lines());
    *created->mutable_lines() = quotation.lines();
    *created->mutable_totals() = quotation.totals();
    ScheduleQuotationExpiry(jobs_, session, *created, settings_);
    parts_.audit.Record(session, caller, kernel::AuditAction::kCreate, kQuotation, created->id(),
                        kernel::DiffFields(nullptr, *created));
    parts_.events.Publish(session, "orders.quotation.created", created->id(), *created, caller);
    transaction.Commit();
    *response = std::move(*created);
    return grpc::Status::OK;
  });
}

grpc::Status QuotationServiceImpl::GetQuotation(grpc::ServerContext* context,
                                                const v1::GetQuotationRequest* request,
                                                v1::Quotation* response) {
  return kernel::Guarded(parts_.log, "GetQuotation", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = quotation_repository::Find(lease.Session(), request->id(),
                                            VisibilityOf(kernel::CallerOf(*context)));
    if (!found) return NotFound(request->id());
    LoadLines(lease.Session(), Owner::kQuotation, *found);
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status QuotationServiceImpl::ListQuotations(grpc::ServerContext* context,
                                                  const v1::ListQuotationsRequest* request,
                                                  v1::ListQuotationsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  quotation_repository::ListFilter filter{request->partner_id(), "", request->opportunity_id(),
                                          request->owner_user_id()};
  if (request->state() != v1::QUOTATION_STATE_UNSPECIFIED) {
    if (!v1::QuotationState_IsValid(request->state())) {
      return kernel::InvalidField("state", "is not a quotation state");
    }
    filter.state = StateWord(request->state());
  }
  return kernel::Guarded(parts_.log, "ListQuotations", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows =
        quotation_repository::List(lease.Session(), VisibilityOf(kernel::CallerOf(*context)),
                                   filter, page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::Quotation& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_quotations() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status QuotationServiceImpl::UpdateQuotation(grpc::ServerContext* context,
                                                   const v1::UpdateQuotationRequest* request,
                                                   v1::Quotation* response) {
  const v1::Quotation& change = request->quotation();
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(*request, change,
                                        {"contact_id", "opportunity_id", "currency_code",
                                         "valid_until", "lines", "note", "owner_user_id"},
                                        paths);
      !status.ok()) {
    return status;
  }
  const kernel::Caller caller = kernel::CallerOf(*context);
  // The contact is checked with the partners module before a connection is
  // taken, so the quotation is read once to learn its partner.
  std::optional<v1::Quotation> preview;
  if (auto status = kernel::Guarded(parts_.log, "UpdateQuotation",
                                    [&] {
                                      auto lease = parts_.database.Acquire();
                                      preview = quotation_repository::Find(
                                          lease.Session(), change.id(), VisibilityOf(caller));
                                      return grpc::Status::OK;
                                    });
      !status.ok()) {
    return status;
  }
  if (!preview) return NotFound(change.id());
  v1::Quotation updated = *preview;
  kernel::ApplyUpdateMask(change, paths, updated);
  if (auto status = CheckHeader(updated); !status.ok()) return status;
  if (updated.contact_id() != preview->contact_id()) {
    if (auto status = CheckParties(partners_, context, updated.partner_id(), updated.contact_id(),
                                   "quotation.");
        !status.ok()) {
      return status;
    }
  }
  return kernel::Guarded(parts_.log, "UpdateQuotation", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    auto stored = quotation_repository::Find(session, change.id(), VisibilityOf(caller), true);
    if (!stored) return NotFound(change.id());
    if (auto status = kernel::CheckEtag("quotation", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    if (stored->state() != v1::QUOTATION_STATE_DRAFT) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("quotation {} is {}; only a draft can be changed", stored->id(),
                          StateWord(stored->state()))};
    }
    LoadLines(session, Owner::kQuotation, *stored);
    v1::Quotation next = *stored;
    kernel::ApplyUpdateMask(updated, paths, next);
    if (auto status = CheckOwner(session, next.owner_user_id(), "quotation."); !status.ok()) {
      return status;
    }
    const bool new_date =
        kernel::DateText(next.valid_until()) != kernel::DateText(stored->valid_until());
    if (new_date && IsBeforeToday(session, kernel::DateText(next.valid_until()), parts_.clock.Now(),
                                  settings_.time_zone)) {
      return kernel::InvalidField("quotation.valid_until", "must not be in the past");
    }
    if (auto status = PriceDocument(session, *next.mutable_lines(), next.partner_id(),
                                    next.currency_code(), parts_.clock.Now(), settings_.time_zone,
                                    "quotation.", *next.mutable_totals());
        !status.ok()) {
      return status;
    }
    const auto changes = kernel::DiffFields(&*stored, next);
    if (changes.empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    auto written = quotation_repository::Update(session, next, parts_.clock.Now());
    sales_line_repository::Replace(session, Owner::kQuotation, written.id(), next.lines());
    *written.mutable_lines() = next.lines();
    *written.mutable_totals() = next.totals();
    if (new_date) ScheduleQuotationExpiry(jobs_, session, written, settings_);
    parts_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kQuotation, written.id(),
                        changes);
    parts_.events.Publish(session, "orders.quotation.updated", written.id(), written, caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status QuotationServiceImpl::AcceptQuotation(grpc::ServerContext* context,
                                                   const v1::AcceptQuotationRequest* request,
                                                   v1::AcceptQuotationResponse* response) {
  return kernel::Guarded(parts_.log, "AcceptQuotation", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    std::optional<v1::Quotation> stored;
    if (auto status =
            FindOpenLocked(session, caller, request->id(), request->etag(), "accepted", stored);
        !status.ok()) {
      return status;
    }
    const std::string valid_until = kernel::DateText(stored->valid_until());
    if (IsBeforeToday(session, valid_until, parts_.clock.Now(), settings_.time_zone)) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("quotation {} was valid until {}", stored->id(), valid_until)};
    }
    LoadLines(session, Owner::kQuotation, *stored);
    // The order takes the quotation's lines as they were offered.
    v1::Order order;
    order.set_partner_id(stored->partner_id());
    order.set_contact_id(stored->contact_id());
    order.set_quotation_id(stored->id());
    order.set_currency_code(stored->currency_code());
    order.set_note(stored->note());
    order.set_owner_user_id(stored->owner_user_id());
    *order.mutable_lines() = stored->lines();
    *order.mutable_totals() = stored->totals();
    auto created = OpenOrder(parts_, session, order, caller, "", settings_);
    auto accepted = quotation_repository::SetState(session, stored->id(), "accepted", "",
                                                   created->id(), parts_.clock.Now());
    *accepted.mutable_lines() = stored->lines();
    *accepted.mutable_totals() = stored->totals();
    parts_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kQuotation, accepted.id(),
                        {kernel::FieldChange::Of("state", StateWord(stored->state()), "accepted"),
                         kernel::FieldChange::Of("order_id", std::int64_t{0}, created->id())});
    parts_.events.Publish(session, "orders.quotation.accepted", accepted.id(), accepted, caller);
    transaction.Commit();
    *response->mutable_quotation() = std::move(accepted);
    *response->mutable_order() = std::move(*created);
    return grpc::Status::OK;
  });
}

grpc::Status QuotationServiceImpl::ShareQuotation(grpc::ServerContext* context,
                                                  const v1::ShareQuotationRequest* request,
                                                  v1::Quotation* response) {
  return ChangeSharing(context, "ShareQuotation", kernel::Sharing::kShare, request->id(),
                       request->user_id(), request->team_id(), response);
}

grpc::Status QuotationServiceImpl::UnshareQuotation(grpc::ServerContext* context,
                                                    const v1::UnshareQuotationRequest* request,
                                                    v1::Quotation* response) {
  return ChangeSharing(context, "UnshareQuotation", kernel::Sharing::kUnshare, request->id(),
                       request->user_id(), request->team_id(), response);
}

grpc::Status QuotationServiceImpl::ChangeSharing(grpc::ServerContext* context, const char* method,
                                                 kernel::Sharing sharing, std::int64_t id,
                                                 std::int64_t user_id, std::int64_t team_id,
                                                 v1::Quotation* response) {
  return kernel::Guarded(parts_.log, method, [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = quotation_repository::Find(lease.Session(), id, VisibilityOf(caller), true);
    if (!stored) return NotFound(id);
    LoadLines(lease.Session(), Owner::kQuotation, *stored);
    if (auto status = kernel::ChangeSharing(sharing, parts_.audit, parts_.events, lease.Session(),
                                            caller, kQuotation, *stored, id, user_id, team_id);
        !status.ok()) {
      return status;
    }
    transaction.Commit();
    *response = std::move(*stored);
    return grpc::Status::OK;
  });
}

grpc::Status QuotationServiceImpl::SendQuotation(grpc::ServerContext* context,
                                                 const v1::SendQuotationRequest* request,
                                                 v1::SendQuotationResponse* response) {
  DocumentLanguage language = DocumentLanguage::kHungarian;
  if (!request->language().empty() && !ParseDocumentLanguage(request->language(), language)) {
    return kernel::InvalidField("language", "must be \"hu\" or \"en\"");
  }
  if (request->contact_id() < 0) return kernel::InvalidField("contact_id", "must not be negative");
  if (request->address().size() > 320) return kernel::InvalidField("address", "at most 320 bytes");
  if (request->template_name().size() > 200) {
    return kernel::InvalidField("template_name", "at most 200 bytes");
  }
  if (request->message().size() > 4000)
    return kernel::InvalidField("message", "at most 4000 bytes");
  if (settings_.company.name.empty()) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            "a quotation names the company making the offer: set --module-option "
            "orders.company_name (and company_address, company_tax_number, company_email)"};
  }
  const kernel::Caller caller = kernel::CallerOf(*context);

  // What is sent is read first, and the partners and messaging modules are
  // asked without holding a connection; the quotation is then marked sent
  // in its own transaction. Messaging's idempotency key is the
  // quotation's version and the recipient, so a retry after a failure
  // between the two sends nothing twice.
  std::optional<v1::Quotation> quotation;
  common::v1::Date today;
  if (auto status = kernel::Guarded(
          parts_.log, "SendQuotation",
          [&]() -> grpc::Status {
            auto lease = parts_.database.Acquire();
            auto& session = lease.Session();
            quotation = quotation_repository::Find(session, request->id(), VisibilityOf(caller));
            if (!quotation) return NotFound(request->id());
            if (auto stale = kernel::CheckEtag("quotation", request->id(), request->etag(),
                                               quotation->etag());
                !stale.ok()) {
              return stale;
            }
            if (!IsOpen(*quotation)) {
              return {grpc::StatusCode::FAILED_PRECONDITION,
                      fmt::format("quotation {} is {}; only a draft or sent one can be sent",
                                  quotation->id(), StateWord(quotation->state()))};
            }
            const std::string valid_until = kernel::DateText(quotation->valid_until());
            if (IsBeforeToday(session, valid_until, parts_.clock.Now(), settings_.time_zone)) {
              return {grpc::StatusCode::FAILED_PRECONDITION,
                      fmt::format("quotation {} was valid until {}", quotation->id(), valid_until)};
            }
            today = TodayIn(session, parts_.clock.Now(), settings_.time_zone);
            LoadLines(session, Owner::kQuotation, *quotation);
            return grpc::Status::OK;
          });
      !status.ok()) {
    return status;
  }

  PartnerFacts partner;
  if (auto status = partners_.FindPartner(context, quotation->partner_id(), partner);
      !status.ok()) {
    return status;
  }
  const std::int64_t contact_id =
      request->contact_id() != 0 ? request->contact_id() : quotation->contact_id();
  ContactFacts contact;
  if (contact_id != 0) {
    if (auto status = partners_.FindContact(context, quotation->partner_id(), contact_id, contact);
        !status.ok()) {
      if (request->contact_id() == 0) return status;  // the quotation's own contact is gone
      return kernel::InvalidField("contact_id", status.error_message());
    }
  }
  if (request->language().empty() && !ParseDocumentLanguage(partner.preferred_language, language)) {
    language = DocumentLanguage::kHungarian;  // a language quotations are not written in
  }

  QuotationPrint print{*quotation,
                       settings_.company,
                       {partner.legal_name.empty() ? partner.display_name : partner.legal_name,
                        partner.address, partner.tax_number, contact.name},
                       today,
                       language};
  std::string pdf;
  try {
    pdf = RenderQuotationPdf(print);
  } catch (const std::invalid_argument& error) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            fmt::format("quotation {} cannot be printed: {}", quotation->id(), error.what())};
  }

  messaging::v1::SendMessageRequest send;
  send.set_channel(messaging::v1::CHANNEL_EMAIL);
  send.set_category(messaging::v1::CATEGORY_TRANSACTIONAL);
  send.mutable_recipient()->set_partner_id(quotation->partner_id());
  send.mutable_recipient()->set_contact_id(contact_id);
  send.mutable_recipient()->set_address(request->address());
  *send.mutable_cc() = request->cc();
  send.set_reply_to(request->reply_to().empty() ? settings_.company.email : request->reply_to());
  send.set_language(language == DocumentLanguage::kEnglish ? "en" : "hu");
  const QuotationMail mail{print, contact.name.empty() ? print.customer.name : contact.name,
                           request->message()};
  if (request->template_name().empty()) {
    WriteBuiltInText(mail, send);
  } else {
    send.set_template_name(request->template_name());
    WriteTemplateVariables(mail, send);
  }
  auto* attachment = send.add_attachments();
  attachment->set_file_name(QuotationFileName(*quotation, language));
  attachment->set_media_type("application/pdf");
  attachment->set_content(std::move(pdf));
  std::string recipient =
      fmt::format("{}|{}|{}|{}|{}", contact_id, request->address(), fmt::join(request->cc(), ","),
                  send.reply_to(), request->template_name());
  send.set_idempotency_key(fmt::format("orders.quotation:{}:v{}:{:016x}", quotation->id(),
                                       quotation->etag(), Fnv1a(recipient)));
  std::int64_t message_id = 0;
  if (auto status = mailer_.Send(*context, send, message_id); !status.ok()) return status;

  return kernel::Guarded(parts_.log, "SendQuotation", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    auto stored = quotation_repository::Find(session, quotation->id(), VisibilityOf(caller), true);
    if (!stored) return NotFound(quotation->id());
    if (!IsOpen(*stored)) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("quotation {} became {} while it was being sent; message {} went out "
                          "with it",
                          stored->id(), StateWord(stored->state()), message_id)};
    }
    auto sent =
        quotation_repository::MarkSent(session, stored->id(), message_id, parts_.clock.Now());
    LoadLines(session, Owner::kQuotation, sent);
    std::vector<kernel::FieldChange> changes;
    if (stored->state() != sent.state()) {
      changes.push_back(kernel::FieldChange::Of("state", StateWord(stored->state()), "sent"));
    }
    changes.push_back(
        kernel::FieldChange::Of("sent_message_id", stored->sent_message_id(), message_id));
    parts_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kQuotation, sent.id(),
                        changes);
    parts_.events.Publish(session, "orders.quotation.sent", sent.id(), sent, caller);
    transaction.Commit();
    response->set_message_id(message_id);
    response->set_file_name(attachment->file_name());
    *response->mutable_quotation() = std::move(sent);
    return grpc::Status::OK;
  });
}

grpc::Status QuotationServiceImpl::RejectQuotation(grpc::ServerContext* context,
                                                   const v1::RejectQuotationRequest* request,
                                                   v1::Quotation* response) {
  if (request->reason().empty() || request->reason().size() > 1000) {
    return kernel::InvalidField("reason", "is required, at most 1000 bytes");
  }
  return kernel::Guarded(parts_.log, "RejectQuotation", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    auto& session = lease.Session();
    kernel::Transaction transaction(session);
    std::optional<v1::Quotation> stored;
    if (auto status =
            FindOpenLocked(session, caller, request->id(), request->etag(), "rejected", stored);
        !status.ok()) {
      return status;
    }
    auto rejected = quotation_repository::SetState(session, stored->id(), "rejected",
                                                   request->reason(), 0, parts_.clock.Now());
    LoadLines(session, Owner::kQuotation, rejected);
    parts_.audit.Record(session, caller, kernel::AuditAction::kUpdate, kQuotation, rejected.id(),
                        {kernel::FieldChange::Of("state", StateWord(stored->state()), "rejected"),
                         kernel::FieldChange::Of("reject_reason", "", request->reason())});
    parts_.events.Publish(session, "orders.quotation.rejected", rejected.id(), rejected, caller);
    transaction.Commit();
    *response = std::move(rejected);
    return grpc::Status::OK;
  });
}

void QuotationServiceImpl::ForOpenQuotation(
    const kernel::JobRun& run,
    const std::function<void(soci::session&, const v1::Quotation&)>& act) {
  std::int64_t id = 0;
  std::string valid_until;
  if (!ReadPayload(run.payload, id, valid_until)) {
    parts_.log.error("{} job {}: unreadable payload '{}'", run.kind, run.id, run.payload);
    return;
  }
  auto lease = parts_.database.Acquire();
  auto& session = lease.Session();
  kernel::Transaction transaction(session);
  // Accepted, rejected, moved to another day, or done already: nothing to do.
  auto open = quotation_repository::FindOpenUntil(session, id, valid_until);
  if (!open) return;
  act(session, *open);
  transaction.Commit();
}

void QuotationServiceImpl::Expire(const kernel::JobRun& run) {
  ForOpenQuotation(run, [this](soci::session& session, const v1::Quotation& open) {
    const kernel::Caller kartond = kernel::Caller::Internal();
    auto expired =
        quotation_repository::SetState(session, open.id(), "expired", "", 0, parts_.clock.Now());
    LoadLines(session, Owner::kQuotation, expired);
    parts_.audit.Record(session, kartond, kernel::AuditAction::kUpdate, kQuotation, open.id(),
                        {kernel::FieldChange::Of("state", StateWord(open.state()), "expired")});
    parts_.events.Publish(session, "orders.quotation.expired", open.id(), expired, kartond);
  });
}

void QuotationServiceImpl::AnnounceExpiring(const kernel::JobRun& run) {
  ForOpenQuotation(run, [this](soci::session& session, const v1::Quotation& open) {
    if (!quotation_repository::MarkExpiringAnnounced(session, open.id(),
                                                     kernel::DateText(open.valid_until()))) {
      return;  // announced already for this valid_until
    }
    v1::Quotation announced = open;
    LoadLines(session, Owner::kQuotation, announced);
    parts_.events.Publish(session, "orders.quotation.expiring", open.id(), announced,
                          kernel::Caller::Internal());
  });
}

}  // namespace karton::orders
