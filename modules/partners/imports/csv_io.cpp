#include "imports/csv_io.h"

#include <csv.h>
#include <fmt/format.h>

#include <stdexcept>

namespace karton::partners {
namespace {

// With a tab as the delimiter, only spaces are blanks to trim.
int IsSpaceOnly(unsigned char c) { return c == CSV_SPACE ? 1 : 0; }

}  // namespace

CsvReader::CsvReader(char delimiter, RowHandler on_row)
    : parser_(std::make_unique<csv_parser>()), on_row_(std::move(on_row)) {
  if (csv_init(parser_.get(), 0) != 0) throw std::runtime_error("libcsv could not start");
  csv_set_delim(parser_.get(), static_cast<unsigned char>(delimiter));
  if (delimiter == '\t') csv_set_space_func(parser_.get(), IsSpaceOnly);
}

CsvReader::~CsvReader() { csv_free(parser_.get()); }

void CsvReader::OnField(void* data, std::size_t length, void* self) {
  auto* reader = static_cast<CsvReader*>(self);
  if (length > kMaxCellBytes || reader->cells_.size() >= kMaxCells) {
    reader->over_limit_ = true;
    return;
  }
  reader->cells_.emplace_back(static_cast<const char*>(data), length);
}

void CsvReader::OnRowEnd(int, void* self) {
  auto* reader = static_cast<CsvReader*>(self);
  if (!reader->over_limit_) reader->on_row_(reader->cells_);
  reader->cells_.clear();
}

bool CsvReader::Parse(std::string_view bytes) {
  if (csv_parse(parser_.get(), bytes.data(), bytes.size(), OnField, OnRowEnd, this) !=
      bytes.size()) {
    error_ = csv_strerror(csv_error(parser_.get()));
    return false;
  }
  // libcsv keeps a field it is still reading in memory: a cell without end
  // would grow with the file. Checked after every piece fed.
  if (over_limit_ || parser_->entry_pos > kMaxCellBytes) {
    over_limit_ = true;
    error_ = fmt::format("a row has a cell over {} KiB or more than {} cells", kMaxCellBytes / 1024,
                         kMaxCells);
    return false;
  }
  return true;
}

bool CsvReader::Feed(std::string_view bytes) {
  if (!at_start_) return Parse(bytes);
  static constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";  // Excel writes one
  head_.append(bytes);
  if (head_.size() < kByteOrderMark.size() && kByteOrderMark.substr(0, head_.size()) == head_) {
    return true;  // could still be the mark: wait for more
  }
  at_start_ = false;
  std::string_view data = head_;
  if (data.substr(0, kByteOrderMark.size()) == kByteOrderMark) {
    data.remove_prefix(kByteOrderMark.size());
  }
  const bool parsed = Parse(data);
  head_.clear();
  return parsed;
}

bool CsvReader::Finish() {
  if (at_start_) {
    at_start_ = false;
    if (!Parse(head_)) return false;  // a file shorter than the mark
  }
  if (csv_fini(parser_.get(), OnField, OnRowEnd, this) != 0) {
    error_ = csv_strerror(csv_error(parser_.get()));
    return false;
  }
  if (over_limit_) {
    error_ = fmt::format("a row has a cell over {} KiB or more than {} cells", kMaxCellBytes / 1024,
                         kMaxCells);
    return false;
  }
  return true;
}

void AppendCsvRecord(const std::vector<std::string>& cells, char delimiter, std::string& out) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += delimiter;
    const std::string& cell = cells[i];
    // libcsv trims blanks (spaces and tabs) around an unquoted field when
    // reading: a cell that starts or ends with one is quoted to keep it.
    const auto blank = [](char c) { return c == ' ' || c == '\t'; };
    const bool quote = cell.find_first_of(std::string("\"\r\n") + delimiter) != std::string::npos ||
                       (!cell.empty() && (blank(cell.front()) || blank(cell.back())));
    if (!quote) {
      out += cell;
      continue;
    }
    out += '"';
    for (char c : cell) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  out += "\r\n";
}

}  // namespace karton::partners
