// How a `karton` command calls the server and shows the answer, shared by
// the command groups: bad usage (exit 2) and server refusals (exit 1, 3 when
// unreachable) as exceptions turned into exit codes, one call with its
// output as a table or JSON, and the small parsers and formatters of money,
// dates and table cells.
#pragma once

#include <fmt/format.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "client.h"
#include "command_support.h"
#include "karton/common/v1/date.pb.h"
#include "karton/common/v1/money.pb.h"
#include "rpc_registry.h"

namespace karton::cli {

using google::protobuf::util::TimeUtil;

// Bad usage found after parsing: exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The server refused: reported, exit code 1 (3 when unreachable).
struct ServerError {
  grpc::Status status;
};

// A command's body; its result becomes the exit code.
inline std::function<void()> Run(const GlobalOptions& options, int& exit_code,
                                 std::function<int()> body) {
  return [&options, &exit_code, body = std::move(body)] {
    try {
      exit_code = body();
    } catch (const UsageError& error) {
      std::cerr << "karton: " << error.what() << "\n";
      exit_code = 2;
    } catch (const ServerError& error) {
      exit_code = ReportError(error.status, options);
    }
  };
}

// One call on any of the CRM services; a refusal throws ServerError.
template <typename Stub, typename Request, typename Response>
Response Fetch(const GlobalOptions& options,
               grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
               const Request& request) {
  Stub stub(ChannelFor(options));
  Response response;
  const auto status = (stub.*method)(MakeContext(options).get(), request, &response);
  if (!status.ok()) throw ServerError{status};
  return response;
}

// The answer as JSON (--output json) or through `print`.
template <typename Stub, typename Request, typename Response, typename Print>
int Call(const GlobalOptions& options,
         grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
         const Request& request, Print print) {
  const Response response = Fetch(options, method, request);
  if (options.output == "json") std::cout << ToJson(response);
  if (options.output != "json") print(response);
  return 0;
}

// A message from a file holding it in protobuf's JSON mapping; `what`
// names it in the complaint ("Rule").
template <class Message>
Message ReadJsonFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read " + path);
  const std::string json{std::istreambuf_iterator<char>(in), {}};
  Message message;
  const auto parsed = google::protobuf::util::JsonStringToMessage(json, &message);
  if (!parsed.ok()) {
    throw UsageError(
        fmt::format("{} is not a {} in JSON: {}", path, what, std::string(parsed.message())));
  }
  return message;
}

// The update mask of a change read from a file: the top-level fields it
// sets, but the record's id and etag (which name the record, not a change).
inline std::vector<std::string> SetFieldNames(const google::protobuf::Message& message) {
  std::vector<const google::protobuf::FieldDescriptor*> set;
  message.GetReflection()->ListFields(message, &set);
  std::vector<std::string> names;
  for (const auto* field : set) {
    if (field->name() != "id" && field->name() != "etag") names.emplace_back(field->name());
  }
  return names;
}

// The update mask of flags: each FLAG given names its FIELD. Nothing given
// is bad usage.
inline void MaskGiven(const CLI::App* command, google::protobuf::FieldMask& mask,
                      std::initializer_list<std::pair<const char*, const char*>> flags) {
  for (const auto& [flag, field] : flags) {
    if (command->count(flag) > 0) mask.add_paths(field);
  }
  if (mask.paths().empty()) throw UsageError("give what changes (see --help)");
}

inline std::string Time(const google::protobuf::Timestamp& time, std::size_t length = 16) {
  return ShortTime(time, length);
}

inline void ParseTime(const std::string& text, const char* option,
                      google::protobuf::Timestamp* time) {
  if (!TimeUtil::FromString(text, time)) {
    throw UsageError(fmt::format("{} takes an RFC 3339 time such as 2026-11-02T08:00:00Z, not '{}'",
                                 option, text));
  }
}

// YYYY-MM-DD, a real calendar date.
inline common::v1::Date ParseDate(const std::string& text, const std::string& option) {
  unsigned year = 0, month = 0, day = 0;
  char tail = 0;
  if (text.size() != 10 ||
      std::sscanf(text.c_str(), "%4u-%2u-%2u%c", &year, &month, &day, &tail) != 3 ||
      !std::chrono::year_month_day(std::chrono::year(static_cast<int>(year)),
                                   std::chrono::month(month), std::chrono::day(day))
           .ok()) {
    throw UsageError(option + " takes a date as YYYY-MM-DD, not '" + text + "'");
  }
  common::v1::Date date;
  date.set_year(static_cast<int>(year));
  date.set_month(static_cast<int>(month));
  date.set_day(static_cast<int>(day));
  return date;
}

// The minor unit digits of an ISO 4217 currency: 0 for JPY, KRW and the
// others without a minor unit, 3 for the dinars and rials of ISO's list, 2
// for the rest, HUF included (the fillér is no longer coined, but ISO 4217
// still gives HUF two digits).
inline int MinorDigits(const std::string& currency) {
  static const std::vector<std::string> kNone{"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                              "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                              "VND", "VUV", "XAF", "XOF", "XPF"};
  static const std::vector<std::string> kThree{"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  if (std::find(kNone.begin(), kNone.end(), currency) != kNone.end()) return 0;
  return std::find(kThree.begin(), kThree.end(), currency) != kThree.end() ? 3 : 2;
}

// "1250000 HUF", "1 250 000,00 HUF", "12.50 EUR", "1250000HUF" -> minor units
// and currency. Spaces group digits; '.' or ',' (once) starts the decimals.
inline common::v1::Money ParseMoney(const std::string& text, const std::string& option) {
  std::string whole, fraction, currency;
  std::string* digits = &whole;
  bool bad = false;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalpha(byte)) {
      currency += static_cast<char>(std::toupper(byte));
    } else if (std::isdigit(byte) && currency.empty()) {
      digits->push_back(c);
    } else if ((c == '.' || c == ',') && digits == &whole && currency.empty()) {
      digits = &fraction;
    } else {
      bad = bad || c != ' ';
    }
  }
  const auto minor_digits = static_cast<std::size_t>(MinorDigits(currency));
  if (bad || currency.size() != 3 || whole.empty() || whole.size() > 15 ||
      fraction.size() > minor_digits) {
    throw UsageError(
        fmt::format("{} takes an amount and an ISO 4217 currency such as '1250000 HUF' or '12.50 "
                    "EUR' (at most {} decimal digits for {}), not '{}'",
                    option, minor_digits, currency.empty() ? "it" : currency, text));
  }
  fraction.resize(minor_digits, '0');
  common::v1::Money money;
  money.set_currency_code(currency);
  money.set_minor_units(std::stoll(whole + fraction));
  return money;
}

// 125000000 HUF -> "1 250 000,00 HUF" (Hungarian style: spaces group, a
// comma before the decimals); "" when there is no amount.
inline std::string FormatMoney(const common::v1::Money& money) {
  if (money.currency_code().empty()) return "";
  const int minor_digits = MinorDigits(money.currency_code());
  auto digits =
      std::to_string(money.minor_units() < 0 ? -money.minor_units() : money.minor_units());
  if (digits.size() <= static_cast<std::size_t>(minor_digits)) {
    digits.insert(0, static_cast<std::size_t>(minor_digits) + 1 - digits.size(), '0');
  }
  const auto point = digits.size() - static_cast<std::size_t>(minor_digits);
  std::string text = money.minor_units() < 0 ? "-" : "";
  for (std::size_t at = 0; at < point; ++at) {
    if (at > 0 && (point - at) % 3 == 0) text += ' ';
    text += digits[at];
  }
  if (minor_digits > 0) text += "," + digits.substr(point);
  return text + " " + money.currency_code();
}

inline bool IsNumber(const std::string& text) {
  return !text.empty() && text.size() <= 18 &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// One line of at most `width` characters, "…" where cut; "-" for nothing
// in a table (`dash`). fmt pads by characters, so accents line up.
inline std::string Cut(std::string text, std::size_t width, bool dash = true) {
  if (text.empty() && dash) text = "-";
  std::replace(text.begin(), text.end(), '\n', ' ');
  const auto continues = [&](std::size_t at) {
    return at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80;
  };
  std::size_t characters = 0;
  for (std::size_t at = 0; at < text.size(); ++at) {
    if (continues(at) || ++characters < width) continue;
    std::size_t next = at + 1;  // the last character fits only when nothing follows it
    while (continues(next)) ++next;
    return next == text.size() ? text : text.substr(0, at) + "…";
  }
  return text;
}

inline void Line(const std::string& label, const std::string& value) {
  if (!value.empty()) std::cout << fmt::format("  {:<12} {}\n", label, value);
}

// Label, value, label, value, ...
template <typename... More>
void Lines(const std::string& label, const std::string& value, const More&... more) {
  Line(label, value);
  if constexpr (sizeof...(more) > 0) Lines(more...);
}

inline std::string Id(std::int64_t id) { return id == 0 ? "" : std::to_string(id); }

inline std::string Who(std::int64_t user, std::int64_t team) {
  if (user != 0 && team != 0) return fmt::format("user {}, team {}", user, team);
  if (user != 0) return fmt::format("user {}", user);
  return team != 0 ? fmt::format("team {}", team) : "";
}

inline void MorePages(const std::string& token) {
  if (!token.empty()) std::cout << "more: --page-token " << token << "\n";
}

// `share` and `unshare` of a record (collaborative CRM and ERP): its id and
// an external partner user or a team. `Bound` has `id`, `user` and `team`;
// `method` is the full name of `share` (rpc_registry.h).
template <typename Request, typename Stub, typename Response, typename Print, typename Bound>
void AddShareCommand(CLI::App* group, const char* name, const std::string& description,
                     const GlobalOptions& options, int& exit_code, std::shared_ptr<Bound> bound,
                     const char* method,
                     grpc::Status (Stub::*share)(grpc::ClientContext*, const Request&, Response*),
                     Print print) {
  auto* command = Rpcs(group->add_subcommand(name, description), {method});
  command->add_option("id", bound->id)->required();
  command->add_option("--user", bound->user, "The user to share with");
  command->add_option("--team", bound->team, "The team to share with");
  command->callback(Run(options, exit_code, [&options, bound, share, print] {
    if ((bound->user == 0) == (bound->team == 0)) throw UsageError("give --user U or --team T");
    Request request;
    request.set_id(bound->id);
    request.set_user_id(bound->user);
    request.set_team_id(bound->team);
    return Call(options, share, request, print);
  }));
}

}  // namespace karton::cli
