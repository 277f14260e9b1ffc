#include "karton/kernel/pagination.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "karton/crm/v1/activity_service.pb.h"
#include "karton/crm/v1/opportunity_service.pb.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/numbers.h"

namespace karton::kernel {
namespace {

TEST(Pagination, DefaultsLimitsAndRoundTripsTokens) {
  crm::v1::ListActivitiesRequest request;
  Page page;
  ASSERT_TRUE(ReadPage(request, page).ok());
  EXPECT_EQ(page.size, 100);
  EXPECT_FALSE(page.after.has_value());
  EXPECT_EQ(page.AfterId(), 0);
  EXPECT_EQ(page.FetchLimit(), 101);
  ASSERT_TRUE(ReadPage(request, page, {.default_size = 20, .max_size = 50}).ok());
  EXPECT_EQ(page.size, 20);

  request.set_page_size(3);
  ASSERT_TRUE(ReadPage(request, page).ok());
  std::vector<std::int64_t> rows{10, 11, 12, 13};  // FetchLimit() rows came back
  const std::string token = FinishPage(rows, page, [](std::int64_t id) {
    return PageCursor{"k" + std::to_string(id), id};
  });
  EXPECT_EQ(rows, (std::vector<std::int64_t>{10, 11, 12}));
  ASSERT_FALSE(token.empty());
  request.set_page_token(token);
  ASSERT_TRUE(ReadPage(request, page).ok());
  ASSERT_TRUE(page.after.has_value());
  EXPECT_EQ(page.after->key, "k12");
  EXPECT_EQ(page.AfterId(), 12);
  // The page size may change between pages: it is not part of the scope.
  request.set_page_size(50);
  EXPECT_TRUE(ReadPage(request, page).ok());
  // The last page gives no token.
  std::vector<std::int64_t> last{14};
  EXPECT_EQ(FinishPage(last, page, [](std::int64_t id) { return PageCursor{"", id}; }), "");
}

// Found by tests/fuzz (page_token): a key JSON escapes byte by byte made a
// token longer than ReadPage took, so the kernel refused its own token.
TEST(Pagination, ATokenForAnyKeyUpTo1000BytesReadsBack) {
  crm::v1::ListActivitiesRequest request;
  Page page;
  ASSERT_TRUE(ReadPage(request, page).ok());
  for (const std::string& key : {std::string(1000, '\x01'), std::string(1000, '"'),
                                 std::string(250, '\0') + "\xF0\x9F\x98\x80"}) {
    request.set_page_token(NextPageToken(page, {key, 42}));
    Page next;
    const grpc::Status status = ReadPage(request, next);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_TRUE(next.after.has_value());
    EXPECT_EQ(next.after->key, key);
    EXPECT_EQ(next.AfterId(), 42);
    request.clear_page_token();
  }
}

TEST(Pagination, ATokenIsRefusedWithAnotherFilterOrOnAnotherList) {
  crm::v1::ListActivitiesRequest request;
  request.set_opportunity_id(7);
  Page page;
  ASSERT_TRUE(ReadPage(request, page).ok());
  const std::string token = NextPageToken(page, {"", 42});

  request.set_page_token(token);
  ASSERT_TRUE(ReadPage(request, page).ok());
  EXPECT_EQ(page.AfterId(), 42);
  request.set_opportunity_id(8);
  const grpc::Status other_filter = ReadPage(request, page);
  EXPECT_EQ(other_filter.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_EQ(FieldViolationsOf(other_filter).size(), 1u);
  EXPECT_EQ(FieldViolationsOf(other_filter)[0].field, "page_token");
  EXPECT_FALSE(page.after.has_value());

  crm::v1::ListOpportunitiesRequest other_list;
  other_list.set_page_token(token);
  EXPECT_FALSE(ReadPage(other_list, page).ok());
}

TEST(Pagination, RefusesBadSizesAndBrokenTokensNamingTheField) {
  crm::v1::ListActivitiesRequest request;
  Page page;
  request.set_page_size(-1);
  EXPECT_EQ(FieldViolationsOf(ReadPage(request, page))[0].field, "page_size");
  request.set_page_size(1001);
  EXPECT_EQ(FieldViolationsOf(ReadPage(request, page))[0].field, "page_size");
  request.set_page_size(51);
  EXPECT_FALSE(ReadPage(request, page, {.default_size = 20, .max_size = 50}).ok());
  request.set_page_size(10);
  for (const std::string& token :
       std::vector<std::string>{"!!!", "eyJrIjoiIn0", std::string(3000, 'a'), "a"}) {
    request.set_page_token(token);
    const auto status = ReadPage(request, page);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << token;
    EXPECT_EQ(FieldViolationsOf(status)[0].field, "page_token") << token;
  }
}

TEST(Pagination, AMessageWithoutPageFieldsIsAProgrammingError) {
  Page page;
  EXPECT_THROW((void)ReadPage(crm::v1::Activity(), page), std::logic_error);
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
