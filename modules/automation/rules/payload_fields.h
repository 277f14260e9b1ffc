// Reading an event's payload by field path, for conditions, placeholders,
// timings and the record a rule acts on. Everything is checked against the
// payload's message type when a rule is saved, so a rule that cannot work
// is refused then, naming what is wrong, not when an event comes.
//
//   std::string problem;
//   auto path = FieldPath::Resolve(*PartnerChanged::descriptor(),
//                                  "partner.custom_fields.demo_expiry", problem);
//   std::vector<std::string> values = path->TextsIn(payload);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/kernel/filter.h"

namespace google::protobuf {
class Descriptor;
class FieldDescriptor;
class Message;
}  // namespace google::protobuf

namespace karton::automation {

// What a path ends on, as conditions and timings compare it.
enum class FieldKind { kString, kNumber, kBool, kEnum, kTimestamp, kDate, kMessage };

// A path from a message type down to one field: "partner.city",
// "partner.custom_fields.demo_expiry" (a map<string, string> entry).
class FieldPath {
 public:
  // nullopt and `problem` ("'x' is not a field of karton.crm.v1.Lead")
  // when `text` does not name a field of `type`.
  static std::optional<FieldPath> Resolve(const google::protobuf::Descriptor& type,
                                          std::string_view text, std::string& problem);

  const std::string& Text() const { return text_; }
  FieldKind Kind() const { return kind_; }
  bool Repeated() const;
  // The field the path ends on (the map field for a map entry).
  const google::protobuf::FieldDescriptor& Last() const { return *fields_.back(); }
  bool IsMapEntry() const { return map_key_.has_value(); }
  const std::string& MapKey() const { return *map_key_; }

  // The values in `message` (of the type the path was resolved on), as
  // text: strings as they are, numbers in decimal, "true"/"false", an
  // enum's short word ("won"), a date "2027-03-01", a timestamp as
  // microseconds since 1970. An unset scalar gives its default; a missing
  // map entry or an unset message on the way gives nothing.
  std::vector<std::string> TextsIn(const google::protobuf::Message& message) const;

 private:
  std::string text_;
  std::vector<const google::protobuf::FieldDescriptor*> fields_;
  std::optional<std::string> map_key_;
  FieldKind kind_ = FieldKind::kString;
};

// A rule's condition, compiled against its payload type.
class Condition {
 public:
  // nullopt and `problem` (with the position) when `text` does not parse or
  // compares a field that is not there, or in a way its kind does not take.
  static std::optional<Condition> Compile(const google::protobuf::Descriptor& payload,
                                          std::string_view text, std::string& problem);
  bool Matches(const google::protobuf::Message& payload) const;

 private:
  struct Term {
    FieldPath path;
    kernel::FilterComparison comparison;
  };
  std::vector<Term> terms_;
};

// Text with `{{field.path}}` placeholders filled from a payload.
class Placeholders {
 public:
  // nullopt and `problem` when a placeholder names no field or is not closed.
  static std::optional<Placeholders> Compile(const google::protobuf::Descriptor& payload,
                                             std::string_view text, std::string& problem);
  std::string Fill(const google::protobuf::Message& payload) const;

 private:
  std::vector<std::string> literals_;  // one more than paths_
  std::vector<FieldPath> paths_;
};

// The record an event is about and the people and records around it, read
// from the payload: the payload itself when it has an int64 `id`, else its
// first message field that has one (PartnerChanged.partner).
struct EventRecord {
  const google::protobuf::Message* record = nullptr;
  std::string type;  // "karton.partners.v1.Partner"
  std::int64_t id = 0;
  std::int64_t partner_id = 0;
  std::int64_t contact_id = 0;
  std::int64_t lead_id = 0;
  std::int64_t opportunity_id = 0;
  std::int64_t owner_user_id = 0;  // owner_user_id or assigned_user_id
};
// The record's descriptor within payloads of `payload` type (nullptr when
// none has an id): what rules check their set_fields against.
const google::protobuf::Descriptor* RecordTypeOf(const google::protobuf::Descriptor& payload);
// Whether payloads of this type can name a partner, contact or lead.
bool CanNamePartner(const google::protobuf::Descriptor& payload);
bool CanNameContact(const google::protobuf::Descriptor& payload);
bool IsLeadPayload(const google::protobuf::Descriptor& payload);
EventRecord RecordOf(const google::protobuf::Message& payload);

// A timing's field in a payload: a moment, or a local date to be placed in
// a time zone ("2027-03-01"). Neither when the field is empty or does not
// hold a date.
struct FieldMoment {
  std::optional<kernel::TimePoint> time;
  std::string date;
};
FieldMoment MomentIn(const google::protobuf::Message& payload, const FieldPath& path);

// "2027-03-01" -> whether it is a real calendar date.
bool IsDateText(std::string_view text);

}  // namespace karton::automation
