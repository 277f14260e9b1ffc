// CSV import rows (modules/partners/imports): a file's bytes through the
// streaming CSV reader, fed in pieces as they arrive, then the header
// planned into columns and every record built into a checked partner row.
//   - the records do not depend on how the bytes were cut into pieces;
//   - a record written with AppendCsvRecord (what exports write) reads
//     back as the same cells;
//   - BuildImportRow takes any cells (and PlanColumns any header) without
//     crashing, and every problem it finds says what is wrong.
//
// First byte: the delimiter; second: the size of the pieces; the rest is
// the file.
#include <map>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "imports/csv_io.h"
#include "imports/import_rows.h"

using karton::fuzz::Check;
namespace partners = karton::partners;
using Rows = std::vector<std::vector<std::string>>;

namespace {

bool ReadAll(std::string_view csv, char delimiter, std::size_t piece, Rows& rows) {
  partners::CsvReader reader(delimiter,
                             [&rows](std::vector<std::string>& cells) { rows.push_back(cells); });
  for (std::size_t at = 0; at < csv.size(); at += piece) {
    if (!reader.Feed(csv.substr(at, piece))) return false;
  }
  return reader.Finish();
}

const partners::Definitions& SomeDefinitions() {
  static const partners::Definitions definitions = [] {
    partners::Definitions made;
    auto add = [&made](const char* key, partners::v1::CustomFieldType type, bool required) {
      auto& definition = made[key];
      definition.set_key(key);
      definition.set_type(type);
      definition.set_required(required);
      return &definition;
    };
    auto* industry = add("industry", partners::v1::CUSTOM_FIELD_TYPE_CHOICE, true);
    industry->add_choices("retail");
    industry->add_choices("építőipar");
    add("size", partners::v1::CUSTOM_FIELD_TYPE_NUMBER, false);
    add("founded", partners::v1::CUSTOM_FIELD_TYPE_DATE, false);
    add("vip", partners::v1::CUSTOM_FIELD_TYPE_BOOL, false);
    add("note", partners::v1::CUSTOM_FIELD_TYPE_TEXT, false);
    return made;
  }();
  return definitions;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  karton::fuzz::Input input(data, size);
  static constexpr char kDelimiters[] = {',', ';', '\t'};
  const char delimiter = kDelimiters[input.Byte() % 3];
  static constexpr std::size_t kPieces[] = {1, 2, 3, 5, 7, 16, 64, 1 << 20};
  const std::size_t piece = kPieces[input.Byte() % 8];
  const std::string_view csv = input.Rest();

  Rows whole;
  const bool read = ReadAll(csv, delimiter, 1 << 20, whole);
  Rows pieces;
  Check(ReadAll(csv, delimiter, piece, pieces) == read && (!read || pieces == whole),
        "the records do not depend on how the bytes came in", csv);
  if (!read || whole.empty()) return 0;

  for (const auto& record : whole) {
    // A line break alone is no record in CSV: a record of one empty cell
    // cannot round-trip, and no export writes one.
    if (record.size() == 1 && record[0].empty()) continue;
    // After a header, as in an export (a byte order mark opening the file
    // is not a cell's).
    std::string written = "header\r\n";
    partners::AppendCsvRecord(record, delimiter, written);
    Rows back;
    if (!ReadAll(written, delimiter, 1 << 20, back) || back.size() != 2 || back[1] != record) {
      std::string cells = written + "\nread back as:";
      for (const auto& row : back) {
        for (const auto& cell : row) cells += " [" + cell + "]";
        cells += " /";
      }
      karton::fuzz::Fail("a written record reads back as the same cells", cells);
    }
  }

  const auto& definitions = SomeDefinitions();
  std::string problem;
  const auto plan = partners::PlanColumns(whole[0], {}, definitions, problem);
  if (!plan) {
    Check(!problem.empty(), "a refused header names its problem");
    return 0;
  }
  for (std::size_t i = 1; i < whole.size(); ++i) {
    const partners::ImportRow row =
        partners::BuildImportRow(*plan, whole[i], partners::ImportDefaults{}, definitions);
    for (const auto& row_problem : row.problems) {
      Check(!row_problem.problem.empty(), "a row's problem says what is wrong", row_problem.field);
    }
  }
  return 0;
}
