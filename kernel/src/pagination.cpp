#include "karton/kernel/pagination.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>
#include <sodium.h>

#include <boost/json.hpp>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "karton/kernel/errors.h"

namespace karton::kernel {
namespace {

// Tokens are short; anything longer is not one of ours. A cursor's key of
// 1,000 bytes (names, SKUs and file names are far shorter) always fits,
// even when every byte is a control character JSON writes as \u00XX: 2,048
// refused the kernel's own tokens for a 255-byte key of those (found by
// fuzzing).
constexpr std::size_t kMaxTokenBytes = 8192;

// A short fingerprint of the scope: not a secret (tokens are not signed and
// need not be: a forged cursor only moves within what the caller may see),
// only a guard against a token used with another request.
std::string Fingerprint(std::string_view scope) {
  unsigned char hash[8];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(scope.data()),
                     scope.size(), nullptr, 0);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return hex;
}

// The request's type and every field but the page's own, serialized
// deterministically (map order fixed), so equal requests give equal scopes.
std::string ScopeOf(const google::protobuf::Message& request,
                    const google::protobuf::FieldDescriptor* page_size,
                    const google::protobuf::FieldDescriptor* page_token) {
  std::unique_ptr<google::protobuf::Message> rest(request.New());
  rest->CopyFrom(request);
  rest->GetReflection()->ClearField(rest.get(), page_size);
  rest->GetReflection()->ClearField(rest.get(), page_token);
  std::string scope = request.GetDescriptor()->full_name() + "\n";
  {
    google::protobuf::io::StringOutputStream output(&scope);
    google::protobuf::io::CodedOutputStream coded(&output);
    coded.SetSerializationDeterministic(true);
    rest->SerializeToCodedStream(&coded);
  }
  return scope;
}

std::optional<PageCursor> DecodeToken(std::string_view token, std::string_view scope) {
  if (token.size() > kMaxTokenBytes) return std::nullopt;
  std::string json(token.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(json.data()), json.size(), token.data(),
                        token.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  json.resize(length);
  boost::system::error_code error;
  const boost::json::value parsed = boost::json::parse(json, error);
  if (error || !parsed.is_object()) return std::nullopt;
  const auto& object = parsed.as_object();
  const auto* key = object.if_contains("k");
  const auto* id = object.if_contains("i");
  const auto* fingerprint = object.if_contains("s");
  if (key == nullptr || !key->is_string() || id == nullptr || !id->is_int64() ||
      fingerprint == nullptr || !fingerprint->is_string() ||
      fingerprint->as_string() != Fingerprint(scope)) {
    return std::nullopt;
  }
  return PageCursor{std::string(key->as_string()), id->as_int64()};
}

}  // namespace

grpc::Status ReadPage(const google::protobuf::Message& request, Page& page, PageLimits limits) {
  const auto* descriptor = request.GetDescriptor();
  const auto* page_size = descriptor->FindFieldByName("page_size");
  const auto* page_token = descriptor->FindFieldByName("page_token");
  if (page_size == nullptr || page_token == nullptr || page_size->is_repeated() ||
      page_token->is_repeated() ||
      page_size->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_INT32 ||
      page_token->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
    throw std::logic_error(descriptor->full_name() +
                           " has no int32 page_size and string page_token to page with");
  }
  const auto* reflection = request.GetReflection();
  const int size = reflection->GetInt32(request, page_size);
  if (size < 0 || size > limits.max_size) {
    return InvalidField("page_size", fmt::format("must be 0 to {}", limits.max_size));
  }
  page.size = size == 0 ? limits.default_size : size;
  page.scope = ScopeOf(request, page_size, page_token);
  page.after.reset();
  const std::string token = reflection->GetString(request, page_token);
  if (token.empty()) return grpc::Status::OK;
  page.after = DecodeToken(token, page.scope);
  if (!page.after || page.after->id < 0) {
    page.after.reset();
    return InvalidField("page_token",
                        "is not a token this list gave out for the same request (filters, order "
                        "and query must stay as they were)");
  }
  return grpc::Status::OK;
}

std::string NextPageToken(const Page& page, const PageCursor& last) {
  const std::string json = boost::json::serialize(
      boost::json::object{{"k", last.key}, {"i", last.id}, {"s", Fingerprint(page.scope)}});
  std::string encoded(
      sodium_base64_ENCODED_LEN(json.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(),
                    reinterpret_cast<const unsigned char*>(json.data()), json.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

}  // namespace karton::kernel
