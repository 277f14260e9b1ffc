// CSV in and out for imports and exports. Reading is libcsv's streaming
// RFC 4180 parser (quoted fields, doubled quotes, line breaks inside
// quotes), fed chunk by chunk as the bytes arrive; writing quotes a field
// only when it needs it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct csv_parser;

namespace karton::partners {

class CsvReader {
 public:
  // What one record may hold; more fails the file (Error() says so).
  static constexpr std::size_t kMaxCellBytes = 64 * 1024;
  static constexpr std::size_t kMaxCells = 512;

  // Called for every record, the header included; may move the cells away.
  using RowHandler = std::function<void(std::vector<std::string>& cells)>;
  CsvReader(char delimiter, RowHandler on_row);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // False when the bytes are not CSV; Error() says why.
  bool Feed(std::string_view bytes);
  // The last record (without a final line break); false on an error.
  bool Finish();
  std::string Error() const { return error_; }

 private:
  static void OnField(void* data, std::size_t length, void* self);
  static void OnRowEnd(int terminator, void* self);

  std::unique_ptr<csv_parser> parser_;
  RowHandler on_row_;
  std::vector<std::string> cells_;
  bool Parse(std::string_view bytes);

  bool at_start_ = true;  // a UTF-8 byte order mark may come first...
  std::string head_;      // ...and be split across chunks
  std::string error_;
  bool over_limit_ = false;
};

// Appends `cells` as one CSV record (with "\r\n", as RFC 4180 has it).
void AppendCsvRecord(const std::vector<std::string>& cells, char delimiter, std::string& out);

}  // namespace karton::partners
