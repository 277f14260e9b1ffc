// Page tokens (kernel/src/pagination.cpp): whatever a client sends as
// page_token is either refused as INVALID_ARGUMENT naming page_token or
// read as a cursor, and every token the kernel gives out reads back as the
// cursor it was made from.
//
// The first byte picks what the rest is:
//   0  the token itself, as a client would send it
//   1  the JSON inside a token (base64url-encoded here), with "$S" standing
//      for the request's real scope fingerprint, so the fuzzer gets past it
//   2  a cursor (a UTF-8 key of up to 1,000 bytes, then "\n", then an id)
//      to make a token of and read back
#include <sodium.h>

#include <cstring>
#include <string>

#include "fuzz_check.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/v1/audit_service.pb.h"

using karton::fuzz::Check;
namespace kernel = karton::kernel;

namespace {

std::string Base64Url(std::string_view bytes) {
  std::string encoded(
      sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

std::string FromBase64Url(const std::string& text) {
  std::string bytes(text.size(), '\0');
  std::size_t length = 0;
  sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                    text.size(), nullptr, &length, nullptr,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  bytes.resize(length);
  return bytes;
}

karton::kernel::v1::ListAuditEntriesRequest Request(int page_size) {
  karton::kernel::v1::ListAuditEntriesRequest request;
  request.set_resource_type("partner");
  request.set_actor_user_id(7);
  request.set_page_size(page_size);
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (sodium_init() < 0) return 0;
  karton::fuzz::Input input(data, size);
  const std::uint8_t mode = input.Byte() % 3;
  auto request = Request(input.Byte() % 4 == 0 ? 0 : 50);
  kernel::Page page;

  if (mode == 2) {
    // Keys are sort keys read from PostgreSQL text: always UTF-8, and
    // names, SKUs or file names (pagination.cpp takes up to 1,000 bytes).
    const std::string key(input.Until("\n"));
    if (!karton::fuzz::IsUtf8(key) || key.size() > 1000) return 0;
    std::int64_t id = 0;
    for (const char c : input.Rest()) id = (id % 100000000000000LL) * 10 + (c & 7);
    Check(kernel::ReadPage(request, page).ok(), "a request without a token reads");
    request.set_page_token(kernel::NextPageToken(page, {key, id}));
    kernel::Page next;
    const auto status = kernel::ReadPage(request, next);
    Check(status.ok(), "a token the kernel made reads back", status.error_message());
    Check(next.after && next.after->key == key && next.after->id == id,
          "a token reads back as the cursor it was made from", key);
    return 0;
  }

  std::string token;
  if (mode == 0) {
    token = std::string(input.Rest());
  } else {
    // The fingerprint of this request's scope, from a token made for it.
    Check(kernel::ReadPage(request, page).ok(), "a request without a token reads");
    const std::string sample = FromBase64Url(kernel::NextPageToken(page, {"k", 1}));
    const auto at = sample.find("\"s\":\"");
    Check(at != std::string::npos, "a token carries its scope's fingerprint", sample);
    const std::string fingerprint = sample.substr(at + 5, sample.find('"', at + 5) - at - 5);
    std::string json(input.Rest());
    for (auto spot = json.find("$S"); spot != std::string::npos; spot = json.find("$S", spot)) {
      json.replace(spot, 2, fingerprint);
    }
    token = Base64Url(json);
  }
  request.set_page_token(token);
  const grpc::Status status = kernel::ReadPage(request, page);
  if (status.ok()) {
    Check(!token.empty() == page.after.has_value(), "a token read is a cursor", token);
    Check(!page.after || page.after->id >= 0, "a cursor's id is never negative", token);
  } else {
    Check(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT,
          "a bad token is INVALID_ARGUMENT", status.error_message());
    Check(status.error_message().find("page_token") != std::string::npos,
          "a bad token's error names page_token", status.error_message());
    Check(!page.after.has_value(), "a refused token leaves no cursor", token);
  }
  return 0;
}
