#include "segments/segment_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <optional>

#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "segments/segment_members.h"
#include "segments/segment_repository.h"

namespace karton::campaigns {
namespace {

constexpr char kSegment[] = "campaigns.segment";
constexpr int kMaxListed = 10'000;

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no segment with id {}", id)};
}

void CheckFields(const v1::Segment& segment, std::vector<kernel::FieldViolation>& violations) {
  if (segment.name().empty()) violations.push_back({"segment.name", "is required"});
  if (segment.name().size() > 200) {
    violations.push_back({"segment.name", "is longer than 200 characters"});
  }
  if (segment.description().size() > 4000) {
    violations.push_back({"segment.description", "is longer than 4000 characters"});
  }
  if (segment.filter().size() > 2000) {
    violations.push_back({"segment.filter", "is longer than 2000 characters"});
  }
  if (segment.partner_ids_size() + segment.excluded_partner_ids_size() > kMaxListed) {
    violations.push_back(
        {"segment.partner_ids",
         fmt::format("at most {} partners may be listed and excluded together", kMaxListed)});
  }
  for (int i = 0; i < segment.partner_ids_size(); ++i) {
    if (segment.partner_ids(i) <= 0) {
      violations.push_back({fmt::format("segment.partner_ids[{}]", i), "must be a partner id"});
    }
  }
  for (int i = 0; i < segment.excluded_partner_ids_size(); ++i) {
    if (segment.excluded_partner_ids(i) <= 0) {
      violations.push_back(
          {fmt::format("segment.excluded_partner_ids[{}]", i), "must be a partner id"});
    }
  }
  for (int i = 0; i < segment.purchased().product_ids_size(); ++i) {
    if (segment.purchased().product_ids(i) <= 0) {
      violations.push_back(
          {fmt::format("segment.purchased.product_ids[{}]", i), "must be a product id"});
    }
  }
}

// Output-only fields a client may have sent back.
void ClearOutputOnly(v1::Segment& segment) {
  segment.clear_id();
  segment.clear_etag();
  segment.clear_create_time();
  segment.clear_update_time();
  segment.clear_create_user_id();
  if (segment.members() == v1::SEGMENT_MEMBERS_UNSPECIFIED) {
    segment.set_members(v1::SEGMENT_MEMBERS_PARTNERS);
  }
}

}  // namespace

void SegmentServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  for (const char* verb : {"created", "updated", "deleted"}) {
    events.DeclareTopic<v1::Segment>(std::string("campaigns.segment.") + verb);
  }
}

kernel::MethodRoles SegmentServiceImpl::Roles() {
  const std::vector<std::string> writers = {std::string(kernel::kRoleAdmin),
                                            std::string(kernel::kRoleSalesManager),
                                            std::string(kernel::kRoleSales)};
  const auto readers = kernel::StaffRoles();
  return {{"CreateSegment", writers},     {"GetSegment", readers},    {"ListSegments", readers},
          {"UpdateSegment", writers},     {"DeleteSegment", writers}, {"PreviewSegment", readers},
          {"ListSegmentMembers", readers}};
}

grpc::Status SegmentServiceImpl::Check(const grpc::ServerContext& context,
                                       const v1::Segment& segment) {
  std::vector<kernel::FieldViolation> violations;
  CheckFields(segment, violations);
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  // The filter as partners reads it: the first member is enough to know.
  v1::Segment probe = segment;
  probe.clear_purchased();  // asked of orders when the members are
  return ForEachMember(parts_.channel, &context, probe, 0,
                       [](v1::SegmentMember&&) { return false; });
}

grpc::Status SegmentServiceImpl::Read(std::int64_t id, v1::Segment& segment) {
  std::optional<v1::Segment> found;
  auto status = kernel::Guarded(parts_.log, "ReadSegment", [&] {
    auto lease = parts_.database.Acquire();
    found = segment_repository::Find(lease.Session(), id);
    return grpc::Status::OK;
  });
  if (!status.ok()) return status;
  if (!found) return NotFound(id);
  segment = std::move(*found);
  return grpc::Status::OK;
}

grpc::Status SegmentServiceImpl::CreateSegment(grpc::ServerContext* context,
                                               const v1::CreateSegmentRequest* request,
                                               v1::Segment* response) {
  v1::Segment segment = request->segment();
  ClearOutputOnly(segment);
  if (auto status = Check(*context, segment); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "CreateSegment", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (segment_repository::NameTaken(lease.Session(), segment.name(), 0)) {
      return kernel::InvalidField("segment.name",
                                  fmt::format("another segment is named '{}'", segment.name()));
    }
    auto created = segment_repository::Insert(lease.Session(), segment, kernel::ActorUserId(caller),
                                              parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kSegment,
                        created.id(), kernel::DiffFields(nullptr, created));
    parts_.events.Publish(lease.Session(), "campaigns.segment.created", created.id(), created,
                          caller);
    transaction.Commit();
    *response = std::move(created);
    return grpc::Status::OK;
  });
}

grpc::Status SegmentServiceImpl::GetSegment(grpc::ServerContext*,
                                            const v1::GetSegmentRequest* request,
                                            v1::Segment* response) {
  return Read(request->id(), *response);
}

grpc::Status SegmentServiceImpl::ListSegments(grpc::ServerContext*,
                                              const v1::ListSegmentsRequest* request,
                                              v1::ListSegmentsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "ListSegments", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = segment_repository::List(lease.Session(), page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::Segment& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_segments() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status SegmentServiceImpl::UpdateSegment(grpc::ServerContext* context,
                                               const v1::UpdateSegmentRequest* request,
                                               v1::Segment* response) {
  const v1::Segment& change = request->segment();
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(*request, change,
                                        {"name", "description", "members", "filter", "partner_ids",
                                         "excluded_partner_ids", "purchased"},
                                        paths);
      !status.ok()) {
    return status;
  }
  v1::Segment preview;
  if (auto status = Read(change.id(), preview); !status.ok()) return status;
  kernel::ApplyUpdateMask(change, paths, preview);
  if (preview.members() == v1::SEGMENT_MEMBERS_UNSPECIFIED) {
    preview.set_members(v1::SEGMENT_MEMBERS_PARTNERS);
  }
  if (auto status = Check(*context, preview); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "UpdateSegment", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = segment_repository::Find(lease.Session(), change.id(), true);
    if (!stored) return NotFound(change.id());
    if (auto status = kernel::CheckEtag("segment", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    v1::Segment next = *stored;
    kernel::ApplyUpdateMask(preview, paths, next);
    const auto changes = kernel::DiffFields(&*stored, next);
    if (changes.empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    if (segment_repository::NameTaken(lease.Session(), next.name(), next.id())) {
      return kernel::InvalidField("segment.name",
                                  fmt::format("another segment is named '{}'", next.name()));
    }
    auto written = segment_repository::Update(lease.Session(), next, parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kSegment,
                        written.id(), changes);
    parts_.events.Publish(lease.Session(), "campaigns.segment.updated", written.id(), written,
                          caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status SegmentServiceImpl::DeleteSegment(grpc::ServerContext* context,
                                               const v1::DeleteSegmentRequest* request,
                                               v1::DeleteSegmentResponse*) {
  return kernel::Guarded(parts_.log, "DeleteSegment", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = segment_repository::Find(lease.Session(), request->id(), true);
    if (!stored) return NotFound(request->id());
    if (auto status = kernel::CheckEtag("segment", request->id(), request->etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    if (const auto open = segment_repository::OpenCampaigns(lease.Session(), request->id());
        open > 0) {
      return kernel::FailedPreconditionOnField(
          "id", fmt::format("{} campaign(s) not finished use segment {}; finish or cancel them",
                            open, request->id()));
    }
    segment_repository::MarkDeleted(lease.Session(), request->id(), parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kDelete, kSegment,
                        request->id(), kernel::DiffFields(&*stored, v1::Segment()));
    parts_.events.Publish(lease.Session(), "campaigns.segment.deleted", request->id(), *stored,
                          caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status SegmentServiceImpl::PreviewSegment(grpc::ServerContext* context,
                                                const v1::PreviewSegmentRequest* request,
                                                v1::PreviewSegmentResponse* response) {
  if (request->sample_size() < 0 || request->sample_size() > 100) {
    return kernel::InvalidField("sample_size", "must be between 0 and 100");
  }
  const int sample = request->sample_size() == 0 ? 20 : request->sample_size();
  v1::Segment segment;
  if (request->has_segment()) {
    segment = request->segment();
    ClearOutputOnly(segment);
    std::vector<kernel::FieldViolation> violations;
    CheckFields(segment, violations);
    // A segment being drafted needs no name yet.
    std::erase_if(violations, [&](const auto& v) {
      return v.field == "segment.name" && segment.name().empty();
    });
    if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  } else if (auto status = Read(request->segment_id(), segment); !status.ok()) {
    return status;
  }
  std::int32_t count = 0;
  auto status = ForEachMember(parts_.channel, context, segment, 0, [&](v1::SegmentMember&& member) {
    if (count++ < sample) *response->add_sample() = std::move(member);
    return true;
  });
  if (!status.ok()) return status;
  response->set_member_count(count);
  return grpc::Status::OK;
}

grpc::Status SegmentServiceImpl::ListSegmentMembers(grpc::ServerContext* context,
                                                    const v1::ListSegmentMembersRequest* request,
                                                    v1::ListSegmentMembersResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  v1::Segment segment;
  if (auto status = Read(request->segment_id(), segment); !status.ok()) return status;
  // A page may end inside a partner's contacts: the cursor is the last
  // member's partner id and, as its key, its contact id.
  const std::int64_t after_partner = page.after ? page.after->id : 0;
  const std::int64_t after_contact =
      page.after && !page.after->key.empty() ? std::stoll(page.after->key) : 0;
  std::vector<v1::SegmentMember> rows;
  auto status = ForEachMember(
      parts_.channel, context, segment, after_contact > 0 ? after_partner - 1 : after_partner,
      [&](v1::SegmentMember&& member) {
        if (member.partner_id() == after_partner && member.contact_id() <= after_contact) {
          return true;
        }
        rows.push_back(std::move(member));
        return static_cast<int>(rows.size()) < page.FetchLimit();
      });
  if (!status.ok()) return status;
  response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::SegmentMember& row) {
    return kernel::PageCursor{row.contact_id() == 0 ? "" : std::to_string(row.contact_id()),
                              row.partner_id()};
  }));
  for (auto& row : rows) *response->add_members() = std::move(row);
  return grpc::Status::OK;
}

}  // namespace karton::campaigns
