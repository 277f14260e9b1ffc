#include "inbound/imap_mailbox.h"

#include <gtest/gtest.h>

namespace karton::messaging {
namespace {

TEST(ImapAnswersTest, SizesComeByUidWhateverTheOrderOfTheItems) {
  const auto sizes = ParseSizeAnswer(
      "* 1 FETCH (UID 7 RFC822.SIZE 2048)\r\n"
      "* 2 FETCH (RFC822.SIZE 31457280 UID 9)\r\n"
      "* 3 fetch (uid 12 rfc822.size 0)\r\n"
      "* 4 FETCH (FLAGS (\\Seen \\Answered) UID 14 RFC822.SIZE 512)\r\n",
      6);
  ASSERT_EQ(sizes.size(), 4u);
  EXPECT_EQ(sizes.at(14), 512u);
  EXPECT_EQ(sizes.at(7), 2048u);
  EXPECT_EQ(sizes.at(9), 31457280u);
  EXPECT_EQ(sizes.at(12), 0u);
}

TEST(ImapAnswersTest, SizesOfTakenUidsAndLinesWithoutUidOrSizeAreLeftOut) {
  // n:* always names the last message, even when it was taken before.
  const auto sizes = ParseSizeAnswer(
      "* 4 FETCH (UID 5 RFC822.SIZE 100)\r\n"
      "* 5 FETCH (FLAGS (\\Seen) UID 8)\r\n"
      "* 6 FETCH (RFC822.SIZE 300)\r\n"
      "* 7 FETCH (UID 10 RFC822.SIZE 400)\r\n"
      "* OK done\r\n",
      5);
  ASSERT_EQ(sizes.size(), 1u);
  EXPECT_EQ(sizes.at(10), 400u);
}

}  // namespace
}  // namespace karton::messaging
