#include "multipart_form.h"

#include <gtest/gtest.h>

namespace karton::kernel {
namespace {

constexpr const char* kType = "multipart/form-data; boundary=\"XyZ\"";

TEST(MultipartForm, PartsKeepTheirNamesFileNamesTypesAndExactBytes) {
  const std::string body =
      "preamble, ignored\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"request\"\r\n"
      "\r\n"
      "{\"a\":1}\r\n"
      "--XyZ  \r\n"
      "content-disposition: FORM-DATA; name=file; filename=\"sz\\\"erz\xc5\x91\"\r\n"
      "Content-Type: application/pdf\r\n"
      "\r\n"
      "--Xy\r\n\r\nend\r\n"
      "--XyZ--\r\n"
      "epilogue";
  const std::string exact(body.data(), body.size());
  const auto parts = ParseMultipartForm(kType, exact);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].name, "request");
  EXPECT_EQ(parts[0].file_name, "");
  EXPECT_EQ(parts[0].body, "{\"a\":1}");
  EXPECT_EQ(parts[1].name, "file");
  EXPECT_EQ(parts[1].file_name, "sz\"erz\xc5\x91");
  EXPECT_EQ(parts[1].content_type, "application/pdf");
  EXPECT_EQ(parts[1].body, "--Xy\r\n\r\nend");
}

TEST(MultipartForm, ANulInsideAPartIsContent) {
  const std::string body = std::string("--XyZ\r\nContent-Disposition: form-data; name=f\r\n\r\n") +
                           std::string("a\0b", 3) + "\r\n--XyZ--";
  const auto parts = ParseMultipartForm(kType, body);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].body, std::string_view("a\0b", 3));
}

TEST(MultipartForm, WhatIsNotFormDataIsNamed) {
  const auto error_of = [](std::string_view type, std::string_view body) -> std::string {
    try {
      ParseMultipartForm(type, body, 2);
    } catch (const MultipartFormError& error) {
      return error.what();
    }
    return "parsed";
  };
  EXPECT_EQ(error_of("application/json", "{}"), "the body must be multipart/form-data");
  EXPECT_EQ(error_of("multipart/form-data", ""), "the Content-Type names no boundary");
  EXPECT_EQ(error_of("multipart/form-data; boundary=" + std::string(71, 'a'), ""),
            "the boundary must be 1 to 70 characters");
  EXPECT_EQ(error_of(kType, "no boundary here"), "the body has no boundary line");
  EXPECT_EQ(error_of(kType, "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nnever ends"),
            "the part 'a' does not end with a boundary line");
  EXPECT_EQ(error_of(kType, "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--"),
            "part 1 has no 'Content-Disposition: form-data; name=...'");
  EXPECT_EQ(
      error_of(kType, "--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--XyZ--"),
      "the parameter name has no closing quote");
  EXPECT_EQ(error_of(kType, "--XyZ\r\nbroken\r\n\r\nx\r\n--XyZ--"),
            "a part's header line has no ':'");
  const std::string part = "Content-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZ";
  EXPECT_EQ(error_of(kType, "--XyZ\r\n" + part + "\r\n" + part + "\r\n" + part + "--"),
            "more than 2 parts");
  EXPECT_EQ(error_of(kType, "--XyZ\r\n" + part + "--"), "parsed");
  EXPECT_EQ(error_of(kType, "--XyZx"), "a boundary line does not end with CRLF");
}

}  // namespace
}  // namespace karton::kernel
