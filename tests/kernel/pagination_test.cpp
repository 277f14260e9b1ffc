#include "karton/kernel/pagination.h"

#include <gtest/gtest.h>

#include "karton/kernel/errors.h"

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
