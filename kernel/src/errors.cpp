#include "karton/kernel/errors.h"

#include <fmt/format.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "karton/common/v1/batch.pb.h"

namespace karton::kernel {

namespace {

grpc::Status WithViolations(grpc::StatusCode code, std::vector<FieldViolation> violations) {
  const std::string message =
      fmt::format("{}: {}", violations.front().field, violations.front().description);
  google::rpc::BadRequest bad_request;
  for (auto& violation : violations) {
    auto* added = bad_request.add_field_violations();
    added->set_field(std::move(violation.field));
    added->set_description(std::move(violation.description));
  }
  google::rpc::Status status;
  status.set_code(static_cast<int>(code));
  status.set_message(message);
  status.add_details()->PackFrom(bad_request);
  return {code, message, status.SerializeAsString()};
}

}  // namespace

grpc::Status InvalidField(std::string field, std::string description) {
  return InvalidFields({FieldViolation{std::move(field), std::move(description)}});
}

grpc::Status InvalidFields(std::vector<FieldViolation> violations) {
  if (violations.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "invalid request"};
  return WithViolations(grpc::StatusCode::INVALID_ARGUMENT, std::move(violations));
}

grpc::Status FailedPreconditionOnField(std::string field, std::string description) {
  return WithViolations(grpc::StatusCode::FAILED_PRECONDITION,
                        {FieldViolation{std::move(field), std::move(description)}});
}

std::vector<FieldViolation> FieldViolationsOf(const grpc::Status& status) {
  std::vector<FieldViolation> violations;
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    return violations;
  }
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad_request;
    if (!any.UnpackTo(&bad_request)) continue;
    for (const auto& violation : bad_request.field_violations()) {
      violations.push_back({violation.field(), violation.description()});
    }
  }
  return violations;
}

void ToItemError(const grpc::Status& status, std::string_view field_prefix,
                 common::v1::ItemError& error) {
  error.Clear();
  error.set_code(static_cast<int>(status.error_code()));
  auto violations = FieldViolationsOf(status);
  if (violations.empty()) {
    error.set_message(status.error_message());
    return;
  }
  for (auto& violation : violations) {
    auto* added = error.add_field_violations();
    added->set_field(fmt::format("{}{}", field_prefix, violation.field));
    added->set_description(std::move(violation.description));
  }
  error.set_message(fmt::format("{}: {}", error.field_violations(0).field(),
                                error.field_violations(0).description()));
}

}  // namespace karton::kernel
