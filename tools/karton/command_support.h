// Small pieces the command groups share: enum values as command-line words,
// options that take one of a few words, short times for tables.
#pragma once

#include <google/protobuf/generated_enum_reflection.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "client.h"

namespace karton::cli {

// "web_form" -> LEAD_SOURCE_WEB_FORM; "" (or an unknown word) -> the zero
// value. CLI11 has checked the word against the choices before.
template <typename Enum>
Enum FromWord(std::string word, const std::string& prefix) {
  for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto* value = google::protobuf::GetEnumDescriptor<Enum>()->FindValueByName(prefix + word);
  return value == nullptr ? Enum{} : static_cast<Enum>(value->number());
}

// LEAD_SOURCE_WEB_FORM -> "web_form".
template <typename Enum>
std::string Word(Enum value, const std::string& prefix) {
  const auto* named = google::protobuf::GetEnumDescriptor<Enum>()->FindValueByNumber(value);
  return named == nullptr ? std::to_string(static_cast<int>(value))
                          : EnumWord(std::string(named->name()), prefix);
}

// An option taking one of `choices`; anything else is bad usage.
inline CLI::Option* AddChoice(CLI::App* command, const std::string& name, std::string& word,
                              const std::vector<std::string>& choices) {
  std::string help;
  for (const auto& one : choices) help += (help.empty() ? "" : "|") + one;
  return command->add_option(name, word, help)->check(CLI::IsMember(choices));
}

template <std::size_t n>
CLI::Option* AddChoice(CLI::App* command, const std::string& name, std::string& word,
                       const std::array<const char*, n>& choices) {
  return AddChoice(command, name, word, std::vector<std::string>(choices.begin(), choices.end()));
}

// An RFC 3339 time cut to `length` characters (16: to the minute); "-"
// when unset.
inline std::string ShortTime(const google::protobuf::Timestamp& time, std::size_t length) {
  return time.seconds() == 0 && time.nanos() == 0
             ? "-"
             : google::protobuf::util::TimeUtil::ToString(time).substr(0, length);
}

// Writes a letters export stream (MessagingService/ExportLetters,
// CampaignService/ExportCampaignLetters: letter_count in the first part,
// then bytes) to `path` and reports it. A failed export leaves no half file
// for the print shop. Returns the exit code.
template <typename Reader, typename Part>
int SaveLetterExport(Reader& reader, Part& part, const std::string& path,
                     const GlobalOptions& options) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::int64_t letter_count = 0, bytes = 0;
  for (bool first = true; reader.Read(&part); first = false) {
    if (first) letter_count = part.letter_count();
    out << part.data();
    bytes += static_cast<std::int64_t>(part.data().size());
  }
  out.close();
  auto status = reader.Finish();
  if (status.ok() && !out) status = grpc::Status(grpc::StatusCode::DATA_LOSS, "write failed");
  if (!status.ok()) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    return ReportError(status, options);
  }
  if (options.output == "json") {
    std::cout << "{\"letter_count\": " << letter_count << ", \"bytes\": " << bytes << "}\n";
  } else {
    std::cout << letter_count << " letter(s), " << bytes << " bytes written to " << path << "\n";
  }
  return 0;
}

}  // namespace karton::cli
