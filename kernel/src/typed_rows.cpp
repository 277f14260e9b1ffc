#include "karton/kernel/typed_rows.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <charconv>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "karton/kernel/proto_json.h"

namespace karton::kernel {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// PostgreSQL type OIDs (pg_type.dat); stable across versions.
enum : unsigned {
  kBool = 16,
  kBytea = 17,
  kInt8 = 20,
  kInt2 = 21,
  kInt4 = 23,
  kText = 25,
  kJson = 114,
  kFloat4 = 700,
  kFloat8 = 701,
  kBoolArray = 1000,
  kInt2Array = 1005,
  kInt4Array = 1007,
  kTextArray = 1009,
  kVarcharArray = 1015,
  kInt8Array = 1016,
  kFloat4Array = 1021,
  kFloat8Array = 1022,
  kDateArray = 1182,
  kBpchar = 1042,
  kVarchar = 1043,
  kDate = 1082,
  kName = 19,
  kJsonb = 3802,
};

bool IsText(unsigned type) {
  return type == kText || type == kVarchar || type == kBpchar || type == kName;
}
bool IsInteger(unsigned type) { return type == kInt8 || type == kInt4 || type == kInt2; }
bool IsArray(unsigned type) {
  return type == kTextArray || type == kVarcharArray || type == kInt8Array || type == kInt4Array ||
         type == kInt2Array || type == kBoolArray || type == kFloat4Array || type == kFloat8Array ||
         type == kDateArray;
}
// The element type of an array type, for the columns that fill a repeated
// message element by element.
unsigned ElementType(unsigned array_type) {
  switch (array_type) {
    case kBoolArray:
      return kBool;
    case kInt2Array:
      return kInt2;
    case kInt4Array:
      return kInt4;
    case kInt8Array:
      return kInt8;
    case kTextArray:
      return kText;
    case kVarcharArray:
      return kVarchar;
    case kFloat4Array:
      return kFloat4;
    case kFloat8Array:
      return kFloat8;
    case kDateArray:
      return kDate;
    default:
      return 0;
  }
}

enum class Decode {
  kScalar,     // text of a number, bool or string into the scalar field
  kEnum,       // text: a value's name or its lower-case suffix
  kTimestamp,  // bigint microseconds into google.protobuf.Timestamp
  kDate,       // date YYYY-MM-DD into karton.common.v1.Date
  kArray,      // text[] or a number array into a repeated scalar field
  kJson,       // json(b) into a message, repeated message or map field
  kBytes,      // bytea (hex text form) into a bytes field
};

template <class Number>
Number ParseNumber(std::string_view text, std::string_view column) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw std::runtime_error(fmt::format("column {}: '{}' is not a number", column, text));
  }
  return value;
}

double ParseReal(std::string_view text) { return std::strtod(std::string(text).c_str(), nullptr); }

// Sets (or, for repeated fields, adds) one scalar value from its text.
void SetScalar(Message& message, const FieldDescriptor* field, std::string_view text,
               std::string_view column) {
  const Reflection* reflection = message.GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT64: {
      const auto value = ParseNumber<std::int64_t>(text, column);
      repeated ? reflection->AddInt64(&message, field, value)
               : reflection->SetInt64(&message, field, value);
      return;
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      const auto value = ParseNumber<std::int32_t>(text, column);
      repeated ? reflection->AddInt32(&message, field, value)
               : reflection->SetInt32(&message, field, value);
      return;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      const auto value = ParseNumber<std::uint64_t>(text, column);
      repeated ? reflection->AddUInt64(&message, field, value)
               : reflection->SetUInt64(&message, field, value);
      return;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      const auto value = ParseNumber<std::uint32_t>(text, column);
      repeated ? reflection->AddUInt32(&message, field, value)
               : reflection->SetUInt32(&message, field, value);
      return;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      const double value = ParseReal(text);
      repeated ? reflection->AddDouble(&message, field, value)
               : reflection->SetDouble(&message, field, value);
      return;
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      const auto value = static_cast<float>(ParseReal(text));
      repeated ? reflection->AddFloat(&message, field, value)
               : reflection->SetFloat(&message, field, value);
      return;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      const bool value = text == "t" || text == "true";
      repeated ? reflection->AddBool(&message, field, value)
               : reflection->SetBool(&message, field, value);
      return;
    }
    case FieldDescriptor::CPPTYPE_STRING:
      repeated ? reflection->AddString(&message, field, std::string(text))
               : reflection->SetString(&message, field, std::string(text));
      return;
    default:
      throw std::logic_error(fmt::format("column {} cannot fill {}", column, field->full_name()));
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea's text form: \x followed by hex digits.
std::string Unhex(std::string_view text, std::string_view column) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
    throw std::runtime_error(fmt::format("column {}: not bytea in hex form", column));
  }
  std::string bytes;
  bytes.reserve((text.size() - 2) / 2);
  for (std::size_t at = 2; at < text.size(); at += 2) {
    const int high = HexDigit(text[at]), low = HexDigit(text[at + 1]);
    if (high < 0 || low < 0) throw std::runtime_error(fmt::format("column {}: bad hex", column));
    bytes += static_cast<char>(high * 16 + low);
  }
  return bytes;
}

// The elements of a one-dimensional array in PostgreSQL's text output:
// {a,"b c",NULL}, each passed with whether it is NULL (a quoted "NULL" is
// the text NULL).
template <class Each>
void ForEachElementOrNull(std::string_view text, std::string_view column, Each&& each) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') {
    throw std::runtime_error(fmt::format("column {}: not an array: {}", column, text));
  }
  std::size_t at = 1;
  const std::size_t end = text.size() - 1;
  std::string element;
  while (at < end) {
    element.clear();
    if (text[at] == '"') {
      for (++at; at < end && text[at] != '"'; ++at) {
        if (text[at] == '\\' && at + 1 < end) ++at;
        element += text[at];
      }
      ++at;  // the closing quote
      each(std::string_view(element), false);
    } else {
      std::size_t stop = text.find(',', at);
      if (stop == std::string_view::npos || stop > end) stop = end;
      const std::string_view bare = text.substr(at, stop - at);
      each(bare, bare == "NULL");
      at = stop;
    }
    if (at < end && text[at] == ',') ++at;
  }
}

// The same, skipping NULL elements (a repeated scalar field has none).
template <class Each>
void ForEachElement(std::string_view text, std::string_view column, Each&& each) {
  ForEachElementOrNull(text, column, [&](std::string_view element, bool is_null) {
    if (!is_null) each(element);
  });
}

// The values of an enum by name and by lower-case suffix.
// The common prefix of the value names ("PARTNER_KIND_"), from the first
// value (the UNSPECIFIED one, by the style guide).
std::string EnumPrefix(const EnumDescriptor* type) {
  if (type->value_count() == 0) return "";
  const std::string& first = type->value(0)->name();
  const auto underscore = first.rfind('_');
  return underscore == std::string::npos ? "" : first.substr(0, underscore + 1);
}

std::unordered_map<std::string, int> EnumWords(const EnumDescriptor* type) {
  std::unordered_map<std::string, int> words;
  const std::string prefix = EnumPrefix(type);
  for (int i = 0; i < type->value_count(); ++i) {
    const auto* value = type->value(i);
    words.emplace(value->name(), value->number());
    if (!prefix.empty() && value->name().rfind(prefix, 0) == 0) {
      std::string suffix = value->name().substr(prefix.size());
      for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      words.emplace(std::move(suffix), value->number());
    }
  }
  return words;
}

}  // namespace

std::string EnumWord(const google::protobuf::EnumDescriptor& type, int value) {
  const auto* named = type.FindValueByNumber(value);
  if (named == nullptr) return "";
  const std::string prefix = EnumPrefix(&type);
  std::string word = !prefix.empty() && named->name().rfind(prefix, 0) == 0
                         ? named->name().substr(prefix.size())
                         : named->name();
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return word;
}

std::optional<int> EnumValueOfWord(const google::protobuf::EnumDescriptor& type,
                                   std::string_view word) {
  const auto words = EnumWords(&type);
  const auto found = words.find(std::string(word));
  if (found == words.end()) return std::nullopt;
  return found->second;
}

struct RowPlan::Column {
  int index = 0;
  std::string name;
  // The fields from the message down to the one the column fills.
  std::vector<const FieldDescriptor*> path;
  // For a column that fills a field of each element of a repeated message
  // ("stage_history.stage_id", an array): where in `path` the repeated
  // field is. Element i of the array fills element i of the list.
  std::optional<std::size_t> repeated_at;
  Decode decode = Decode::kScalar;
  std::unordered_map<std::string, int> enum_words;
};

namespace {

// How one value of PostgreSQL type `pg_type` fills the single (not
// repeated) field `field`; throws `refuse(why)` when it cannot.
template <class Refuse>
Decode SingleValueDecode(const FieldDescriptor* field, unsigned pg_type, const Refuse& refuse) {
  const bool is_message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
  const std::string message_name = is_message ? field->message_type()->full_name() : "";
  if (is_message && message_name == "google.protobuf.Timestamp" && IsInteger(pg_type)) {
    return Decode::kTimestamp;
  }
  if (is_message && message_name == "karton.common.v1.Date" && pg_type == kDate) {
    return Decode::kDate;
  }
  if (is_message) {
    throw refuse(
        fmt::format("a {} needs json(b) (or bigint microseconds for a Timestamp, a "
                    "date for a Date)",
                    message_name));
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
    if (!IsText(pg_type)) throw refuse("an enum needs a text column");
    return Decode::kEnum;
  }
  if (pg_type == kBytea) {
    if (field->type() != FieldDescriptor::TYPE_BYTES) throw refuse("bytea fills bytes only");
    return Decode::kBytes;
  }
  const bool text_field = field->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
  const bool known = IsText(pg_type) || IsInteger(pg_type) || pg_type == kBool ||
                     pg_type == kFloat4 || pg_type == kFloat8;
  if (!known) throw refuse(fmt::format("PostgreSQL type {} is not mapped", pg_type));
  if (pg_type == kBool && field->cpp_type() != FieldDescriptor::CPPTYPE_BOOL) {
    throw refuse("boolean fills bool only");
  }
  if (!text_field && IsText(pg_type) && field->cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
    throw refuse("text does not fill a bool");
  }
  return Decode::kScalar;
}

}  // namespace

RowPlan::RowPlan() = default;
RowPlan::~RowPlan() = default;

std::unique_ptr<RowPlan> RowPlan::Build(const QueryRows& rows, const Descriptor& type) {
  std::unique_ptr<RowPlan> plan(new RowPlan());
  for (int index = 0; index < rows.Columns(); ++index) {
    Column column;
    column.index = index;
    column.name = std::string(rows.ColumnName(index));
    if (column.name.rfind('_', 0) == 0) continue;  // the caller's own (a sort key)
    const unsigned pg_type = rows.ColumnType(index);
    const auto refuse = [&](std::string_view why) {
      return std::logic_error(
          fmt::format("column {} of a {} query: {}", column.name, type.full_name(), why));
    };
    // "a.b.c": walk down the nested messages. One of them may be a
    // repeated message, whose elements the column's array fills.
    const Descriptor* current = &type;
    std::string_view rest = column.name;
    for (;;) {
      const auto dot = rest.find('.');
      const std::string part(rest.substr(0, dot));
      const FieldDescriptor* field = current->FindFieldByName(part);
      if (field == nullptr) throw refuse("names no field");
      column.path.push_back(field);
      if (dot == std::string_view::npos) break;
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_map()) {
        throw refuse(fmt::format("{} is not a message", part));
      }
      if (field->is_repeated()) {
        if (column.repeated_at) throw refuse("more than one repeated message on the way");
        column.repeated_at = column.path.size() - 1;
      }
      current = field->message_type();
      rest = rest.substr(dot + 1);
    }
    const FieldDescriptor* field = column.path.back();
    if (column.repeated_at) {
      // One array per field of the elements: element i fills element i.
      if (field->is_repeated() || field->is_map()) {
        throw refuse("a field of a repeated message's elements cannot be repeated itself");
      }
      if (!IsArray(pg_type))
        throw refuse("a field of a repeated message's elements needs an array");
      column.decode = SingleValueDecode(field, ElementType(pg_type), refuse);
    } else if (pg_type == kJson || pg_type == kJsonb) {
      column.decode = Decode::kJson;
    } else if (field->is_map()) {
      throw refuse("a map needs json(b)");
    } else if (field->is_repeated()) {
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        throw refuse(
            "a repeated message needs json(b), or one array column per field of its elements");
      }
      if (!IsArray(pg_type)) throw refuse("a repeated field needs an array or json column");
      column.decode = Decode::kArray;
    } else {
      column.decode = SingleValueDecode(field, pg_type, refuse);
    }
    if (column.decode == Decode::kEnum) column.enum_words = EnumWords(field->enum_type());
    plan->columns_.push_back(std::move(column));
  }
  return plan;
}

namespace {

// Walks from `message` down `path[from, to)`, making nested messages on the way.
Message* MutableAlong(Message* message, const std::vector<const FieldDescriptor*>& path,
                      std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    message = message->GetReflection()->MutableMessage(message, path[i]);
  }
  return message;
}

}  // namespace

void RowPlan::SetValue(const Column& column, Message& target, std::string_view text) {
  const FieldDescriptor* field = column.path.back();
  const Reflection* reflection = target.GetReflection();
  switch (column.decode) {
    case Decode::kScalar:
      SetScalar(target, field, text, column.name);
      break;
    case Decode::kEnum: {
      if (text.empty()) break;  // '' stores "not set" in a NOT NULL column
      const auto word = column.enum_words.find(std::string(text));
      if (word == column.enum_words.end()) {
        throw std::runtime_error(fmt::format("column {}: '{}' is no value of {}", column.name, text,
                                             field->enum_type()->full_name()));
      }
      reflection->SetEnumValue(&target, field, word->second);
      break;
    }
    case Decode::kTimestamp: {
      const auto micros = ParseNumber<std::int64_t>(text, column.name);
      auto* timestamp =
          static_cast<google::protobuf::Timestamp*>(reflection->MutableMessage(&target, field));
      std::int64_t seconds = micros / 1000000, rest = micros % 1000000;
      if (rest < 0) {
        rest += 1000000;
        --seconds;
      }
      timestamp->set_seconds(seconds);
      timestamp->set_nanos(static_cast<std::int32_t>(rest * 1000));
      break;
    }
    case Decode::kDate: {
      // YYYY-MM-DD (DateStyle ISO, which kartond's connections use).
      if (text.size() != 10) {
        throw std::runtime_error(fmt::format("column {}: not a date: {}", column.name, text));
      }
      Message* date = reflection->MutableMessage(&target, field);
      const Descriptor* date_type = date->GetDescriptor();
      const Reflection* date_reflection = date->GetReflection();
      date_reflection->SetInt32(date, date_type->FindFieldByNumber(1),
                                ParseNumber<std::int32_t>(text.substr(0, 4), column.name));
      date_reflection->SetInt32(date, date_type->FindFieldByNumber(2),
                                ParseNumber<std::int32_t>(text.substr(5, 2), column.name));
      date_reflection->SetInt32(date, date_type->FindFieldByNumber(3),
                                ParseNumber<std::int32_t>(text.substr(8, 2), column.name));
      break;
    }
    case Decode::kArray:
      ForEachElement(text, column.name, [&](std::string_view element) {
        SetScalar(target, field, element, column.name);
      });
      break;
    case Decode::kJson:
      ParseProtoJsonField(text, target, field);
      break;
    case Decode::kBytes:
      reflection->SetString(&target, field, Unhex(text, column.name));
      break;
  }
}

void RowPlan::Read(const QueryRows& rows, int row, Message& message) const {
  for (const Column& column : columns_) {
    if (rows.IsNull(row, column.index)) continue;
    const std::string_view text = rows.Text(row, column.index);
    if (!column.repeated_at) {
      // The message the field is in: nested ones are made on the way.
      SetValue(column, *MutableAlong(&message, column.path, 0, column.path.size() - 1), text);
      continue;
    }
    const std::size_t at = *column.repeated_at;
    Message* owner = MutableAlong(&message, column.path, 0, at);
    const FieldDescriptor* list = column.path[at];
    const Reflection* reflection = owner->GetReflection();
    int index = 0;
    ForEachElementOrNull(text, column.name, [&](std::string_view element, bool is_null) {
      // The columns of one list are parallel arrays: the first makes the
      // elements, the others fill them.
      Message* item = index < reflection->FieldSize(*owner, list)
                          ? reflection->MutableRepeatedMessage(owner, list, index)
                          : reflection->AddMessage(owner, list);
      ++index;
      if (is_null) return;
      SetValue(column, *MutableAlong(item, column.path, at + 1, column.path.size() - 1), element);
    });
  }
}

}  // namespace karton::kernel
