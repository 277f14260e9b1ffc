#include "karton/kernel/secrets.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace karton::kernel {
namespace {

TEST(RedactedUrl, HidesPasswordsOfUrlsAndConninfos) {
  EXPECT_EQ(RedactedUrl("smtp://mailer:hunter2@mail.example:587"),
            "smtp://mailer:***@mail.example:587");
  EXPECT_EQ(RedactedUrl("postgresql://karton:p@ss@db.example/karton?sslmode=require"),
            "postgresql://karton:***@db.example/karton?sslmode=require");
  EXPECT_EQ(RedactedUrl("smtp://mailer@mail.example:587"), "smtp://mailer@mail.example:587");
  EXPECT_EQ(RedactedUrl("https://hooks.example/path?a=b@c:d"),
            "https://hooks.example/path?a=b@c:d");
  EXPECT_EQ(RedactedUrl("host=db port=5432 password=hunter2 user=karton"),
            "host=db port=5432 password=*** user=karton");
  EXPECT_EQ(RedactedUrl("host=db password = 'it\\'s secret' dbname=x"),
            "host=db password = *** dbname=x");
  EXPECT_EQ(RedactedUrl("host=db dbname=x"), "host=db dbname=x");
}

TEST(ReadSecretFile, TakesTheContentWithoutItsLineBreakAndNamesTheFileOnlyOnError) {
  std::string pattern = (std::filesystem::temp_directory_path() / "karton-secret-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path directory = pattern;
  const auto file = directory / "secret";
  { std::ofstream(file) << "s3cret\r\n"; }
  EXPECT_EQ(ReadSecretFile(file), "s3cret");
  { std::ofstream(file, std::ios::trunc) << "\n"; }
  EXPECT_THROW(ReadSecretFile(file), std::runtime_error);
  { std::ofstream(file, std::ios::trunc) << std::string(5000, 'x'); }
  try {
    ReadSecretFile(file);
    FAIL() << "a 5000-byte secret was taken";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(file.string()), std::string::npos);
    EXPECT_EQ(std::string(error.what()).find("xxxx"), std::string::npos);
  }
  EXPECT_THROW(ReadSecretFile(directory / "missing"), std::runtime_error);
  std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace karton::kernel
