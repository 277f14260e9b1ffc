#include "karton/kernel/pagination.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>

#include "karton/kernel/errors.h"
#include "karton/kernel/numbers.h"

namespace karton::kernel {
namespace {

TEST(Pagination, DefaultsCapsAndRoundTripsTokens) {
  Page page;
  ASSERT_TRUE(ReadPage(0, "", 'u', page).ok());
  EXPECT_EQ(page.size, 100);
  EXPECT_EQ(page.cursor_id, 0);
  ASSERT_TRUE(ReadPage(5000, PageToken('u', 42), 'u', page).ok());
  EXPECT_EQ(page.size, 1000);
  EXPECT_EQ(page.cursor_id, 42);
}

TEST(Pagination, RefusesForeignOrBrokenTokensNamingTheField) {
  Page page;
  const grpc::Status foreign = ReadPage(10, PageToken('t', 42), 'u', page);
  EXPECT_EQ(foreign.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_EQ(FieldViolationsOf(foreign).size(), 1u);
  EXPECT_EQ(FieldViolationsOf(foreign)[0].field, "page_token");
  EXPECT_FALSE(ReadPage(10, "!!!", 'u', page).ok());
  EXPECT_FALSE(ReadPage(10, PageToken('u', -1), 'u', page).ok());
  EXPECT_EQ(FieldViolationsOf(ReadPage(-1, "", 'u', page))[0].field, "page_size");
}

// Tokens are not signed, so a client can forge one: "u5x" used to read as
// 5 (std::stoll stops at the first non-digit) and a 20-digit id threw.
TEST(Pagination, AForgedTokenIsRefusedWholeNotReadInPart) {
  const auto forged = [](const std::string& raw) {
    std::string encoded(
        sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(encoded.data(), encoded.size(),
                      reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    encoded.resize(std::strlen(encoded.c_str()));
    return encoded;
  };
  Page page;
  ASSERT_TRUE(ReadPage(10, forged("u5"), 'u', page).ok());
  EXPECT_EQ(page.cursor_id, 5);
  for (const char* raw : {"u5x", "u 5", "u99999999999999999999", "u", "u+5", "u0x5"}) {
    const auto status = ReadPage(10, forged(raw), 'u', page);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << raw;
  }
}

TEST(Numbers, ParseInt64TakesTheWholeTextOrNothing) {
  EXPECT_EQ(ParseInt64("42"), 42);
  EXPECT_EQ(ParseInt64("-7"), -7);
  EXPECT_EQ(ParseInt64("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", " 1", "1 ", "1x", "0x10", "9223372036854775808", "+1"}) {
    EXPECT_FALSE(ParseInt64(bad).has_value()) << bad;
  }
}

TEST(InvalidField, PutsTheFieldFirstAndInTheDetails) {
  const grpc::Status status =
      InvalidFields({{"user.email", "is required"}, {"user.name", "too long"}});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "user.email: is required");
  const auto violations = FieldViolationsOf(status);
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[1].field, "user.name");
  EXPECT_TRUE(FieldViolationsOf(grpc::Status(grpc::StatusCode::NOT_FOUND, "x")).empty());
}

}  // namespace
}  // namespace karton::kernel
