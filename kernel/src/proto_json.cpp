#include "karton/kernel/proto_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace karton::kernel {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// boost::json's own parser (Boost 1.81, without the "precise" number option
// of later versions) may read a decimal number one unit in the last place
// off: "-4.444444444444445e+59" became -4.4444444444444455e+59, so a double
// the codec printed did not read back as itself (found by fuzzing, see
// docs/reliability.md). This handler builds the same document as
// boost::json::parse, but reads each number with a fraction or an exponent
// with std::from_chars, which rounds correctly.
class PreciseNumbersHandler {
 public:
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();
  using error_code = boost::json::error_code;
  using string_view = boost::json::string_view;

  explicit PreciseNumbersHandler(boost::json::storage_ptr storage) : stack(std::move(storage)) {}

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t size, error_code&) {
    stack.push_object(size);
    return true;
  }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t size, error_code&) {
    stack.push_array(size);
    return true;
  }
  bool on_key_part(string_view part, std::size_t, error_code&) {
    stack.push_chars(part);
    return true;
  }
  bool on_key(string_view last, std::size_t, error_code&) {
    stack.push_key(last);
    return true;
  }
  bool on_string_part(string_view part, std::size_t, error_code&) {
    stack.push_chars(part);
    return true;
  }
  bool on_string(string_view last, std::size_t, error_code&) {
    stack.push_string(last);
    return true;
  }
  bool on_number_part(string_view part, error_code&) {
    number_.append(part.data(), part.size());
    return true;
  }
  bool on_int64(std::int64_t value, string_view, error_code&) {
    number_.clear();
    stack.push_int64(value);
    return true;
  }
  bool on_uint64(std::uint64_t value, string_view, error_code&) {
    number_.clear();
    stack.push_uint64(value);
    return true;
  }
  bool on_double(double value, string_view last, error_code&) {
    number_.append(last.data(), last.size());
    if (PushExactInteger(number_)) {
      number_.clear();
      return true;
    }
    double precise = 0;
    const char* end = number_.data() + number_.size();
    const auto [stop, problem] = std::from_chars(number_.data(), end, precise);
    // Out of range (1e400): boost::json's infinity, as before.
    if (problem == std::errc() && stop == end) value = precise;
    number_.clear();
    stack.push_double(value);
    return true;
  }
  bool on_bool(bool value, error_code&) {
    stack.push_bool(value);
    return true;
  }
  bool on_null(error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

  boost::json::value_stack stack;

 private:
  // A number written with a fraction or an exponent that is an integer
  // exactly ("3.0", "1.8e19", "-9223372036854775808.0") and fits int64 or
  // uint64 goes in as that integer, as if written without them; so an
  // integer field takes exactly the integer written, and a number that is
  // no integer ("92111861842743528.08", which a double rounds to one) stays
  // a double, which integer fields refuse. Negative zero stays a double.
  bool PushExactInteger(std::string_view text) {
    const bool negative = !text.empty() && text.front() == '-';
    if (negative) text.remove_prefix(1);
    std::string digits;  // the significand's digits, the point dropped
    long long exponent = 0;
    std::size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) digits += text[i];
    if (i < text.size() && text[i] == '.') {
      for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        digits += text[i];
        --exponent;
      }
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
      long long written = 0;
      const char* begin = text.data() + i + 1;
      if (begin < text.data() + text.size() && *begin == '+') ++begin;
      const auto [stop, problem] = std::from_chars(begin, text.data() + text.size(), written);
      if (problem != std::errc() || stop != text.data() + text.size()) return false;
      if (written > 100 || written < -100000) return false;  // nowhere near an int64
      exponent += written;
    } else if (i != text.size()) {
      return false;
    }
    while (!digits.empty() && digits.back() == '0' && exponent < 0) {
      digits.pop_back();
      ++exponent;
    }
    const auto first = digits.find_first_not_of('0');
    if (first == std::string::npos) {  // zero
      if (negative) return false;
      stack.push_int64(0);
      return true;
    }
    digits.erase(0, first);
    if (exponent < 0 || digits.size() + static_cast<std::size_t>(exponent) > 20) return false;
    digits.append(static_cast<std::size_t>(exponent), '0');
    std::uint64_t magnitude = 0;
    const auto [stop, problem] =
        std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
    if (problem != std::errc() || stop != digits.data() + digits.size()) return false;
    constexpr std::uint64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
    if (!negative) {
      if (magnitude <= kInt64Max) {
        stack.push_int64(static_cast<std::int64_t>(magnitude));
      } else {
        stack.push_uint64(magnitude);
      }
      return true;
    }
    if (magnitude > kInt64Max + 1) return false;
    stack.push_int64(magnitude == kInt64Max + 1 ? std::numeric_limits<std::int64_t>::min()
                                                : -static_cast<std::int64_t>(magnitude));
    return true;
  }

  std::string number_;  // the text of the number being read
};

// boost::json::parse(json, error, storage), with numbers read exactly.
boost::json::value ParseJson(std::string_view json, boost::json::error_code& error,
                             boost::json::storage_ptr storage) {
  boost::json::basic_parser<PreciseNumbersHandler> parser(boost::json::parse_options{}, storage);
  parser.handler().stack.reset(storage);
  const std::size_t used = parser.write_some(false, json.data(), json.size(), error);
  if (!error && used < json.size()) error = boost::json::error::extra_data;
  if (error) return nullptr;
  return parser.handler().stack.release();
}

// The well-known types that have a JSON form of their own.
enum class Special {
  kNone,
  kTimestamp,
  kDuration,
  kFieldMask,
  kWrapper,
  kStruct,
  kValue,
  kList,
  kAny
};

Special SpecialOf(const Descriptor* type) {
  if (type->file()->package() != "google.protobuf") return Special::kNone;
  const std::string& name = type->name();
  if (name == "Timestamp") return Special::kTimestamp;
  if (name == "Duration") return Special::kDuration;
  if (name == "FieldMask") return Special::kFieldMask;
  if (name == "Struct") return Special::kStruct;
  if (name == "Value") return Special::kValue;
  if (name == "ListValue") return Special::kList;
  if (name == "Any") return Special::kAny;
  if (name == "DoubleValue" || name == "FloatValue" || name == "Int64Value" ||
      name == "UInt64Value" || name == "Int32Value" || name == "UInt32Value" ||
      name == "BoolValue" || name == "StringValue" || name == "BytesValue") {
    return Special::kWrapper;
  }
  return Special::kNone;
}

// ---------------------------------------------------------------- reading

[[noreturn]] void Refuse(const std::string& path, const std::string& what) {
  throw std::invalid_argument((path.empty() ? std::string("the message") : path) + ": " + what);
}

std::string Join(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

const FieldDescriptor* FindField(const Descriptor* type, std::string_view key) {
  const std::string name(key);
  if (const auto* field = type->FindFieldByName(name)) return field;
  if (const auto* field = type->FindFieldByCamelcaseName(name)) return field;
  for (int i = 0; i < type->field_count(); ++i) {
    if (type->field(i)->json_name() == name) return type->field(i);
  }
  return nullptr;
}

template <class Int>
Int ReadInteger(const boost::json::value& value, const std::string& path) {
  auto fits = [](auto number) {
    return std::cmp_greater_equal(number, std::numeric_limits<Int>::min()) &&
           std::cmp_less_equal(number, std::numeric_limits<Int>::max());
  };
  if (value.is_int64() && fits(value.get_int64())) return static_cast<Int>(value.get_int64());
  if (value.is_uint64() && fits(value.get_uint64())) return static_cast<Int>(value.get_uint64());
  // A double here is a number whose text is no integer, or none that
  // int64 or uint64 holds ("3.0" and "1e3" arrive as integers: see
  // PreciseNumbersHandler): refused, even when a double rounds it to an
  // integer ("92111861842743528.08"; found by fuzzing, where protobuf's
  // reader and the codec's rounded it to different integers). Negative
  // zero is zero.
  if (value.is_double() && value.get_double() == 0) return 0;
  if (value.is_string()) {
    const auto& text = value.get_string();
    Int number{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error == std::errc() && end == text.data() + text.size() && !text.empty()) return number;
  }
  Refuse(path, "not an integer in range: " + boost::json::serialize(value));
}

template <class Real>
Real ReadReal(const boost::json::value& value, const std::string& path) {
  if (value.is_number()) return static_cast<Real>(value.to_number<double>());
  if (value.is_string()) {
    const std::string_view text = value.get_string();
    if (text == "NaN") return std::numeric_limits<Real>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<Real>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<Real>::infinity();
    Real number{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error == std::errc() && end == text.data() + text.size() && !text.empty()) return number;
  }
  Refuse(path, "not a number: " + boost::json::serialize(value));
}

const std::string& ReadString(const boost::json::value& value, const std::string& path,
                              std::string& storage) {
  if (!value.is_string()) Refuse(path, "not a string: " + boost::json::serialize(value));
  storage.assign(value.get_string().data(), value.get_string().size());
  return storage;
}

std::string ReadBytes(const boost::json::value& value, const std::string& path) {
  std::string text;
  ReadString(value, path, text);
  std::string bytes(text.size(), '\0');
  for (const int variant :
       {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
        sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
    std::size_t length = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                          text.size(), nullptr, &length, nullptr, variant) == 0) {
      bytes.resize(length);
      return bytes;
    }
  }
  Refuse(path, "not base64");
}

bool ReadBool(const boost::json::value& value, const std::string& path) {
  if (value.is_bool()) return value.get_bool();
  if (value.is_string() && value.get_string() == "true") return true;
  if (value.is_string() && value.get_string() == "false") return false;
  Refuse(path, "not a boolean: " + boost::json::serialize(value));
}

int ReadEnum(const google::protobuf::EnumDescriptor* type, const boost::json::value& value,
             const std::string& path) {
  if (value.is_string()) {
    const std::string name(value.get_string());
    if (const auto* known = type->FindValueByName(name)) return known->number();
    Refuse(path, "'" + name + "' is not a value of " + type->full_name());
  }
  return ReadInteger<std::int32_t>(value, path);
}

void ReadMessage(const boost::json::value& json, Message& message, const std::string& path);
void ReadField(const boost::json::value& value, Message& message, const FieldDescriptor* field,
               const std::string& field_path);

// One value of a field (an element, for repeated fields), added or set.
void ReadValue(const boost::json::value& json, Message& message, const FieldDescriptor* field,
               const std::string& path) {
  const Reflection* reflection = message.GetReflection();
  const bool repeated = field->is_repeated();
  std::string storage;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      const auto number = ReadInteger<std::int32_t>(json, path);
      repeated ? reflection->AddInt32(&message, field, number)
               : reflection->SetInt32(&message, field, number);
      return;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      const auto number = ReadInteger<std::int64_t>(json, path);
      repeated ? reflection->AddInt64(&message, field, number)
               : reflection->SetInt64(&message, field, number);
      return;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      const auto number = ReadInteger<std::uint32_t>(json, path);
      repeated ? reflection->AddUInt32(&message, field, number)
               : reflection->SetUInt32(&message, field, number);
      return;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      const auto number = ReadInteger<std::uint64_t>(json, path);
      repeated ? reflection->AddUInt64(&message, field, number)
               : reflection->SetUInt64(&message, field, number);
      return;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      const auto number = ReadReal<double>(json, path);
      repeated ? reflection->AddDouble(&message, field, number)
               : reflection->SetDouble(&message, field, number);
      return;
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      const auto number = ReadReal<float>(json, path);
      repeated ? reflection->AddFloat(&message, field, number)
               : reflection->SetFloat(&message, field, number);
      return;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      const bool flag = ReadBool(json, path);
      repeated ? reflection->AddBool(&message, field, flag)
               : reflection->SetBool(&message, field, flag);
      return;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      // google.protobuf.NullValue is written as JSON null.
      const int number = json.is_null() ? 0 : ReadEnum(field->enum_type(), json, path);
      repeated ? reflection->AddEnumValue(&message, field, number)
               : reflection->SetEnumValue(&message, field, number);
      return;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string text = field->type() == FieldDescriptor::TYPE_BYTES
                             ? ReadBytes(json, path)
                             : std::string(ReadString(json, path, storage));
      repeated ? reflection->AddString(&message, field, std::move(text))
               : reflection->SetString(&message, field, std::move(text));
      return;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* child = repeated ? reflection->AddMessage(&message, field)
                                : reflection->MutableMessage(&message, field);
      ReadMessage(json, *child, path);
      return;
    }
  }
}

void ReadMapEntry(std::string_view key, const boost::json::value& json, Message& map_owner,
                  const FieldDescriptor* field, const std::string& path) {
  Message* entry = map_owner.GetReflection()->AddMessage(&map_owner, field);
  const Descriptor* entry_type = field->message_type();
  const FieldDescriptor* key_field = entry_type->map_key();
  const std::string entry_path = path + "[" + std::string(key) + "]";
  // Map keys are always JSON strings; ReadValue reads numbers and booleans
  // from strings too.
  const boost::json::value key_value(key);
  ReadValue(key_value, *entry, key_field, entry_path);
  ReadValue(json, *entry, entry_type->map_value(), entry_path);
}

void ReadStructValue(const boost::json::value& json, Message& value, const std::string& path);

void ReadStruct(const boost::json::value& json, Message& message, const std::string& path) {
  if (!json.is_object()) Refuse(path, "not an object");
  const FieldDescriptor* fields = message.GetDescriptor()->FindFieldByName("fields");
  for (const auto& [key, item] : json.get_object()) {
    Message* entry = message.GetReflection()->AddMessage(&message, fields);
    entry->GetReflection()->SetString(entry, entry->GetDescriptor()->map_key(), std::string(key));
    Message* value =
        entry->GetReflection()->MutableMessage(entry, entry->GetDescriptor()->map_value());
    ReadStructValue(item, *value, Join(path, key));
  }
}

void ReadList(const boost::json::value& json, Message& message, const std::string& path) {
  if (!json.is_array()) Refuse(path, "not an array");
  const FieldDescriptor* values = message.GetDescriptor()->FindFieldByName("values");
  std::size_t index = 0;
  for (const auto& item : json.get_array()) {
    ReadStructValue(item, *message.GetReflection()->AddMessage(&message, values),
                    path + "[" + std::to_string(index++) + "]");
  }
}

void ReadStructValue(const boost::json::value& json, Message& value, const std::string& path) {
  const Descriptor* type = value.GetDescriptor();
  const Reflection* reflection = value.GetReflection();
  if (json.is_null()) {
    reflection->SetEnumValue(&value, type->FindFieldByName("null_value"), 0);
  } else if (json.is_bool()) {
    reflection->SetBool(&value, type->FindFieldByName("bool_value"), json.get_bool());
  } else if (json.is_number()) {
    reflection->SetDouble(&value, type->FindFieldByName("number_value"), json.to_number<double>());
  } else if (json.is_string()) {
    reflection->SetString(&value, type->FindFieldByName("string_value"),
                          std::string(json.get_string()));
  } else if (json.is_object()) {
    ReadStruct(json, *reflection->MutableMessage(&value, type->FindFieldByName("struct_value")),
               path);
  } else {
    ReadList(json, *reflection->MutableMessage(&value, type->FindFieldByName("list_value")), path);
  }
}

void ReadMessage(const boost::json::value& json, Message& message, const std::string& path) {
  const Descriptor* type = message.GetDescriptor();
  std::string text;
  switch (SpecialOf(type)) {
    case Special::kTimestamp: {
      google::protobuf::Timestamp timestamp;
      if (!google::protobuf::util::TimeUtil::FromString(ReadString(json, path, text), &timestamp)) {
        Refuse(path, "not an RFC 3339 timestamp: " + text);
      }
      message.CopyFrom(timestamp);
      return;
    }
    case Special::kDuration: {
      google::protobuf::Duration duration;
      if (!google::protobuf::util::TimeUtil::FromString(ReadString(json, path, text), &duration)) {
        Refuse(path, "not a duration such as \"1.5s\": " + text);
      }
      message.CopyFrom(duration);
      return;
    }
    case Special::kFieldMask: {
      google::protobuf::FieldMask mask;
      if (!google::protobuf::util::FieldMaskUtil::FromJsonString(ReadString(json, path, text),
                                                                 &mask)) {
        Refuse(path, "not a field mask: " + text);
      }
      message.CopyFrom(mask);
      return;
    }
    case Special::kWrapper:
      ReadValue(json, message, type->FindFieldByNumber(1), path);
      return;
    case Special::kStruct:
      ReadStruct(json, message, path);
      return;
    case Special::kValue:
      ReadStructValue(json, message, path);
      return;
    case Special::kList:
      ReadList(json, message, path);
      return;
    case Special::kAny: {
      // Rare on the paths this codec serves; protobuf resolves the type URL.
      // Its converter throws on some odd Anys (json_gateway.cpp says which).
      try {
        const auto status =
            google::protobuf::util::JsonStringToMessage(boost::json::serialize(json), &message);
        if (!status.ok()) Refuse(path, std::string(status.message()));
      } catch (const std::invalid_argument&) {
        throw;
      } catch (const std::exception& error) {
        Refuse(path, error.what());
      }
      return;
    }
    case Special::kNone:
      break;
  }
  if (!json.is_object()) Refuse(path, "not an object: " + boost::json::serialize(json));
  const Reflection* reflection = message.GetReflection();
  for (const auto& [key, value] : json.get_object()) {
    const FieldDescriptor* field = FindField(type, key);
    if (field == nullptr) Refuse(Join(path, key), "no such field in " + type->full_name());
    const std::string field_path = Join(path, field->name());
    const bool is_null_value_enum = field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM &&
                                    field->enum_type()->full_name() == "google.protobuf.NullValue";
    const bool is_value_message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                                  SpecialOf(field->message_type()) == Special::kValue;
    if (value.is_null() && !is_null_value_enum && !(is_value_message && !field->is_repeated())) {
      reflection->ClearField(&message, field);  // null: not set
      continue;
    }
    if (const auto* oneof = field->real_containing_oneof();
        oneof != nullptr && reflection->HasOneof(message, oneof)) {
      Refuse(field_path, "a second field of the oneof " + oneof->name());
    }
    ReadField(value, message, field, field_path);
  }
}

void ReadField(const boost::json::value& value, Message& message, const FieldDescriptor* field,
               const std::string& field_path) {
  if (field->is_map()) {
    if (!value.is_object()) Refuse(field_path, "not an object");
    for (const auto& [map_key, map_value] : value.get_object()) {
      ReadMapEntry(map_key, map_value, message, field, field_path);
    }
  } else if (field->is_repeated()) {
    if (!value.is_array()) Refuse(field_path, "not an array");
    std::size_t index = 0;
    for (const auto& item : value.get_array()) {
      ReadValue(item, message, field, field_path + "[" + std::to_string(index++) + "]");
    }
  } else {
    ReadValue(value, message, field, field_path);
  }
}

// ---------------------------------------------------------------- writing

void WriteEscaped(std::string_view text, std::string& out) {
  // As boost::json::serialize escapes: quotes, backslashes and control
  // characters; UTF-8 goes through unchanged.
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

template <class Number>
void WriteNumber(Number number, std::string& out) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, number);
  out.append(buffer, result.ptr);
}

template <class Real>
void WriteReal(Real number, std::string& out) {
  if (std::isnan(number)) {
    out += "\"NaN\"";
  } else if (std::isinf(number)) {
    out += number > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    WriteNumber(number, out);
  }
}

void WriteMessage(const Message& message, ProtoJsonNames names, std::string& out);

// One value of a field: the element `index` of a repeated field, or the
// singular value when index < 0.
void WriteValue(const Message& message, const FieldDescriptor* field, int index,
                ProtoJsonNames names, std::string& out) {
  const Reflection* reflection = message.GetReflection();
  const bool repeated = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      WriteNumber(repeated ? reflection->GetRepeatedInt32(message, field, index)
                           : reflection->GetInt32(message, field),
                  out);
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      WriteNumber(repeated ? reflection->GetRepeatedUInt32(message, field, index)
                           : reflection->GetUInt32(message, field),
                  out);
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      out += '"';
      WriteNumber(repeated ? reflection->GetRepeatedInt64(message, field, index)
                           : reflection->GetInt64(message, field),
                  out);
      out += '"';
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      out += '"';
      WriteNumber(repeated ? reflection->GetRepeatedUInt64(message, field, index)
                           : reflection->GetUInt64(message, field),
                  out);
      out += '"';
      return;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      WriteReal(repeated ? reflection->GetRepeatedDouble(message, field, index)
                         : reflection->GetDouble(message, field),
                out);
      return;
    case FieldDescriptor::CPPTYPE_FLOAT:
      WriteReal(repeated ? reflection->GetRepeatedFloat(message, field, index)
                         : reflection->GetFloat(message, field),
                out);
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      out += (repeated ? reflection->GetRepeatedBool(message, field, index)
                       : reflection->GetBool(message, field))
                 ? "true"
                 : "false";
      return;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number = repeated ? reflection->GetRepeatedEnumValue(message, field, index)
                                  : reflection->GetEnumValue(message, field);
      if (field->enum_type()->full_name() == "google.protobuf.NullValue") {
        out += "null";
      } else if (const auto* known = field->enum_type()->FindValueByNumber(number)) {
        WriteEscaped(known->name(), out);
      } else {
        WriteNumber(number, out);
      }
      return;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& text =
          repeated ? reflection->GetRepeatedStringReference(message, field, index, &scratch)
                   : reflection->GetStringReference(message, field, &scratch);
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        std::string encoded(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_ORIGINAL),
                            '\0');
        sodium_bin2base64(encoded.data(), encoded.size(),
                          reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                          sodium_base64_VARIANT_ORIGINAL);
        encoded.resize(encoded.size() - 1);  // the terminating NUL
        WriteEscaped(encoded, out);
      } else {
        WriteEscaped(text, out);
      }
      return;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      WriteMessage(repeated ? reflection->GetRepeatedMessage(message, field, index)
                            : reflection->GetMessage(message, field),
                   names, out);
      return;
  }
}

// A map's entries as an object, sorted by key.
void WriteMap(const Message& message, const FieldDescriptor* field, ProtoJsonNames names,
              std::string& out) {
  const Reflection* reflection = message.GetReflection();
  const FieldDescriptor* key_field = field->message_type()->map_key();
  struct Entry {
    std::string key;
    std::int64_t signed_key = 0;
    std::uint64_t unsigned_key = 0;
    const Message* entry = nullptr;
  };
  std::vector<Entry> entries;
  const int size = reflection->FieldSize(message, field);
  entries.reserve(static_cast<std::size_t>(size));
  for (int i = 0; i < size; ++i) {
    const Message& entry = reflection->GetRepeatedMessage(message, field, i);
    const Reflection* entry_reflection = entry.GetReflection();
    Entry sorted;
    sorted.entry = &entry;
    switch (key_field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        sorted.key = entry_reflection->GetString(entry, key_field);
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        sorted.unsigned_key = entry_reflection->GetBool(entry, key_field) ? 1 : 0;
        sorted.key = sorted.unsigned_key ? "true" : "false";
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        sorted.signed_key = entry_reflection->GetInt32(entry, key_field);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        sorted.signed_key = entry_reflection->GetInt64(entry, key_field);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        sorted.unsigned_key = entry_reflection->GetUInt32(entry, key_field);
        break;
      default:
        sorted.unsigned_key = entry_reflection->GetUInt64(entry, key_field);
        break;
    }
    if (sorted.key.empty() && key_field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
      sorted.key = key_field->cpp_type() == FieldDescriptor::CPPTYPE_INT32 ||
                           key_field->cpp_type() == FieldDescriptor::CPPTYPE_INT64
                       ? std::to_string(sorted.signed_key)
                       : std::to_string(sorted.unsigned_key);
    }
    entries.push_back(std::move(sorted));
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.signed_key, a.unsigned_key, a.key) <
           std::tie(b.signed_key, b.unsigned_key, b.key);
  });
  // The last of equal keys wins, as when a map is parsed.
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i + 1 < entries.size() && entries[i + 1].key == entries[i].key) continue;
    if (!first) out += ',';
    first = false;
    WriteEscaped(entries[i].key, out);
    out += ':';
    WriteValue(*entries[i].entry, field->message_type()->map_value(), -1, names, out);
  }
  out += '}';
}

void WriteField(const Message& message, const FieldDescriptor* field, ProtoJsonNames names,
                std::string& out) {
  if (field->is_map()) {
    WriteMap(message, field, names, out);
  } else if (field->is_repeated()) {
    out += '[';
    const int size = message.GetReflection()->FieldSize(message, field);
    for (int i = 0; i < size; ++i) {
      if (i > 0) out += ',';
      WriteValue(message, field, i, names, out);
    }
    out += ']';
  } else {
    WriteValue(message, field, -1, names, out);
  }
}

void WriteStructValue(const Message& value, std::string& out) {
  const Reflection* reflection = value.GetReflection();
  const auto* kind = value.GetDescriptor()->FindOneofByName("kind");
  const FieldDescriptor* set = reflection->GetOneofFieldDescriptor(value, kind);
  if (set == nullptr) {
    out += "null";
  } else {
    WriteValue(value, set, -1, ProtoJsonNames::kProto, out);
  }
}

void WriteMessage(const Message& message, ProtoJsonNames names, std::string& out) {
  const Descriptor* type = message.GetDescriptor();
  const Reflection* reflection = message.GetReflection();
  switch (SpecialOf(type)) {
    case Special::kTimestamp: {
      google::protobuf::Timestamp timestamp;
      timestamp.CopyFrom(message);
      WriteEscaped(google::protobuf::util::TimeUtil::ToString(timestamp), out);
      return;
    }
    case Special::kDuration: {
      google::protobuf::Duration duration;
      duration.CopyFrom(message);
      WriteEscaped(google::protobuf::util::TimeUtil::ToString(duration), out);
      return;
    }
    case Special::kFieldMask: {
      google::protobuf::FieldMask mask;
      mask.CopyFrom(message);
      std::string text;
      (void)google::protobuf::util::FieldMaskUtil::ToJsonString(mask, &text);
      WriteEscaped(text, out);
      return;
    }
    case Special::kWrapper:
      WriteValue(message, type->FindFieldByNumber(1), -1, names, out);
      return;
    case Special::kStruct: {
      // Struct's map of Values: keys sorted like any other map.
      WriteMap(message, type->FindFieldByName("fields"), names, out);
      return;
    }
    case Special::kValue:
      WriteStructValue(message, out);
      return;
    case Special::kList:
      WriteField(message, type->FindFieldByName("values"), names, out);
      return;
    case Special::kAny: {
      google::protobuf::util::JsonPrintOptions options;
      options.preserve_proto_field_names = names == ProtoJsonNames::kProto;
      std::string text;
      const auto status = google::protobuf::util::MessageToJsonString(message, &text, options);
      if (!status.ok()) throw std::invalid_argument(std::string(status.message()));
      out += text;
      return;
    }
    case Special::kNone:
      break;
  }
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  out += '{';
  bool first = true;
  for (const FieldDescriptor* field : fields) {
    if (!first) out += ',';
    first = false;
    WriteEscaped(names == ProtoJsonNames::kProto ? field->name() : field->json_name(), out);
    out += ':';
    WriteField(message, field, names, out);
  }
  out += '}';
}

}  // namespace

void ParseProtoJson(std::string_view json, google::protobuf::Message& message) {
  message.Clear();
  boost::json::error_code error;
  unsigned char buffer[4096];
  boost::json::monotonic_resource memory(buffer);
  const boost::json::value document = ParseJson(json, error, &memory);
  if (error) throw std::invalid_argument("not JSON: " + error.message());
  ReadMessage(document, message, "");
}

void ParseProtoJsonField(std::string_view json, google::protobuf::Message& message,
                         const google::protobuf::FieldDescriptor* field) {
  message.GetReflection()->ClearField(&message, field);
  boost::json::error_code error;
  unsigned char buffer[4096];
  boost::json::monotonic_resource memory(buffer);
  const boost::json::value document = ParseJson(json, error, &memory);
  if (error) throw std::invalid_argument(field->name() + ": not JSON: " + error.message());
  if (document.is_null()) return;
  ReadField(document, message, field, field->name());
}

std::string PrintProtoJson(const google::protobuf::Message& message, ProtoJsonNames names) {
  std::string out;
  WriteMessage(message, names, out);
  return out;
}

std::vector<ProtoFieldJson> SetFieldsAsJson(const google::protobuf::Message& message,
                                            std::span<const std::string_view> leave_out) {
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  std::vector<ProtoFieldJson> printed;
  printed.reserve(fields.size());
  for (const FieldDescriptor* field : fields) {
    if (std::find(leave_out.begin(), leave_out.end(), field->name()) != leave_out.end()) continue;
    ProtoFieldJson entry{field->name(), {}};
    WriteField(message, field, ProtoJsonNames::kProto, entry.json);
    printed.push_back(std::move(entry));
  }
  return printed;
}

}  // namespace karton::kernel
