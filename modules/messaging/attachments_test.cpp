#include "attachments.h"

#include <gtest/gtest.h>

namespace karton::messaging {
namespace {

TEST(AttachmentRulesTest, FileNamesAreNamesWithoutPathsControlsOrBidiTricks) {
  for (const char* name : {"árajánlat-ő.pdf", "Szerződés (aláírt) v2.pdf", "a", "日本語.txt",
                           ".hidden", "név  két szóközzel.docx"}) {
    EXPECT_EQ(FileNameProblem(name), std::nullopt) << name;
  }
  EXPECT_EQ(FileNameProblem(""), "is required");
  EXPECT_EQ(FileNameProblem(std::string(256, 'a')), "is longer than 255 bytes");
  EXPECT_EQ(FileNameProblem(std::string(255, 'a')), std::nullopt);
  EXPECT_EQ(FileNameProblem(".."), "is not a file name");
  EXPECT_NE(FileNameProblem("../../etc/passwd"), std::nullopt);
  EXPECT_NE(FileNameProblem("C:\\temp\\a.pdf"), std::nullopt);
  EXPECT_NE(FileNameProblem("a\r\nContent-Type: text/html"), std::nullopt);
  EXPECT_NE(FileNameProblem(std::string("a\0b", 3)), std::nullopt);
  EXPECT_NE(FileNameProblem("tab\there"), std::nullopt);
  EXPECT_NE(FileNameProblem("del\x7f"), std::nullopt);
  EXPECT_NE(FileNameProblem("c1\xc2\x85"), std::nullopt);           // U+0085 NEL
  EXPECT_NE(FileNameProblem("line\xe2\x80\xa8sep"), std::nullopt);  // U+2028
  EXPECT_NE(FileNameProblem("invoice\xe2\x80\xae"
                            "fdp.exe"),
            std::nullopt);  // U+202E RLO
  EXPECT_EQ(FileNameProblem("bad\xc3"), "is not valid UTF-8");
  EXPECT_EQ(FileNameProblem("\xff\xfe"), "is not valid UTF-8");
}

TEST(AttachmentRulesTest, MediaTypesAreTypeSlashSubtypeInLowerCase) {
  std::string problem;
  EXPECT_EQ(AttachmentMediaType("", problem), "application/octet-stream");
  EXPECT_EQ(AttachmentMediaType("Application/PDF", problem), "application/pdf");
  EXPECT_EQ(AttachmentMediaType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                problem),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_EQ(AttachmentMediaType("image/svg+xml", problem), "image/svg+xml");
  for (const char* bad : {"pdf", "application/", "/pdf", "text/plain; charset=utf-8",
                          "text/plain\r\nX-Injected: 1", "a b/c", "application/pdf/x"}) {
    problem.clear();
    EXPECT_EQ(AttachmentMediaType(bad, problem), std::nullopt) << bad;
    EXPECT_NE(problem.find("type/subtype"), std::string::npos) << bad;
  }
  EXPECT_EQ(AttachmentMediaType("multipart/mixed", problem), std::nullopt);
  EXPECT_NE(problem.find("MIME structure"), std::string::npos);
  EXPECT_EQ(AttachmentMediaType("message/rfc822", problem), std::nullopt);
}

TEST(AttachmentRulesTest, SizesReadForPeople) {
  EXPECT_EQ(SizeText(10 * 1024 * 1024), "10.0 MiB");
  EXPECT_EQ(SizeText(1536), "1 KiB");
  EXPECT_EQ(SizeText(12), "12 bytes");
}

}  // namespace
}  // namespace karton::messaging
