#include "pipeline/opportunity_service.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "activities/activity_service.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "leads/lead_rules.h"
#include "leads/lead_service.h"
#include "pipeline/next_step.h"
#include "pipeline/opportunity_repository.h"
#include "pipeline/pipeline_repository.h"

namespace karton::crm {
namespace {

using kernel::Guarded;

const v1::Stage* StageIn(const v1::Pipeline& pipeline, std::int64_t stage_id) {
  for (const auto& stage : pipeline.stages()) {
    if (stage.id() == stage_id) return &stage;
  }
  return nullptr;
}

grpc::Status CheckMoney(const v1::Opportunity& opportunity, const std::string& prefix) {
  if (!opportunity.has_expected_revenue()) return grpc::Status::OK;
  const auto& money = opportunity.expected_revenue();
  if (money.currency_code().size() != 3 ||
      !std::all_of(money.currency_code().begin(), money.currency_code().end(),
                   [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return kernel::InvalidField(prefix + "expected_revenue.currency_code",
                                "is an ISO 4217 code such as HUF or EUR");
  }
  if (money.minor_units() < 0) {
    return kernel::InvalidField(prefix + "expected_revenue.minor_units", "must not be negative");
  }
  return grpc::Status::OK;
}

grpc::Status CheckDate(const v1::Opportunity& opportunity, const std::string& prefix) {
  if (!opportunity.has_expected_close_date()) return grpc::Status::OK;
  const auto& date = opportunity.expected_close_date();
  // std::chrono::month and day keep only their low byte: range first, so
  // day 261 is not read as day 5.
  const bool in_range =
      date.month() >= 1 && date.month() <= 12 && date.day() >= 1 && date.day() <= 31;
  const std::chrono::year_month_day day{std::chrono::year(date.year()),
                                        std::chrono::month(static_cast<unsigned>(date.month())),
                                        std::chrono::day(static_cast<unsigned>(date.day()))};
  if (date.year() < 1900 || date.year() > 9999 || !in_range || !day.ok()) {
    return kernel::InvalidField(prefix + "expected_close_date", "is not a calendar date");
  }
  return grpc::Status::OK;
}

grpc::Status CheckOpportunityFields(v1::Opportunity& opportunity, const std::string& prefix) {
  opportunity.set_name(Trimmed(opportunity.name()));
  if (opportunity.name().empty() || !IsAcceptableText(opportunity.name(), kMaxShortText)) {
    return kernel::InvalidField(
        prefix + "name", fmt::format("is required: text of at most {} bytes", kMaxShortText));
  }
  if (auto status = CheckMoney(opportunity, prefix); !status.ok()) return status;
  return CheckDate(opportunity, prefix);
}

grpc::Status CheckPipeline(v1::Pipeline& pipeline) {
  pipeline.set_name(Trimmed(pipeline.name()));
  if (pipeline.name().empty() || !IsAcceptableText(pipeline.name(), kMaxShortText)) {
    return kernel::InvalidField("pipeline.name", "is required");
  }
  if (pipeline.stages_size() < 3 || pipeline.stages_size() > 50) {
    return kernel::InvalidField("pipeline.stages",
                                "3 to 50 stages: at least one open, one won and one lost");
  }
  int won = 0, lost = 0;
  std::set<std::string> names;
  for (int i = 0; i < pipeline.stages_size(); ++i) {
    auto* stage = pipeline.mutable_stages(i);
    const std::string path = fmt::format("pipeline.stages[{}]", i);
    stage->set_name(Trimmed(stage->name()));
    if (stage->name().empty() || !IsAcceptableText(stage->name(), 100)) {
      return kernel::InvalidField(path + ".name", "is required: at most 100 bytes");
    }
    if (!names.insert(stage->name()).second) {
      return kernel::InvalidField(path + ".name", "is used by another stage of the pipeline");
    }
    if (stage->probability() < 0 || stage->probability() > 100) {
      return kernel::InvalidField(path + ".probability", "is 0 to 100");
    }
    if (stage->won() && stage->lost()) {
      return kernel::InvalidField(path + ".won", "a stage is won or lost, not both");
    }
    won += stage->won();
    lost += stage->lost();
  }
  if (won != 1 || lost != 1) {
    return kernel::InvalidField("pipeline.stages", "needs exactly one won and one lost stage");
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status OpenOpportunity(const kernel::Clock& clock, kernel::AuditLog& audit,
                             kernel::DomainEvents& events, soci::session& session,
                             v1::Opportunity opportunity, const std::string& request_id,
                             const kernel::Caller& caller, const std::string& prefix,
                             v1::Opportunity& stored) {
  if (auto status = CheckOpportunityFields(opportunity, prefix); !status.ok()) return status;
  if (opportunity.partner_id() <= 0)
    return kernel::InvalidField(prefix + "partner_id", "is required");
  std::optional<v1::Pipeline> pipeline;
  if (opportunity.pipeline_id() == 0) {
    const auto all = pipeline_repository::List(session);
    if (all.empty()) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              "there is no pipeline yet: create one (PipelineService/CreatePipeline)"};
    }
    pipeline = all.front();
  } else {
    pipeline = pipeline_repository::Find(session, opportunity.pipeline_id(), false);
    if (!pipeline) return kernel::InvalidField(prefix + "pipeline_id", "names no pipeline");
  }
  opportunity.set_pipeline_id(pipeline->id());
  if (opportunity.stage_id() == 0) {
    for (const auto& stage : pipeline->stages()) {
      if (!stage.won() && !stage.lost()) {
        opportunity.set_stage_id(stage.id());
        break;
      }
    }
  }
  const v1::Stage* stage = StageIn(*pipeline, opportunity.stage_id());
  if (stage == nullptr || stage->won() || stage->lost()) {
    return kernel::InvalidField(prefix + "stage_id", "is not an open stage of the pipeline");
  }
  if (opportunity.owner_user_id() == 0) opportunity.set_owner_user_id(caller.user_id);
  // A refused INSERT needs no savepoint: every caller then returns the
  // refusal, and its transaction is rolled back whole.
  opportunity_repository::InsertedOpportunity inserted;
  try {
    inserted = opportunity_repository::Insert(session, opportunity, request_id, caller.user_id,
                                              clock.Now());
  } catch (const std::exception& error) {
    if (kernel::SqlState(error) != "23503") throw;
    return kernel::InvalidField(prefix + "partner_id",
                                "names no partner, or the owner or team does not exist");
  }
  stored = std::move(inserted.opportunity);
  if (!inserted.inserted) return grpc::Status::OK;
  audit.Record(session, caller, kernel::AuditAction::kCreate, "crm.opportunity", stored.id(),
               {kernel::FieldChange::Created("name", stored.name()),
                kernel::FieldChange::Of("partner_id", 0, stored.partner_id()),
                kernel::FieldChange::Of("stage_id", 0, stored.stage_id())});
  events.Publish(session, "crm.opportunity.created", stored.id(), stored, caller);
  return grpc::Status::OK;
}

kernel::MethodRoles OpportunityServiceImpl::Roles() {
  return {{"CreateOpportunity", CrmWriters()}, {"GetOpportunity", CrmReaders()},
          {"UpdateOpportunity", CrmWriters()}, {"ListOpportunities", CrmReaders()},
          {"MoveStage", CrmWriters()},         {"MarkWon", CrmWriters()},
          {"MarkLost", CrmWriters()},          {"ListStaleOpportunities", CrmReaders()},
          {"ShareOpportunity", CrmWriters()},  {"UnshareOpportunity", CrmWriters()}};
}

grpc::Status OpportunityServiceImpl::CreateOpportunity(grpc::ServerContext* context,
                                                       const v1::CreateOpportunityRequest* request,
                                                       v1::Opportunity* response) {
  v1::Opportunity opportunity = request->opportunity();
  opportunity.clear_id();
  opportunity.clear_status();
  opportunity.clear_lost_reason();
  opportunity.clear_lead_id();
  opportunity.clear_stage_history();
  return Guarded(services_.log, "CreateOpportunity", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    // The caller must see the partner (external partners only shared ones).
    if (opportunity.partner_id() > 0) {
      auto call = kernel::CallContext(*context);
      partners::v1::GetPartnerRequest get;
      get.set_id(opportunity.partner_id());
      partners::v1::Partner partner;
      const auto status = partners::v1::PartnerService::NewStub(services_.channel())
                              ->GetPartner(call.get(), get, &partner);
      if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
        return kernel::InvalidField("opportunity.partner_id", status.error_message());
      }
      if (!status.ok()) return status;
    }
    // BEGIN goes with the pipeline's read, the audit entry and the event
    // with the COMMIT: three round trips (OpportunityServiceTest counts them).
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (auto status =
            OpenOpportunity(services_.clock, services_.audit, services_.events, lease.Session(),
                            opportunity, request->request_id(), caller, "opportunity.", *response);
        !status.ok()) {
      return status;
    }
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status OpportunityServiceImpl::GetOpportunity(grpc::ServerContext* context,
                                                    const v1::GetOpportunityRequest* request,
                                                    v1::Opportunity* response) {
  return Guarded(services_.log, "GetOpportunity", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    const auto found = opportunity_repository::Find(lease.Session(), request->id(),
                                                    ScopeOf(kernel::CallerOf(*context)), false);
    if (!found) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no opportunity with id {}", request->id())};
    }
    *response = *found;
    return grpc::Status::OK;
  });
}

grpc::Status OpportunityServiceImpl::UpdateOpportunity(grpc::ServerContext* context,
                                                       const v1::UpdateOpportunityRequest* request,
                                                       v1::Opportunity* response) {
  const v1::Opportunity& change = request->opportunity();
  if (change.id() <= 0) return kernel::InvalidField("opportunity.id", "is required");
  // Stages move with MoveStage, outcomes with Win/Lose: not here.
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(
          *request, change,
          {"name", "expected_revenue", "expected_close_date", "owner_user_id", "team_id"}, paths);
      !status.ok()) {
    return status;
  }
  return Guarded(services_.log, "UpdateOpportunity", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    // BEGIN goes with the locked read, the audit entry and the event with
    // the COMMIT: three round trips (OpportunityServiceTest counts them).
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    const auto stored =
        opportunity_repository::Find(lease.Session(), change.id(), ScopeOf(caller), true);
    if (!stored) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no opportunity with id {}", change.id())};
    }
    if (auto status = kernel::CheckEtag("opportunity", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    v1::Opportunity updated = *stored;
    kernel::ApplyUpdateMask(change, paths, updated);
    if (auto status = CheckOpportunityFields(updated, "opportunity."); !status.ok()) return status;
    // A refusal returns before the COMMIT: the transaction rolls back whole.
    try {
      *response = *opportunity_repository::Update(lease.Session(), updated, services_.clock.Now());
    } catch (const std::exception& error) {
      if (kernel::SqlState(error) != "23503") throw;
      return kernel::InvalidField("opportunity.owner_user_id", "names no user or team");
    }
    // Every field that changed, whichever the mask named (the close date,
    // the team and the currency too).
    const auto changes = kernel::DiffFields(&*stored, *response);
    if (!changes.empty()) {
      services_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate,
                             "crm.opportunity", change.id(), changes);
      services_.events.Publish(lease.Session(), "crm.opportunity.updated", change.id(), *response,
                               caller);
    }
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status OpportunityServiceImpl::ListOpportunities(grpc::ServerContext* context,
                                                       const v1::ListOpportunitiesRequest* request,
                                                       v1::ListOpportunitiesResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  opportunity_repository::ListFilter filter{.partner_id = request->partner_id(),
                                            .pipeline_id = request->pipeline_id(),
                                            .stage_id = request->stage_id(),
                                            .owner_user_id = request->owner_user_id(),
                                            .status = ""};
  if (request->status() != v1::OPPORTUNITY_STATUS_UNSPECIFIED) {
    if (!v1::OpportunityStatus_IsValid(request->status())) {
      return kernel::InvalidField("status", "is not an opportunity status");
    }
    std::string name = v1::OpportunityStatus_Name(request->status()).substr(19);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    filter.status = name;
  }
  return Guarded(services_.log, "ListOpportunities", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    auto rows = opportunity_repository::List(lease.Session(), ScopeOf(kernel::CallerOf(*context)),
                                             filter, page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_opportunities() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status OpportunityServiceImpl::ChangeStage(
    grpc::ServerContext* context, std::int64_t id, const std::string& etag, const char* method,
    const std::function<grpc::Status(const v1::Pipeline&, v1::Stage&)>& target,
    const std::string& lost_reason, v1::Opportunity* response,
    const std::function<grpc::Status(soci::session&, const v1::Pipeline&, const v1::Stage&,
                                     const v1::Opportunity&)>& after_move) {
  if (id <= 0) return kernel::InvalidField("id", "is required");
  if (etag.empty()) return kernel::InvalidField("etag", "is required");
  return Guarded(services_.log, method, [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    // BEGIN goes with the locked read; then the pipeline, the move (one
    // statement answering the moved deal), and the COMMIT with the audit
    // entry and the event (OpportunityServiceTest counts them).
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    const auto stored = opportunity_repository::Find(lease.Session(), id, ScopeOf(caller), true);
    if (!stored) return {grpc::StatusCode::NOT_FOUND, fmt::format("no opportunity with id {}", id)};
    if (auto status = kernel::CheckEtag("opportunity", id, etag, stored->etag()); !status.ok()) {
      return status;
    }
    if (stored->status() != v1::OPPORTUNITY_STATUS_OPEN) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("opportunity {} is closed ({})", id,
                          v1::OpportunityStatus_Name(stored->status()))};
    }
    const auto pipeline = pipeline_repository::Find(lease.Session(), stored->pipeline_id(), false);
    v1::Stage stage;
    if (auto status = target(*pipeline, stage); !status.ok()) return status;
    const std::string status_name = stage.won() ? "won" : stage.lost() ? "lost" : "open";
    *response =
        *opportunity_repository::SetStage(lease.Session(), id, stage.id(), status_name, lost_reason,
                                          caller.user_id, services_.clock.Now());
    // A refusal returns before the COMMIT: the transaction rolls back whole.
    if (after_move) {
      if (auto refused = after_move(lease.Session(), *pipeline, stage, *response); !refused.ok()) {
        return refused;
      }
    }
    // The stage, and with a closing stage the status and the reason too.
    std::vector<kernel::FieldChange> changes = {
        kernel::FieldChange::Of("stage_id", stored->stage_id(), stage.id())};
    if (status_name != "open")
      changes.push_back(kernel::FieldChange::Of("status", "open", status_name));
    if (!lost_reason.empty()) {
      changes.push_back(kernel::FieldChange::Of("lost_reason", stored->lost_reason(), lost_reason));
    }
    services_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, "crm.opportunity",
                           id, changes);
    const char* topic = stage.won()    ? "crm.opportunity.won"
                        : stage.lost() ? "crm.opportunity.lost"
                                       : "crm.opportunity.stage_changed";
    services_.events.Publish(lease.Session(), topic, id, *response, caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status OpportunityServiceImpl::MoveStage(grpc::ServerContext* context,
                                               const v1::MoveStageRequest* request,
                                               v1::Opportunity* response) {
  const kernel::Caller caller = kernel::CallerOf(*context);
  // The next step brought along is checked (and its contacts looked up)
  // before the transaction, and written in it (C8).
  ActivityServiceImpl::NewActivity next;
  if (request->has_next_activity()) {
    v1::Activity requested = request->next_activity();
    if (requested.opportunity_id() != 0 && requested.opportunity_id() != request->id()) {
      return kernel::InvalidField("next_activity.opportunity_id",
                                  "belongs to this opportunity: leave it empty");
    }
    requested.set_opportunity_id(request->id());
    if (auto status = activities_.PrepareNew(*context, caller, requested, "next_activity", next);
        !status.ok()) {
      return status;
    }
  }
  return ChangeStage(
      context, request->id(), request->etag(), "MoveStage",
      [&](const v1::Pipeline& pipeline, v1::Stage& stage) -> grpc::Status {
        const v1::Stage* found = StageIn(pipeline, request->stage_id());
        if (found == nullptr || found->won() || found->lost()) {
          return kernel::InvalidField("stage_id",
                                      "is not an open stage of the opportunity's pipeline (use "
                                      "MarkWon or MarkLost to close it)");
        }
        stage = *found;
        return grpc::Status::OK;
      },
      "", response,
      [&](soci::session& session, const v1::Pipeline& pipeline, const v1::Stage& stage,
          const v1::Opportunity& moved) -> grpc::Status {
        if (request->has_next_activity()) {
          v1::Activity created;
          if (auto status =
                  activities_.InsertNew(session, caller, next, "next_activity", "", created);
              !status.ok()) {
            return status;
          }
        }
        return CheckNextStep(session, moved, pipeline,
                             fmt::format("moving it to '{}'", stage.name()));
      });
}

grpc::Status OpportunityServiceImpl::MarkWon(grpc::ServerContext* context,
                                             const v1::MarkWonRequest* request,
                                             v1::Opportunity* response) {
  return ChangeStage(
      context, request->id(), request->etag(), "MarkWon",
      [](const v1::Pipeline& pipeline, v1::Stage& stage) -> grpc::Status {
        for (const auto& candidate : pipeline.stages()) {
          if (candidate.won()) stage = candidate;
        }
        return grpc::Status::OK;
      },
      "", response);
}

grpc::Status OpportunityServiceImpl::MarkLost(grpc::ServerContext* context,
                                              const v1::MarkLostRequest* request,
                                              v1::Opportunity* response) {
  const std::string reason = Trimmed(request->reason());
  if (reason.empty() || !IsAcceptableText(reason, 500)) {
    return kernel::InvalidField("reason", "is required: why it was lost, at most 500 bytes");
  }
  return ChangeStage(
      context, request->id(), request->etag(), "MarkLost",
      [](const v1::Pipeline& pipeline, v1::Stage& stage) -> grpc::Status {
        for (const auto& candidate : pipeline.stages()) {
          if (candidate.lost()) stage = candidate;
        }
        return grpc::Status::OK;
      },
      reason, response);
}

grpc::Status OpportunityServiceImpl::ShareOpportunity(grpc::ServerContext* context,
                                                      const v1::ShareOpportunityRequest* request,
                                                      v1::Opportunity* response) {
  return ChangeSharing(context, "ShareOpportunity", Sharing::kShare, request->id(),
                       request->user_id(), request->team_id(), response);
}

grpc::Status OpportunityServiceImpl::UnshareOpportunity(
    grpc::ServerContext* context, const v1::UnshareOpportunityRequest* request,
    v1::Opportunity* response) {
  return ChangeSharing(context, "UnshareOpportunity", Sharing::kUnshare, request->id(),
                       request->user_id(), request->team_id(), response);
}

grpc::Status OpportunityServiceImpl::ChangeSharing(grpc::ServerContext* context, const char* method,
                                                   Sharing sharing, std::int64_t id,
                                                   std::int64_t user_id, std::int64_t team_id,
                                                   v1::Opportunity* response) {
  return Guarded(services_.log, method, [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    const auto opportunity =
        opportunity_repository::Find(lease.Session(), id, ScopeOf(caller), true);
    if (!opportunity) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no opportunity with id {}", id)};
    }
    if (auto status = kernel::ChangeSharing(sharing, services_.audit, services_.events,
                                            lease.Session(), caller, "crm.opportunity",
                                            *opportunity, opportunity->id(), user_id, team_id);
        !status.ok()) {
      return status;
    }
    // Whoever now sees the deal sees its partner's card, and only they.
    SyncDealPartnerCard(lease.Session(), opportunity->id(), opportunity->partner_id());
    *response = *opportunity;
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status OpportunityServiceImpl::ListStaleOpportunities(
    grpc::ServerContext* context, const v1::ListStaleOpportunitiesRequest* request,
    v1::ListStaleOpportunitiesResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return Guarded(services_.log, "ListStaleOpportunities", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    auto rows = opportunity_repository::ListStale(
        lease.Session(), ScopeOf(kernel::CallerOf(*context)), request->owner_user_id(),
        page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_opportunities() = std::move(row);
    return grpc::Status::OK;
  });
}

void RemindStaleOpportunityOwners(const kernel::ServiceParts& services) {
  std::map<std::int64_t, std::vector<v1::Opportunity>> by_owner;
  {
    auto lease = services.database.Acquire();
    std::int64_t after = 0;
    for (;;) {
      auto page =
          opportunity_repository::ListStale(lease.Session(), Scope::Everything(), 0, after, 1000);
      if (page.empty()) break;
      after = page.back().id();
      for (auto& opportunity : page) {
        if (opportunity.owner_user_id() != 0) {
          by_owner[opportunity.owner_user_id()].push_back(std::move(opportunity));
        }
      }
    }
  }
  const auto today = std::chrono::floor<std::chrono::days>(services.clock.Now());
  const std::string day = fmt::format("{:%Y-%m-%d}", std::chrono::sys_days(today));
  auto identity = kernel::v1::IdentityService::NewStub(services.channel());
  auto messaging = messaging::v1::MessagingService::NewStub(services.channel());
  for (const auto& [owner, opportunities] : by_owner) {
    auto get_call = kernel::KernelCallContext();
    kernel::v1::GetUserRequest get;
    get.set_id(owner);
    kernel::v1::User user;
    if (!identity->GetUser(get_call.get(), get, &user).ok() || user.disabled() ||
        user.email().empty()) {
      continue;
    }
    std::string list;
    for (const auto& opportunity : opportunities) {
      list += fmt::format("- #{} {}\n", opportunity.id(), opportunity.name());
    }
    messaging::v1::SendMessageRequest send;
    send.set_channel(messaging::v1::CHANNEL_EMAIL);
    send.set_category(messaging::v1::CATEGORY_TRANSACTIONAL);
    send.mutable_recipient()->set_address(user.email());
    send.set_language("hu");
    send.set_subject(fmt::format("{} lehetőségnek nincs következő lépése", opportunities.size()));
    send.set_text_body(fmt::format(
        "Kedves {}!\n\nEzekhez a nyitott lehetőségekhez nincs tervezett tevékenység:\n\n{}\n"
        "Tervezzen hívást, találkozót vagy feladatot, hogy egyik se akadjon el.\n",
        user.name(), list));
    // One reminder per owner and day, however often the job runs.
    send.set_idempotency_key(fmt::format("crm.stale.{}.{}", owner, day));
    auto send_call = kernel::KernelCallContext(std::chrono::seconds(30));
    messaging::v1::Message message;
    const auto status = messaging->SendMessage(send_call.get(), send, &message);
    if (!status.ok()) {
      if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        services.log.warn("stale opportunity reminder to user {} not sent: {}", owner,
                          status.error_message());
        continue;
      }
      throw std::runtime_error("stale opportunity reminder: " + status.error_message());
    }
  }
  services.log.info("stale opportunities: {} owner(s) reminded", by_owner.size());
}

kernel::MethodRoles PipelineServiceImpl::Roles() {
  return {{"CreatePipeline", CrmManagers()},
          {"GetPipeline", CrmReaders()},
          {"ListPipelines", CrmReaders()},
          {"UpdatePipeline", CrmManagers()}};
}

grpc::Status PipelineServiceImpl::CreatePipeline(grpc::ServerContext* context,
                                                 const v1::CreatePipelineRequest* request,
                                                 v1::Pipeline* response) {
  v1::Pipeline pipeline = request->pipeline();
  for (auto& stage : *pipeline.mutable_stages()) stage.clear_id();
  if (auto status = CheckPipeline(pipeline); !status.ok()) return status;
  return Guarded(services_.log, "CreatePipeline", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    const auto id = pipeline_repository::Insert(lease.Session(), pipeline, request->request_id(),
                                                services_.clock.Now());
    *response = *pipeline_repository::Find(lease.Session(), id, false);
    services_.audit.Record(lease.Session(), kernel::CallerOf(*context),
                           kernel::AuditAction::kCreate, "crm.pipeline", id,
                           {kernel::FieldChange::Created("name", response->name())});
    services_.events.Publish(lease.Session(), "crm.pipeline.created", id, *response,
                             kernel::CallerOf(*context));
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status PipelineServiceImpl::GetPipeline(grpc::ServerContext*,
                                              const v1::GetPipelineRequest* request,
                                              v1::Pipeline* response) {
  return Guarded(services_.log, "GetPipeline", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    const auto found = pipeline_repository::Find(lease.Session(), request->id(), false);
    if (!found) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no pipeline with id {}", request->id())};
    }
    *response = *found;
    return grpc::Status::OK;
  });
}

grpc::Status PipelineServiceImpl::ListPipelines(grpc::ServerContext*,
                                                const v1::ListPipelinesRequest*,
                                                v1::ListPipelinesResponse* response) {
  return Guarded(services_.log, "ListPipelines", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    for (auto& pipeline : pipeline_repository::List(lease.Session())) {
      *response->add_pipelines() = std::move(pipeline);
    }
    return grpc::Status::OK;
  });
}

grpc::Status PipelineServiceImpl::UpdatePipeline(grpc::ServerContext* context,
                                                 const v1::UpdatePipelineRequest* request,
                                                 v1::Pipeline* response) {
  v1::Pipeline pipeline = request->pipeline();
  if (pipeline.id() <= 0) return kernel::InvalidField("pipeline.id", "is required");
  if (pipeline.etag().empty()) return kernel::InvalidField("pipeline.etag", "is required");
  if (auto status = CheckPipeline(pipeline); !status.ok()) return status;
  return Guarded(services_.log, "UpdatePipeline", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    const auto stored = pipeline_repository::Find(lease.Session(), pipeline.id(), true);
    if (!stored) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no pipeline with id {}", pipeline.id())};
    }
    if (auto status = kernel::CheckEtag("pipeline", pipeline.id(), pipeline.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    std::set<std::int64_t> kept;
    for (int i = 0; i < pipeline.stages_size(); ++i) {
      const auto id = pipeline.stages(i).id();
      if (id == 0) continue;
      if (StageIn(*stored, id) == nullptr) {
        return kernel::InvalidField(fmt::format("pipeline.stages[{}].id", i),
                                    "is not a stage of this pipeline");
      }
      kept.insert(id);
    }
    for (const auto& stage : stored->stages()) {
      if (kept.count(stage.id()) == 0 &&
          pipeline_repository::OpenOpportunitiesIn(lease.Session(), stage.id()) > 0) {
        return {grpc::StatusCode::FAILED_PRECONDITION,
                fmt::format("stage '{}' still holds open opportunities: move them first",
                            stage.name())};
      }
    }
    pipeline_repository::Replace(lease.Session(), pipeline, services_.clock.Now());
    *response = *pipeline_repository::Find(lease.Session(), pipeline.id(), false);
    const auto changes = kernel::DiffFields(&*stored, *response);
    if (!changes.empty()) {
      services_.audit.Record(lease.Session(), kernel::CallerOf(*context),
                             kernel::AuditAction::kUpdate, "crm.pipeline", pipeline.id(), changes);
      services_.events.Publish(lease.Session(), "crm.pipeline.updated", pipeline.id(), *response,
                               kernel::CallerOf(*context));
    }
    transaction.Commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::crm
