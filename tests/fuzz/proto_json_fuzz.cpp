// JSON into protobuf messages, both ways Karton does it:
//   - the JSON gateway's (kernel/src/json_gateway.cpp, ParseGatewayBody):
//     protobuf's own JsonStringToMessage with unknown fields refused, on
//     any request body; what it cannot read is INVALID_ARGUMENT;
//   - the kernel's codec (kernel/src/proto_json.cpp): ParseProtoJson, what
//     rows, stored documents and rule definitions are read back with.
// Whatever either accepts prints and reads back to the same message
// (the codec: in both of its name spellings), and when both accept the
// same JSON document they must agree on the message.
//
// The first byte picks the message type; the rest is the JSON.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include "fuzz_check.h"
#include "json_gateway.h"
#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/v1/audit_service.pb.h"
#include "karton/partners/v1/partner_service.pb.h"
#include "karton/testing/v1/json_shapes.pb.h"

using karton::fuzz::Check;
namespace kernel = karton::kernel;
using google::protobuf::Message;

namespace {

const Message* Prototype(std::uint8_t pick) {
  static const Message* const kTypes[] = {
      &karton::testing::v1::JsonShapes::default_instance(),
      &karton::testing::v1::Inner::default_instance(),
      &karton::partners::v1::Partner::default_instance(),
      &karton::partners::v1::ListPartnersRequest::default_instance(),
      &karton::crm::v1::WebForm::default_instance(),
      &karton::crm::v1::Lead::default_instance(),
      &karton::kernel::v1::ListAuditEntriesRequest::default_instance(),
  };
  return kTypes[pick % std::size(kTypes)];
}

// The kernel codec's reading, or nullptr when it refuses the text (with
// std::invalid_argument: nothing else may come out of it).
std::unique_ptr<Message> KernelParse(std::string_view json, const Message& prototype) {
  std::unique_ptr<Message> message(prototype.New());
  try {
    kernel::ParseProtoJson(json, *message);
  } catch (const std::invalid_argument&) {
    return nullptr;
  }
  return message;
}

// Field mask paths without case or underscores. Protobuf itself reads two
// kinds of path two ways: one that is no lowerCamel name of a field
// ("aRED": its JSON parser makes "a_red", FieldMaskUtil, which the codec
// uses, "a_r_e_d"), and the grouped form "a(b,c)", which only its JSON
// parser expands (documents with a "(" are not compared). Neither changes
// which fields an update names once the service checks the paths.
void CanonicalMasks(Message& message) {
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  if (descriptor->full_name() == "google.protobuf.FieldMask") {
    google::protobuf::FieldMask mask;
    mask.CopyFrom(message);
    for (auto& path : *mask.mutable_paths()) {
      std::string loose;
      for (const char c : path) {
        if (c != '_') loose += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      path = loose;
    }
    message.CopyFrom(mask);
    return;
  }
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        CanonicalMasks(*reflection->MutableRepeatedMessage(&message, field, i));
      }
    } else {
      CanonicalMasks(*reflection->MutableMessage(&message, field));
    }
  }
}

// True when some object of the document names one key twice by its two
// spellings ("field_mask" and "fieldMask" are the same field): like a name
// given twice, JSON nobody should write, on which the readers differ
// (protobuf merges the two values, the codec keeps the last).
bool NamesAKeyInBothSpellings(const boost::json::value& value) {
  if (const auto* array = value.if_array()) {
    for (const auto& element : *array) {
      if (NamesAKeyInBothSpellings(element)) return true;
    }
    return false;
  }
  const auto* object = value.if_object();
  if (object == nullptr) return false;
  std::set<std::string> json_names;
  for (const auto& entry : *object) {
    // protobuf's json_name: each underscore dropped, the letter after it
    // capitalised.
    std::string json_name;
    bool capitalise = false;
    for (const char c : entry.key()) {
      if (c == '_') {
        capitalise = true;
        continue;
      }
      json_name += capitalise ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      capitalise = false;
    }
    if (!json_names.insert(json_name).second) return true;
    if (NamesAKeyInBothSpellings(entry.value())) return true;
  }
  return false;
}

// True when the document holds a number written with a fraction or an
// exponent (Boost.JSON reads it as a double) of 2^52 or more, where
// neighbouring doubles are a whole number or more apart. An integer field
// given one takes it exactly in the codec, but through a double in protobuf,
// and from 2^52 on a double read a unit in the last place off is another
// integer: "8144603685785847.00" is 8144603685785846 to protobuf 3.21 (its
// reader is not correctly rounded, see the doubles below), and
// "184472036239054814.0" past 2^53 is 184472036239054816 to any double.
// Such documents are not compared. Below 2^52 a reading off by a unit is no
// integer, and protobuf refuses it.
bool HasANumberWhereDoublesStepByWholeNumbers(const boost::json::value& value) {
  if (const auto* array = value.if_array()) {
    for (const auto& element : *array) {
      if (HasANumberWhereDoublesStepByWholeNumbers(element)) return true;
    }
    return false;
  }
  if (const auto* object = value.if_object()) {
    for (const auto& entry : *object) {
      if (HasANumberWhereDoublesStepByWholeNumbers(entry.value())) return true;
    }
    return false;
  }
  constexpr double kTwoToThe52 = 4503599627370496.0;
  return value.is_double() && !(std::fabs(value.get_double()) < kTwoToThe52);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  karton::fuzz::Input input(data, size);
  const Message& prototype = *Prototype(input.Byte());
  const std::string_view json = input.Rest();

  // The gateway.
  std::unique_ptr<Message> gateway(prototype.New());
  const grpc::Status gateway_status = kernel::ParseGatewayBody(std::string(json), *gateway);
  const bool gateway_read = gateway_status.ok();
  if (gateway_read) {
    std::string printed;
    Check(google::protobuf::util::MessageToJsonString(*gateway, &printed).ok(),
          "the gateway prints what it read", json);
    std::unique_ptr<Message> again(prototype.New());
    Check(kernel::ParseGatewayBody(printed, *again).ok(), "the gateway reads what it printed",
          printed);
  } else {
    Check(gateway_status.error_code() == grpc::StatusCode::INVALID_ARGUMENT,
          "a body the gateway cannot read is INVALID_ARGUMENT", json);
  }

  // The kernel's codec.
  const auto read = KernelParse(json, prototype);
  if (!read) return 0;
  for (const auto names : {kernel::ProtoJsonNames::kProto, kernel::ProtoJsonNames::kJson}) {
    const std::string printed = kernel::PrintProtoJson(*read, names);
    const auto again = KernelParse(printed, prototype);
    Check(again != nullptr, "the codec reads what it printed", printed);
    Check(kernel::PrintProtoJson(*again, names) == printed,
          "the codec prints what it read back the same", printed);
  }
  if (gateway_read) {
    // A name given twice in one object is JSON nobody should write (RFC
    // 8259: names SHOULD be unique), and the two readers differ on it:
    // protobuf merges the values, the codec (boost::json) keeps the last.
    // Compared on the document as boost::json reads it, where each name
    // is once.
    boost::system::error_code error;
    const boost::json::value parsed = boost::json::parse(json, error);
    if (error || NamesAKeyInBothSpellings(parsed) ||
        HasANumberWhereDoublesStepByWholeNumbers(parsed))
      return 0;
    const std::string document = boost::json::serialize(parsed);
    // The grouped field mask form "a(b,c)": see CanonicalMasks.
    if (document.find('(') != std::string::npos) return 0;
    gateway.reset(prototype.New());
    if (!kernel::ParseGatewayBody(document, *gateway).ok()) return 0;
    CanonicalMasks(*gateway);
    CanonicalMasks(*read);
    const std::string by_gateway = kernel::PrintProtoJson(*gateway);
    const std::string by_codec = kernel::PrintProtoJson(*read);
    // Doubles may differ in their last places: protobuf 3.21's reader is
    // not correctly rounded ("-44444844674.2036854775808" gives
    // -44444844674.20369; strtod, std::from_chars and the codec give
    // -44444844674.20368).
    google::protobuf::util::DefaultFieldComparator last_places;
    last_places.set_float_comparison(google::protobuf::util::DefaultFieldComparator::APPROXIMATE);
    last_places.SetDefaultFractionAndMargin(1e-15, 0);  // a few units in the last place
    google::protobuf::util::MessageDifferencer nearly;
    nearly.set_field_comparator(&last_places);
    Check(by_gateway == by_codec || nearly.Compare(*gateway, *read),
          "the gateway and the codec read the same text as the same message",
          std::string(json) + "\ngateway: " + by_gateway + "\ncodec:   " + by_codec);
  }
  return 0;
}
