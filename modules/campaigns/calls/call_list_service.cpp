#include "calls/call_list_service.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <optional>

#include "calls/call_list_repository.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "segments/segment_members.h"
#include "segments/segment_repository.h"

namespace karton::campaigns {
namespace {

using google::protobuf::util::TimeUtil;
namespace pv1 = partners::v1;
namespace cv1 = crm::v1;

constexpr char kCallList[] = "campaigns.call_list";
constexpr char kCallEntry[] = "campaigns.call_entry";

// How an outcome reads on the timeline (Hungarian, like the rest of the
// product's own texts).
const char* OutcomeText(v1::CallOutcome outcome) {
  switch (outcome) {
    case v1::CALL_OUTCOME_REACHED:
      return "elértük";
    case v1::CALL_OUTCOME_NO_ANSWER:
      return "nem vette fel";
    case v1::CALL_OUTCOME_CALL_BACK:
      return "visszahívást kért";
    case v1::CALL_OUTCOME_NOT_INTERESTED:
      return "nem érdekli";
    case v1::CALL_OUTCOME_WRONG_NUMBER:
      return "téves szám";
    default:
      return "";
  }
}

bool IsManager(const kernel::Caller& caller) {
  return caller.HasRole(kernel::kRoleAdmin) || caller.HasRole(kernel::kRoleSalesManager);
}

}  // namespace

void CallListServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  events.DeclareTopic<v1::CallList>("campaigns.call_list.created");
  events.DeclareTopic<v1::CallListEntry>("campaigns.call.recorded");
}

kernel::MethodRoles CallListServiceImpl::Roles() {
  const std::vector<std::string> managers = {std::string(kernel::kRoleAdmin),
                                             std::string(kernel::kRoleSalesManager)};
  const std::vector<std::string> callers = {std::string(kernel::kRoleAdmin),
                                            std::string(kernel::kRoleSalesManager),
                                            std::string(kernel::kRoleSales)};
  const auto readers = kernel::StaffRoles();
  return {{"CreateCallList", managers},
          {"GetCallList", readers},
          {"ListCallLists", readers},
          {"ListCallListEntries", readers},
          {"RecordCall", callers}};
}

grpc::Status CallListServiceImpl::CreateCallList(grpc::ServerContext* context,
                                                 const v1::CreateCallListRequest* request,
                                                 v1::CallList* response) {
  v1::CallList list = request->call_list();
  list.clear_id();
  list.clear_statistics();
  list.clear_create_time();
  list.clear_create_user_id();
  std::vector<kernel::FieldViolation> violations;
  if (list.name().empty()) violations.push_back({"call_list.name", "is required"});
  if (list.name().size() > 200) {
    violations.push_back({"call_list.name", "is longer than 200 characters"});
  }
  if (list.assignee_user_ids().empty()) {
    violations.push_back({"call_list.assignee_user_ids", "name at least one colleague"});
  }
  for (int i = 0; i < list.assignee_user_ids_size(); ++i) {
    if (list.assignee_user_ids(i) <= 0) {
      violations.push_back({fmt::format("call_list.assignee_user_ids[{}]", i), "is not a user id"});
    }
  }
  if (list.script().size() > 20'000) {
    violations.push_back({"call_list.script", "is longer than 20000 characters"});
  }
  std::optional<v1::Segment> segment;
  auto read = kernel::Guarded(parts_.log, "CreateCallList", [&] {
    auto lease = parts_.database.Acquire();
    segment = segment_repository::Find(lease.Session(), list.segment_id());
    return grpc::Status::OK;
  });
  if (!read.ok()) return read;
  if (!segment) {
    violations.push_back(
        {"call_list.segment_id", fmt::format("there is no segment {}", list.segment_id())});
  }
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  // The members with a phone number, as the caller sees them.
  std::vector<v1::SegmentMember> members;
  bool too_many = false;
  auto listed =
      ForEachMember(parts_.channel, context, *segment, 0, [&](v1::SegmentMember&& member) {
        if (member.phone().empty()) return true;
        if (members.size() == kMaxEntries) {
          too_many = true;
          return false;
        }
        members.push_back(std::move(member));
        return true;
      });
  if (!listed.ok()) return listed;
  if (too_many) {
    return kernel::FailedPreconditionOnField(
        "call_list.segment_id",
        fmt::format("the segment has more than {} members with a phone number: narrow it",
                    kMaxEntries));
  }
  return kernel::Guarded(parts_.log, "CreateCallList", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto created = call_list_repository::Insert(lease.Session(), list, members,
                                                kernel::ActorUserId(caller), parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kCallList,
                        created.id(), kernel::DiffFields(nullptr, created));
    parts_.events.Publish(lease.Session(), "campaigns.call_list.created", created.id(), created,
                          caller);
    transaction.Commit();
    *response = std::move(created);
    return grpc::Status::OK;
  });
}

grpc::Status CallListServiceImpl::GetCallList(grpc::ServerContext*,
                                              const v1::GetCallListRequest* request,
                                              v1::CallList* response) {
  return kernel::Guarded(parts_.log, "GetCallList", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = call_list_repository::Find(lease.Session(), request->id());
    if (!found) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no call list with id {}", request->id())};
    }
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status CallListServiceImpl::ListCallLists(grpc::ServerContext*,
                                                const v1::ListCallListsRequest* request,
                                                v1::ListCallListsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "ListCallLists", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = call_list_repository::List(lease.Session(), page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::CallList& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_call_lists() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status CallListServiceImpl::ListCallListEntries(grpc::ServerContext*,
                                                      const v1::ListCallListEntriesRequest* request,
                                                      v1::ListCallListEntriesResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "ListCallListEntries", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    if (!call_list_repository::Find(lease.Session(), request->call_list_id())) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("no call list with id {}", request->call_list_id())};
    }
    auto rows = call_list_repository::ListEntries(
        lease.Session(),
        {request->call_list_id(), request->assigned_user_id(), request->open_only()},
        page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::CallListEntry& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_entries() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status CallListServiceImpl::RecordCall(grpc::ServerContext* context,
                                             const v1::RecordCallRequest* request,
                                             v1::CallListEntry* response) {
  const kernel::Caller caller = kernel::CallerOf(*context);
  const auto now = parts_.clock.Now();
  const std::int64_t now_us = kernel::ToEpochMicros(now);
  std::vector<kernel::FieldViolation> violations;
  if (request->outcome() == v1::CALL_OUTCOME_UNSPECIFIED) {
    violations.push_back({"outcome", "is required"});
  }
  if (request->outcome() == v1::CALL_OUTCOME_CALL_BACK &&
      (!request->has_call_back_time() ||
       TimeUtil::TimestampToMicroseconds(request->call_back_time()) <= now_us)) {
    violations.push_back({"call_back_time", "a call back needs a time in the future"});
  }
  if (request->outcome() != v1::CALL_OUTCOME_CALL_BACK && request->has_call_back_time()) {
    violations.push_back({"call_back_time", "is for CALL_OUTCOME_CALL_BACK only"});
  }
  if (request->note().size() > 10'000) {
    violations.push_back({"note", "is longer than 10000 characters"});
  }
  if (request->has_follow_up()) {
    if (request->follow_up().subject().empty()) {
      violations.push_back({"follow_up.subject", "is required"});
    }
    if (!request->follow_up().has_due_time()) {
      violations.push_back({"follow_up.due_time", "is required"});
    }
  }
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));

  std::optional<v1::CallListEntry> entry;
  std::optional<v1::CallList> list;
  auto read = kernel::Guarded(parts_.log, "RecordCall", [&] {
    auto lease = parts_.database.Acquire();
    entry = call_list_repository::FindEntry(lease.Session(), request->entry_id());
    if (entry) list = call_list_repository::Find(lease.Session(), entry->call_list_id());
    return grpc::Status::OK;
  });
  if (!read.ok()) return read;
  if (!entry || !list) {
    return {grpc::StatusCode::NOT_FOUND,
            fmt::format("no call list entry with id {}", request->entry_id())};
  }
  if (entry->assigned_user_id() != caller.user_id && !IsManager(caller)) {
    return {grpc::StatusCode::PERMISSION_DENIED,
            fmt::format("entry {} is user {}'s to call", entry->id(), entry->assigned_user_id())};
  }
  if (!entry->open()) {
    return kernel::FailedPreconditionOnField(
        "entry_id", fmt::format("entry {} is closed ({})", entry->id(),
                                call_list_repository::OutcomeWord(entry->last_outcome())));
  }
  // The timeline and the activities first, each keyed by the attempt, so a
  // retried request logs and plans once; then the entry in one transaction.
  const int attempt = entry->attempts() + 1;
  const std::string reference = fmt::format("call-{}-{}", entry->id(), attempt);
  auto channel = parts_.channel();
  if (!channel) return {grpc::StatusCode::UNAVAILABLE, "kartond is not serving yet"};
  {
    auto partners = pv1::PartnerService::NewStub(channel);
    pv1::LogInteractionRequest log;
    auto& interaction = *log.mutable_interaction();
    interaction.set_partner_id(entry->partner_id());
    interaction.set_contact_id(entry->contact_id());
    interaction.set_channel(pv1::INTERACTION_CHANNEL_CALL);
    interaction.set_direction(pv1::INTERACTION_DIRECTION_OUTBOUND);
    interaction.set_subject(fmt::format("{}: {}", list->name(), OutcomeText(request->outcome())));
    interaction.set_body(request->note());
    interaction.set_source_module("campaigns");
    interaction.set_source_reference(reference);
    interaction.set_resource_type(kCallList);
    interaction.set_resource_id(list->id());
    pv1::Interaction logged;
    auto status = partners->LogInteraction(kernel::CallContext(*context).get(), log, &logged);
    if (!status.ok()) return status;
  }
  auto activities = cv1::ActivityService::NewStub(channel);
  auto plan = [&](cv1::ActivityType type, const std::string& subject,
                  const google::protobuf::Timestamp& due, const std::string& key) {
    cv1::CreateActivityRequest create;
    auto& activity = *create.mutable_activity();
    activity.set_type(type);
    activity.set_subject(subject);
    activity.set_description(request->note());
    activity.set_partner_id(entry->partner_id());
    activity.set_contact_id(entry->contact_id());
    activity.set_assigned_user_id(entry->assigned_user_id());
    *activity.mutable_due_time() = due;
    create.set_request_id(key);
    cv1::Activity created;
    auto status = activities->CreateActivity(kernel::CallContext(*context).get(), create, &created);
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      // Name the field of this request, not the activity's.
      const auto problems = kernel::FieldViolationsOf(status);
      return kernel::InvalidField(
          key.ends_with("follow-up") ? "follow_up" : "call_back_time",
          problems.empty() ? status.error_message() : problems.front().description);
    }
    return status;
  };
  if (request->outcome() == v1::CALL_OUTCOME_CALL_BACK) {
    auto status =
        plan(cv1::ACTIVITY_TYPE_CALL, fmt::format("Visszahívás: {}", entry->display_name()),
             request->call_back_time(), "campaigns-" + reference + "-call-back");
    if (!status.ok()) return status;
  }
  if (request->has_follow_up()) {
    auto status = plan(cv1::ACTIVITY_TYPE_TASK, request->follow_up().subject(),
                       request->follow_up().due_time(), "campaigns-" + reference + "-follow-up");
    if (!status.ok()) return status;
  }
  return kernel::Guarded(parts_.log, "RecordCall", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = call_list_repository::FindEntry(lease.Session(), request->entry_id(), true);
    if (!stored) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("no call list entry with id {}", request->entry_id())};
    }
    if (stored->attempts() + 1 != attempt) {
      return {grpc::StatusCode::ABORTED,
              fmt::format("entry {} was called meanwhile; read it again", stored->id())};
    }
    v1::CallListEntry next = *stored;
    next.set_last_outcome(request->outcome());
    next.set_open(request->outcome() == v1::CALL_OUTCOME_NO_ANSWER ||
                  request->outcome() == v1::CALL_OUTCOME_CALL_BACK);
    next.set_attempts(attempt);
    next.set_note(request->note());
    if (request->has_call_back_time()) {
      *next.mutable_call_back_time() = request->call_back_time();
    } else {
      next.clear_call_back_time();
    }
    *next.mutable_last_call_time() = TimeUtil::MicrosecondsToTimestamp(now_us);
    auto written = call_list_repository::RecordCall(lease.Session(), next);
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kCallEntry,
                        written.id(), kernel::DiffFields(&*stored, written));
    parts_.events.Publish(lease.Session(), "campaigns.call.recorded", written.id(), written,
                          caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

}  // namespace karton::campaigns
