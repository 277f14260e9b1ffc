#include "journeys/journey_service.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>

#include "karton/campaigns/v1/segment_service.grpc.pb.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"

namespace karton::automation {
namespace {

constexpr char kJourney[] = "automation.journey";
constexpr char kEnrolment[] = "automation.enrolment";

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no journey with id {}", id)};
}

grpc::Status NoEnrolment(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no enrolment with id {}", id)};
}

std::int64_t IntegerField(const google::protobuf::Message& message, const char* name) {
  const auto* field = message.GetDescriptor()->FindFieldByName(name);
  return field == nullptr ? 0 : message.GetReflection()->GetInt64(message, field);
}

}  // namespace

void JourneyServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  for (const char* verb : {"created", "updated", "deleted"}) {
    events.DeclareTopic<v1::Journey>(std::string("automation.journey.") + verb);
  }
  JourneyRunner::DeclareTopics(events);
}

kernel::MethodRoles JourneyServiceImpl::Roles() {
  const std::vector<std::string> writers = {std::string(kernel::kRoleAdmin),
                                            std::string(kernel::kRoleSalesManager)};
  const auto readers = kernel::StaffRoles();
  return {{"CreateJourney", writers}, {"GetJourney", readers},    {"ListJourneys", readers},
          {"UpdateJourney", writers}, {"DeleteJourney", writers}, {"EnrolInJourney", writers},
          {"EnrolSegment", writers},  {"StopEnrolment", writers}, {"GetEnrolment", readers},
          {"ListEnrolments", readers}};
}

grpc::Status JourneyServiceImpl::Check(const v1::Journey& journey) {
  TopicTypes topics;
  if (auto status = environment_.Topics(topics); !status.ok()) return status;
  // "Now" in the installation's zone, for a wait_until that has passed.
  std::string now_local;
  auto status = kernel::Guarded(parts_.log, "CheckJourney", [&] {
    auto lease = parts_.database.Acquire();
    const auto rows = kernel::RunPrepared(
        lease.Session(),
        "SELECT to_char(to_timestamp($1::bigint / 1e6) AT TIME ZONE $2, "
        "'YYYY-MM-DD\"T\"HH24:MI')",
        {std::to_string(kernel::ToEpochMicros(parts_.clock.Now())), settings_.time_zone});
    now_local = std::string(rows.Text(0, 0));
    return grpc::Status::OK;
  });
  if (!status.ok()) return status;
  std::vector<kernel::FieldViolation> violations;
  CheckJourney(journey, topics, now_local, violations);
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  return grpc::Status::OK;
}

grpc::Status JourneyServiceImpl::CreateJourney(grpc::ServerContext* context,
                                               const v1::CreateJourneyRequest* request,
                                               v1::Journey* response) {
  v1::Journey journey = request->journey();
  journey.clear_id();
  journey.clear_etag();
  journey.clear_create_time();
  journey.clear_update_time();
  journey.clear_create_user_id();
  if (journey.subject() == v1::JOURNEY_SUBJECT_UNSPECIFIED) {
    journey.set_subject(v1::JOURNEY_SUBJECT_PARTNER);
  }
  if (auto status = Check(journey); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "CreateJourney", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (journey_repository::NameTaken(lease.Session(), journey.name(), 0)) {
      return kernel::InvalidField("journey.name",
                                  fmt::format("another journey is named '{}'", journey.name()));
    }
    auto created =
        journey_repository::Insert(lease.Session(), journey, caller.user_id, parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kJourney,
                        created.id(), kernel::DiffFields(nullptr, created));
    parts_.events.Publish(lease.Session(), "automation.journey.created", created.id(), created,
                          caller);
    transaction.Commit();
    *response = std::move(created);
    return grpc::Status::OK;
  });
}

grpc::Status JourneyServiceImpl::GetJourney(grpc::ServerContext*,
                                            const v1::GetJourneyRequest* request,
                                            v1::Journey* response) {
  return kernel::Guarded(parts_.log, "GetJourney", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = journey_repository::Find(lease.Session(), request->id());
    if (!found) return NotFound(request->id());
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status JourneyServiceImpl::ListJourneys(grpc::ServerContext*,
                                              const v1::ListJourneysRequest* request,
                                              v1::ListJourneysResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "ListJourneys", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = journey_repository::List(lease.Session(), page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::Journey& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_journeys() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status JourneyServiceImpl::UpdateJourney(grpc::ServerContext* context,
                                               const v1::UpdateJourneyRequest* request,
                                               v1::Journey* response) {
  const v1::Journey& change = request->journey();
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(*request, change,
                                        {"name", "description", "enrol_topics", "enrol_condition",
                                         "allow_reentry", "steps", "stops", "enabled"},
                                        paths);
      !status.ok()) {
    return status;
  }
  std::optional<v1::Journey> preview;
  auto read = kernel::Guarded(parts_.log, "UpdateJourney", [&] {
    auto lease = parts_.database.Acquire();
    preview = journey_repository::Find(lease.Session(), change.id());
    return grpc::Status::OK;
  });
  if (!read.ok()) return read;
  if (!preview) return NotFound(change.id());
  v1::Journey updated = *preview;
  kernel::ApplyUpdateMask(change, paths, updated);
  if (auto status = Check(updated); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "UpdateJourney", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = journey_repository::Find(lease.Session(), change.id(), true);
    if (!stored) return NotFound(change.id());
    if (auto status = kernel::CheckEtag("journey", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    v1::Journey next = *stored;
    kernel::ApplyUpdateMask(updated, paths, next);
    const auto changes = kernel::DiffFields(&*stored, next);
    if (changes.empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    if (journey_repository::NameTaken(lease.Session(), next.name(), next.id())) {
      return kernel::InvalidField("journey.name",
                                  fmt::format("another journey is named '{}'", next.name()));
    }
    auto written = journey_repository::Update(lease.Session(), next, parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kJourney,
                        written.id(), changes);
    parts_.events.Publish(lease.Session(), "automation.journey.updated", written.id(), written,
                          caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status JourneyServiceImpl::DeleteJourney(grpc::ServerContext* context,
                                               const v1::DeleteJourneyRequest* request,
                                               v1::DeleteJourneyResponse*) {
  return kernel::Guarded(parts_.log, "DeleteJourney", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = journey_repository::Find(lease.Session(), request->id(), true);
    if (!stored) return NotFound(request->id());
    if (auto status = kernel::CheckEtag("journey", request->id(), request->etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    journey_repository::MarkDeleted(lease.Session(), request->id(), parts_.clock.Now());
    journey_repository::EnrolmentFilter active{request->id(), 0, v1::ENROLMENT_STATE_ACTIVE};
    for (const auto& enrolment :
         journey_repository::ListEnrolments(lease.Session(), active, 0, 1'000'000)) {
      runner_.End(lease.Session(), enrolment.id(), v1::ENROLMENT_STATE_STOPPED,
                  "the journey was deleted", caller);
    }
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kDelete, kJourney,
                        request->id(), kernel::DiffFields(&*stored, v1::Journey()));
    parts_.events.Publish(lease.Session(), "automation.journey.deleted", request->id(), *stored,
                          caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status JourneyServiceImpl::EnrolInJourney(grpc::ServerContext* context,
                                                const v1::EnrolInJourneyRequest* request,
                                                v1::Enrolment* response) {
  if (request->subject_id() <= 0) return kernel::InvalidField("subject_id", "is required");
  std::optional<v1::Journey> journey;
  auto read = kernel::Guarded(parts_.log, "EnrolInJourney", [&] {
    auto lease = parts_.database.Acquire();
    journey = journey_repository::Find(lease.Session(), request->journey_id());
    return grpc::Status::OK;
  });
  if (!read.ok()) return read;
  if (!journey) return NotFound(request->journey_id());
  // The partner or lead must exist; read it as kartond, no connection held.
  std::int64_t partner_id = 0;
  try {
    auto subject = runner_.ReadSubject(journey->subject(), request->subject_id());
    if (!subject) {
      return kernel::InvalidField(
          "subject_id",
          fmt::format("there is no {} {}",
                      journey->subject() == v1::JOURNEY_SUBJECT_LEAD ? "lead" : "partner",
                      request->subject_id()));
    }
    partner_id = journey->subject() == v1::JOURNEY_SUBJECT_LEAD
                     ? IntegerField(*subject, "partner_id")
                     : request->subject_id();
  } catch (const std::exception& error) {
    return {grpc::StatusCode::UNAVAILABLE, error.what()};
  }
  return kernel::Guarded(parts_.log, "EnrolInJourney", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    std::int64_t id = 0;
    const auto outcome =
        runner_.Enrol(lease.Session(), *journey, request->subject_id(), partner_id, 0, caller, id);
    if (outcome == journey_repository::EnrolOutcome::kAlreadyIn) {
      return kernel::FailedPreconditionOnField(
          "subject_id",
          fmt::format("{} is in journey {} already", request->subject_id(), journey->id()));
    }
    if (outcome == journey_repository::EnrolOutcome::kWasIn) {
      return kernel::FailedPreconditionOnField(
          "subject_id", fmt::format("{} went through journey {} before, and it allows no "
                                    "re-entry (allow_reentry)",
                                    request->subject_id(), journey->id()));
    }
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kEnrolment, id,
                        {kernel::FieldChange::Of("journey_id", 0, journey->id()),
                         kernel::FieldChange::Of("subject_id", 0, request->subject_id())});
    auto enrolment = journey_repository::FindEnrolment(lease.Session(), id);
    transaction.Commit();
    *response = std::move(*enrolment);
    return grpc::Status::OK;
  });
}

grpc::Status JourneyServiceImpl::EnrolSegment(grpc::ServerContext* context,
                                              const v1::EnrolSegmentRequest* request,
                                              v1::EnrolSegmentResponse* response) {
  constexpr int kMaxPartners = 10'000;
  std::optional<v1::Journey> journey;
  auto read = kernel::Guarded(parts_.log, "EnrolSegment", [&] {
    auto lease = parts_.database.Acquire();
    journey = journey_repository::Find(lease.Session(), request->journey_id());
    return grpc::Status::OK;
  });
  if (!read.ok()) return read;
  if (!journey) return NotFound(request->journey_id());
  if (journey->subject() != v1::JOURNEY_SUBJECT_PARTNER) {
    return kernel::FailedPreconditionOnField(
        "journey_id",
        fmt::format("journey {} enrols leads; a segment holds partners", journey->id()));
  }
  // The members as the caller sees them, asked of campaigns before any
  // connection is held here; a contacts segment enrols each partner once.
  const auto channel = runner_.Channel();
  if (!channel) return {grpc::StatusCode::UNAVAILABLE, "kartond is not serving yet"};
  auto segments = campaigns::v1::SegmentService::NewStub(channel);
  campaigns::v1::ListSegmentMembersRequest list;
  list.set_segment_id(request->segment_id());
  list.set_page_size(1000);
  std::vector<std::int64_t> partners;
  do {
    campaigns::v1::ListSegmentMembersResponse page;
    const auto status =
        segments->ListSegmentMembers(kernel::CallContext(*context).get(), list, &page);
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      return kernel::FailedPreconditionOnField(
          "segment_id", "enrolling a segment needs the campaigns module, not loaded here");
    }
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      return kernel::InvalidField("segment_id", status.error_message());
    }
    if (!status.ok()) return status;
    for (const auto& member : page.members()) {
      if (partners.empty() || partners.back() != member.partner_id()) {
        partners.push_back(member.partner_id());
      }
    }
    if (partners.size() > static_cast<std::size_t>(kMaxPartners)) {
      return kernel::FailedPreconditionOnField(
          "segment_id",
          fmt::format("the segment has more than {} partners: enrol it in parts", kMaxPartners));
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  return kernel::Guarded(parts_.log, "EnrolSegment", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    int enrolled = 0;
    for (const auto partner : partners) {
      std::int64_t id = 0;
      if (runner_.Enrol(lease.Session(), *journey, partner, partner, 0, caller, id) !=
          journey_repository::EnrolOutcome::kEnrolled) {
        continue;
      }
      ++enrolled;
      parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kEnrolment, id,
                          {kernel::FieldChange::Of("journey_id", 0, journey->id()),
                           kernel::FieldChange::Of("subject_id", 0, partner),
                           kernel::FieldChange::Of("segment_id", 0, request->segment_id())});
    }
    transaction.Commit();
    response->set_enrolled_count(enrolled);
    response->set_skipped_count(static_cast<int>(partners.size()) - enrolled);
    return grpc::Status::OK;
  });
}

grpc::Status JourneyServiceImpl::StopEnrolment(grpc::ServerContext* context,
                                               const v1::StopEnrolmentRequest* request,
                                               v1::Enrolment* response) {
  if (request->reason().empty()) return kernel::InvalidField("reason", "is required");
  if (request->reason().size() > 1000) return kernel::InvalidField("reason", "at most 1000 bytes");
  return kernel::Guarded(parts_.log, "StopEnrolment", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto found = journey_repository::FindEnrolment(lease.Session(), request->id());
    if (!found) return NoEnrolment(request->id());
    const std::string reason = "stopped by hand: " + request->reason();
    if (!runner_.End(lease.Session(), request->id(), v1::ENROLMENT_STATE_STOPPED, reason, caller)) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("enrolment {} has ended already", request->id())};
    }
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kEnrolment,
                        request->id(),
                        {kernel::FieldChange::Of("state", "active", "stopped"),
                         kernel::FieldChange::Of("end_reason", "", reason)});
    auto stopped = journey_repository::FindEnrolment(lease.Session(), request->id());
    transaction.Commit();
    *response = std::move(*stopped);
    return grpc::Status::OK;
  });
}

grpc::Status JourneyServiceImpl::GetEnrolment(grpc::ServerContext*,
                                              const v1::GetEnrolmentRequest* request,
                                              v1::Enrolment* response) {
  return kernel::Guarded(parts_.log, "GetEnrolment", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = journey_repository::FindEnrolment(lease.Session(), request->id());
    if (!found) return NoEnrolment(request->id());
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::Status JourneyServiceImpl::ListEnrolments(grpc::ServerContext*,
                                                const v1::ListEnrolmentsRequest* request,
                                                v1::ListEnrolmentsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  if (!v1::EnrolmentState_IsValid(request->state())) {
    return kernel::InvalidField("state", "is not an enrolment state");
  }
  return kernel::Guarded(parts_.log, "ListEnrolments", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = journey_repository::ListEnrolments(
        lease.Session(), {request->journey_id(), request->subject_id(), request->state()},
        page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::Enrolment& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_enrolments() = std::move(row);
    return grpc::Status::OK;
  });
}

}  // namespace karton::automation
