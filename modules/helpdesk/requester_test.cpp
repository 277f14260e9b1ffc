// The requester's address and number in the forms partners stores.
#include "requester.h"

#include <gtest/gtest.h>

namespace karton::helpdesk {
namespace {

TEST(RequesterTest, AnAddressIsTrimmedAndLowerCased) {
  EXPECT_EQ(NormalEmail(" Kiss.Janos@Example.HU "), "kiss.janos@example.hu");
  for (const char* bad : {"", "kiss", "@example.hu", "kiss@", "kiss@example", "a@b@c.hu",
                          "kiss janos@example.hu", "kiss@example.", "<kiss@example.hu>"}) {
    EXPECT_EQ(NormalEmail(bad), std::nullopt) << bad;
  }
}

TEST(RequesterTest, HungarianNumbersInTheirUsualSpellingsBecomeE164) {
  for (const char* spelling :
       {"+36 30 123 4567", "06-30/123-4567", "36301234567", "(06 30) 123 45 67", "0036301234567"}) {
    EXPECT_EQ(NormalPhone(spelling), "+36301234567") << spelling;
  }
  EXPECT_EQ(NormalPhone("+43 1 234 5678"), "+4312345678");
  for (const char* bad :
       {"", "123", "30 123 4567", "+36 30 ABC", "+36 30 123 4567 8901 23", "06#30"}) {
    EXPECT_EQ(NormalPhone(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace karton::helpdesk
