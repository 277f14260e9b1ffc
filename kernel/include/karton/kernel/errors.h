// Errors that name the field: INVALID_ARGUMENT with the standard
// google.rpc.BadRequest details, which gRPC clients read from the status's
// error details and the JSON gateway turns into Connect error details.
//
//   if (email.empty()) return kernel::InvalidField("user.email", "is required");
//
// The message reads "user.email: is required" for clients that only look at
// the text.
#pragma once

#include <grpcpp/support/status.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace karton::common::v1 {
class ItemError;
}  // namespace karton::common::v1

namespace karton::kernel {

struct FieldViolation {
  std::string field;        // path in the request, e.g. "user.addresses[0].city"
  std::string description;  // what is wrong, for a person
};

grpc::Status InvalidField(std::string field, std::string description);
// Several fields at once; the message names the first.
grpc::Status InvalidFields(std::vector<FieldViolation> violations);
// FAILED_PRECONDITION with the same field details: the request is well
// formed but the state of the data refuses it ("credit_limit: exceeded by
// 120,000 HUF"), and the client should show it beside that field.
grpc::Status FailedPreconditionOnField(std::string field, std::string description);
// The violations carried by `status` (empty when it has none).
std::vector<FieldViolation> FieldViolationsOf(const grpc::Status& status);
// `status` as one item's error in a batch answer (karton.common.v1.ItemError):
// its code, its message and its field violations, each path prefixed with
// `field_prefix` ("requests[3].") so the client knows which item and which
// field.
void ToItemError(const grpc::Status& status, std::string_view field_prefix,
                 common::v1::ItemError& error);

}  // namespace karton::kernel
