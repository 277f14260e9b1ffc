// Protobuf messages as proto3 JSON, for the hot paths: rows read back from
// PostgreSQL (which builds them with jsonb_build_object) and the field-by-
// field diffs behind audit entries and change events.
//
// Why not google::protobuf::util's JsonStringToMessage/MessageToJsonString:
// in the protobuf Debian 12 ships (3.21) they go through a generic stream
// converter that allocates for every token; reading a 1,000,000-partner
// import back for its events spent 70% of its time there. This codec walks
// the message with reflection over a boost::json document instead, a few
// times faster, and follows the same mapping (https://protobuf.dev/programming-
// guides/proto3/#json). The outward JSON gateway keeps protobuf's own
// converter: there, fidelity to the reference implementation matters more.
//
//   v1::Partner partner;
//   kernel::ParseProtoJson(row_json, partner);           // throws on bad input
//   std::string text = kernel::PrintProtoJson(partner);  // compact, proto names
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace google::protobuf {
class FieldDescriptor;
class Message;
}  // namespace google::protobuf

namespace karton::kernel {

// Reads proto3 JSON into `message` (cleared first). Accepts either spelling
// of a field name (proto or lowerCamel JSON name), 64-bit integers as numbers
// or strings, enums by name or number, base64 bytes, the well-known types
// (Timestamp, Duration, FieldMask, wrappers, Struct/Value/ListValue, Any) in
// their special forms, and null as "not set". Throws std::invalid_argument
// naming the field path (`addresses[0].city`) when the text is not JSON or
// does not fit the message; unknown fields are refused.
void ParseProtoJson(std::string_view json, google::protobuf::Message& message);
// The same for one field of `message` (cleared first): a JSON object for a
// message or map field, an array for a repeated one.
void ParseProtoJsonField(std::string_view json, google::protobuf::Message& message,
                         const google::protobuf::FieldDescriptor* field);

enum class ProtoJsonNames {
  kProto,  // display_name: what audit entries and storage documents use
  kJson,   // displayName: the canonical proto3 JSON spelling
};

// The message as compact proto3 JSON. Only fields that are set are printed
// (implicit-presence fields at their default value are left out), 64-bit
// integers as strings, enums by name, map entries sorted by key so that equal
// messages print equal text.
std::string PrintProtoJson(const google::protobuf::Message& message,
                           ProtoJsonNames names = ProtoJsonNames::kProto);

struct ProtoFieldJson {
  std::string field;  // proto field name
  std::string json;   // the value as PrintProtoJson prints it
};

// The top-level fields of `message` that are set, in field number order, each
// with its value printed as PrintProtoJson (proto names) would print it;
// the fields named in `leave_out` are not printed at all.
std::vector<ProtoFieldJson> SetFieldsAsJson(const google::protobuf::Message& message,
                                            std::span<const std::string_view> leave_out = {});

}  // namespace karton::kernel
