#include "rules/payload_fields.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <charconv>
#include <cstdlib>

#include "karton/kernel/typed_rows.h"

namespace karton::automation {
namespace {

namespace pb = google::protobuf;

constexpr std::string_view kTimestampType = "google.protobuf.Timestamp";
constexpr std::string_view kDateType = "karton.common.v1.Date";

std::vector<std::string_view> SplitDots(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    parts.push_back(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

FieldKind KindOf(const pb::FieldDescriptor& field) {
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return FieldKind::kString;
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return FieldKind::kBool;
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return FieldKind::kEnum;
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
      const std::string& name = field.message_type()->full_name();
      if (name == kTimestampType) return FieldKind::kTimestamp;
      if (name == kDateType) return FieldKind::kDate;
      return FieldKind::kMessage;
    }
    default:
      return FieldKind::kNumber;
  }
}

bool IsStringMap(const pb::FieldDescriptor& field) {
  if (!field.is_map()) return false;
  const pb::Descriptor& entry = *field.message_type();
  return entry.field(0)->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING &&
         entry.field(1)->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING;
}

std::string ScalarText(const pb::Message& message, const pb::FieldDescriptor& field, int index) {
  const pb::Reflection& reflection = *message.GetReflection();
  const bool repeated = index >= 0;
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return repeated ? reflection.GetRepeatedString(message, &field, index)
                      : reflection.GetString(message, &field);
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return (repeated ? reflection.GetRepeatedBool(message, &field, index)
                       : reflection.GetBool(message, &field))
                 ? "true"
                 : "false";
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return kernel::EnumWord(*field.enum_type(),
                              repeated ? reflection.GetRepeatedEnumValue(message, &field, index)
                                       : reflection.GetEnumValue(message, &field));
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return std::to_string(repeated ? reflection.GetRepeatedInt32(message, &field, index)
                                     : reflection.GetInt32(message, &field));
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(repeated ? reflection.GetRepeatedInt64(message, &field, index)
                                     : reflection.GetInt64(message, &field));
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      return std::to_string(repeated ? reflection.GetRepeatedUInt32(message, &field, index)
                                     : reflection.GetUInt32(message, &field));
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(repeated ? reflection.GetRepeatedUInt64(message, &field, index)
                                     : reflection.GetUInt64(message, &field));
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      return fmt::format("{}", repeated ? reflection.GetRepeatedDouble(message, &field, index)
                                        : reflection.GetDouble(message, &field));
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      return fmt::format("{}", repeated ? reflection.GetRepeatedFloat(message, &field, index)
                                        : reflection.GetFloat(message, &field));
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return "";
}

std::int64_t IntegerField(const pb::Message& message, const char* name) {
  const pb::FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->is_repeated()) return 0;
  if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64) {
    return message.GetReflection()->GetInt64(message, field);
  }
  if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT32) {
    return message.GetReflection()->GetInt32(message, field);
  }
  return 0;
}

// The message's text form of a Timestamp (microseconds) or Date
// ("2027-03-01"); "" for an unset date.
std::string SpecialText(const pb::Message& value, FieldKind kind) {
  if (kind == FieldKind::kTimestamp) {
    const std::int64_t seconds = IntegerField(value, "seconds");
    const std::int64_t nanos = IntegerField(value, "nanos");
    return std::to_string(seconds * 1000000 + nanos / 1000);
  }
  const std::int64_t year = IntegerField(value, "year");
  if (year == 0) return "";
  return fmt::format("{:04}-{:02}-{:02}", year, IntegerField(value, "month"),
                     IntegerField(value, "day"));
}

bool HasIntegerId(const pb::Descriptor& type) {
  const pb::FieldDescriptor* id = type.FindFieldByName("id");
  return id != nullptr && !id->is_repeated() &&
         id->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64;
}

const pb::FieldDescriptor* RecordField(const pb::Descriptor& payload) {
  for (int i = 0; i < payload.field_count(); ++i) {
    const pb::FieldDescriptor* field = payload.field(i);
    if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated() &&
        HasIntegerId(*field->message_type())) {
      return field;
    }
  }
  return nullptr;
}

bool HasIdField(const pb::Descriptor& type, const char* name) {
  const pb::FieldDescriptor* field = type.FindFieldByName(name);
  return field != nullptr && !field->is_repeated() &&
         field->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64;
}

std::optional<double> Number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return value;
}

bool Compare(std::string_view left, std::string_view op, const std::string& right, bool numeric) {
  int order = 0;
  if (numeric) {
    const auto a = Number(left);
    const auto b = Number(right);
    if (!a || !b) return false;
    order = *a < *b ? -1 : (*a > *b ? 1 : 0);
  } else {
    const int c = left.compare(right);
    order = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (op == "=") return order == 0;
  if (op == "!=") return order != 0;
  if (op == "<") return order < 0;
  if (op == "<=") return order <= 0;
  if (op == ">") return order > 0;
  return order >= 0;
}

}  // namespace

std::optional<FieldPath> FieldPath::Resolve(const pb::Descriptor& type, std::string_view text,
                                            std::string& problem) {
  FieldPath path;
  path.text_ = std::string(text);
  const pb::Descriptor* current = &type;
  const auto parts = SplitDots(text);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string name(parts[i]);
    const pb::FieldDescriptor* field =
        current == nullptr ? nullptr : current->FindFieldByName(name);
    if (field == nullptr) {
      problem = fmt::format("'{}' is not a field of {}", name,
                            current == nullptr ? type.full_name() : current->full_name());
      return std::nullopt;
    }
    path.fields_.push_back(field);
    if (field->is_map()) {
      if (!IsStringMap(*field) || i + 2 != parts.size() || parts[i + 1].empty()) {
        problem = fmt::format("'{}' is a map: name one key of it, '{}.<key>'", name, name);
        return std::nullopt;
      }
      path.map_key_ = std::string(parts[i + 1]);
      path.kind_ = FieldKind::kString;
      return path;
    }
    path.kind_ = KindOf(*field);
    const bool last = i + 1 == parts.size();
    if (!last) {
      if (path.kind_ != FieldKind::kMessage || field->is_repeated()) {
        problem = fmt::format("'{}' has no fields to name after it", name);
        return std::nullopt;
      }
      current = field->message_type();
    }
  }
  if (path.kind_ == FieldKind::kMessage) {
    problem = fmt::format("'{}' is a message: name one of its fields", path.text_);
    return std::nullopt;
  }
  return path;
}

bool FieldPath::Repeated() const { return !map_key_ && fields_.back()->is_repeated(); }

std::vector<std::string> FieldPath::TextsIn(const pb::Message& message) const {
  const pb::Message* current = &message;
  for (std::size_t i = 0; i + 1 < fields_.size(); ++i) {
    const pb::Reflection& reflection = *current->GetReflection();
    if (!reflection.HasField(*current, fields_[i])) return {};
    current = &reflection.GetMessage(*current, fields_[i]);
  }
  const pb::FieldDescriptor& last = *fields_.back();
  const pb::Reflection& reflection = *current->GetReflection();
  if (map_key_) {
    for (int i = 0; i < reflection.FieldSize(*current, &last); ++i) {
      const pb::Message& entry = reflection.GetRepeatedMessage(*current, &last, i);
      const pb::Reflection& entry_reflection = *entry.GetReflection();
      const pb::Descriptor& entry_type = *entry.GetDescriptor();
      if (entry_reflection.GetString(entry, entry_type.field(0)) == *map_key_) {
        return {entry_reflection.GetString(entry, entry_type.field(1))};
      }
    }
    return {};
  }
  std::vector<std::string> texts;
  if (kind_ == FieldKind::kTimestamp || kind_ == FieldKind::kDate) {
    if (last.is_repeated()) {
      for (int i = 0; i < reflection.FieldSize(*current, &last); ++i) {
        texts.push_back(SpecialText(reflection.GetRepeatedMessage(*current, &last, i), kind_));
      }
    } else if (reflection.HasField(*current, &last)) {
      texts.push_back(SpecialText(reflection.GetMessage(*current, &last), kind_));
    }
    return texts;
  }
  if (last.is_repeated()) {
    for (int i = 0; i < reflection.FieldSize(*current, &last); ++i) {
      texts.push_back(ScalarText(*current, last, i));
    }
    return texts;
  }
  texts.push_back(ScalarText(*current, last, -1));
  return texts;
}

std::optional<Condition> Condition::Compile(const pb::Descriptor& payload, std::string_view text,
                                            std::string& problem) {
  auto comparisons = kernel::ParseFilterExpression(text, problem);
  if (!comparisons) return std::nullopt;
  Condition condition;
  for (auto& comparison : *comparisons) {
    std::string field_problem;
    auto path = FieldPath::Resolve(payload, comparison.field, field_problem);
    if (!path) {
      problem = fmt::format("at {}: {}", comparison.position, field_problem);
      return std::nullopt;
    }
    const FieldKind kind = path->Kind();
    const auto refuse = [&](std::string_view why) {
      problem = fmt::format("at {}: {} {}", comparison.value_position, comparison.field, why);
      return std::nullopt;
    };
    switch (kind) {
      case FieldKind::kNumber:
        if (comparison.kind != kernel::FilterValueKind::kNumber) return refuse("takes a number");
        break;
      case FieldKind::kBool:
        if (comparison.kind != kernel::FilterValueKind::kBool) return refuse("takes true or false");
        if (!comparison.IsEquality()) return refuse("takes only = and !=");
        break;
      case FieldKind::kEnum: {
        if (comparison.kind != kernel::FilterValueKind::kString) {
          return refuse("takes a quoted value");
        }
        if (!comparison.IsEquality()) return refuse("takes only = and !=");
        const pb::EnumDescriptor& type = *path->Last().enum_type();
        const auto value = kernel::EnumValueOfWord(type, comparison.value);
        const pb::EnumValueDescriptor* by_name = type.FindValueByName(comparison.value);
        if (!value && by_name == nullptr) {
          return refuse(fmt::format("has no value '{}'", comparison.value));
        }
        // Compared by the short word, whichever spelling the rule used.
        comparison.value = kernel::EnumWord(type, value ? *value : by_name->number());
        break;
      }
      case FieldKind::kDate:
        if (comparison.kind != kernel::FilterValueKind::kString || !IsDateText(comparison.value)) {
          return refuse("takes a quoted date, \"2027-03-01\"");
        }
        break;
      case FieldKind::kTimestamp:
        return refuse("is a moment: time actions from it instead (timing.from_field)");
      case FieldKind::kString:
        if (comparison.kind == kernel::FilterValueKind::kBool) {
          return refuse("takes a quoted text or a number");
        }
        break;
      case FieldKind::kMessage:
        return refuse("is a message");
    }
    condition.terms_.push_back({std::move(*path), std::move(comparison)});
  }
  return condition;
}

bool Condition::Matches(const pb::Message& payload) const {
  for (const Term& term : terms_) {
    const auto texts = term.path.TextsIn(payload);
    // Strings compared with a number compare as numbers (custom fields
    // hold numbers as text).
    const bool numeric = term.path.Kind() == FieldKind::kNumber ||
                         term.comparison.kind == kernel::FilterValueKind::kNumber;
    bool matched = false;
    if (term.comparison.op == "!=") {
      // "tags != x": none of them is x; an absent value differs from any.
      matched = true;
      for (const auto& text : texts) {
        if (Compare(text, "=", term.comparison.value, numeric)) matched = false;
      }
    } else {
      for (const auto& text : texts) {
        if (Compare(text, term.comparison.op, term.comparison.value, numeric)) matched = true;
      }
    }
    if (!matched) return false;
  }
  return true;
}

std::optional<Placeholders> Placeholders::Compile(const pb::Descriptor& payload,
                                                  std::string_view text, std::string& problem) {
  Placeholders placeholders;
  std::size_t start = 0;
  while (true) {
    const std::size_t open = text.find("{{", start);
    if (open == std::string_view::npos) {
      placeholders.literals_.emplace_back(text.substr(start));
      return placeholders;
    }
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      problem = fmt::format("the placeholder at {} is not closed with }}}}", open + 1);
      return std::nullopt;
    }
    std::string_view name = text.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    std::string field_problem;
    auto path = FieldPath::Resolve(payload, name, field_problem);
    if (!path) {
      problem = fmt::format("placeholder {{{{{}}}}}: {}", name, field_problem);
      return std::nullopt;
    }
    placeholders.literals_.emplace_back(text.substr(start, open - start));
    placeholders.paths_.push_back(std::move(*path));
    start = close + 2;
  }
}

std::string Placeholders::Fill(const pb::Message& payload) const {
  std::string text = literals_.front();
  for (std::size_t i = 0; i < paths_.size(); ++i) {
    const auto values = paths_[i].TextsIn(payload);
    for (std::size_t v = 0; v < values.size(); ++v) {
      if (v > 0) text += ", ";
      text += values[v];
    }
    text += literals_[i + 1];
  }
  return text;
}

const pb::Descriptor* RecordTypeOf(const pb::Descriptor& payload) {
  if (HasIntegerId(payload)) return &payload;
  const pb::FieldDescriptor* field = RecordField(payload);
  return field == nullptr ? nullptr : field->message_type();
}

bool CanNamePartner(const pb::Descriptor& payload) {
  const pb::Descriptor* record = RecordTypeOf(payload);
  if (record == nullptr) return HasIdField(payload, "partner_id");
  return record->full_name() == "karton.partners.v1.Partner" || HasIdField(*record, "partner_id") ||
         HasIdField(payload, "partner_id");
}

bool CanNameContact(const pb::Descriptor& payload) {
  const pb::Descriptor* record = RecordTypeOf(payload);
  if (record == nullptr) return HasIdField(payload, "contact_id");
  return record->full_name() == "karton.partners.v1.Contact" || HasIdField(*record, "contact_id") ||
         HasIdField(payload, "contact_id");
}

bool IsLeadPayload(const pb::Descriptor& payload) {
  const pb::Descriptor* record = RecordTypeOf(payload);
  return record != nullptr && record->full_name() == "karton.crm.v1.Lead";
}

EventRecord RecordOf(const pb::Message& payload) {
  EventRecord found;
  const pb::Descriptor& type = *payload.GetDescriptor();
  if (HasIntegerId(type)) {
    found.record = &payload;
  } else if (const pb::FieldDescriptor* field = RecordField(type)) {
    found.record = &payload.GetReflection()->GetMessage(payload, field);
  }
  const auto pick = [&](const char* name) {
    std::int64_t value = found.record ? IntegerField(*found.record, name) : 0;
    return value != 0 ? value : IntegerField(payload, name);
  };
  found.partner_id = pick("partner_id");
  found.contact_id = pick("contact_id");
  found.lead_id = pick("lead_id");
  found.opportunity_id = pick("opportunity_id");
  found.owner_user_id = pick("owner_user_id");
  if (found.owner_user_id == 0) found.owner_user_id = pick("assigned_user_id");
  if (found.record != nullptr) {
    found.type = found.record->GetDescriptor()->full_name();
    found.id = IntegerField(*found.record, "id");
    if (found.type == "karton.partners.v1.Partner") found.partner_id = found.id;
    if (found.type == "karton.partners.v1.Contact") found.contact_id = found.id;
    if (found.type == "karton.crm.v1.Lead") found.lead_id = found.id;
    if (found.type == "karton.crm.v1.Opportunity") found.opportunity_id = found.id;
  }
  return found;
}

FieldMoment MomentIn(const pb::Message& payload, const FieldPath& path) {
  FieldMoment moment;
  const auto texts = path.TextsIn(payload);
  if (texts.empty() || texts.front().empty()) return moment;
  const std::string& text = texts.front();
  if (path.Kind() == FieldKind::kTimestamp) {
    std::int64_t micros = 0;
    std::from_chars(text.data(), text.data() + text.size(), micros);
    if (micros != 0) moment.time = kernel::TimePoint(std::chrono::microseconds(micros));
    return moment;
  }
  // A date field, or a custom field holding one ("2027-03-01", or the date
  // part of "2027-03-01T10:00").
  const std::string date = text.substr(0, 10);
  if (IsDateText(date)) moment.date = date;
  return moment;
}

bool IsDateText(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  int year = 0, month = 0, day = 0;
  const auto read = [&](std::size_t at, std::size_t length, int& out) {
    const auto result = std::from_chars(text.data() + at, text.data() + at + length, out);
    return result.ec == std::errc() && result.ptr == text.data() + at + length;
  };
  if (!read(0, 4, year) || !read(5, 2, month) || !read(8, 2, day)) return false;
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day > kDays[month - 1]) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
}

}  // namespace karton::automation
