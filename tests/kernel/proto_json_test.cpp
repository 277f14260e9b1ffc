// The kernel's JSON codec against protobuf's own converter, the reference:
// what one prints the other reads back, and both print the same JSON value.
#include "karton/kernel/proto_json.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "json_gateway.h"
#include "karton/testing/v1/json_shapes.pb.h"

namespace karton::kernel {
namespace {

using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;
using testing::v1::JsonShapes;

JsonShapes EveryShape() {
  JsonShapes shapes;
  shapes.set_int32_value(-42);
  shapes.set_int64_value(std::numeric_limits<std::int64_t>::min());
  shapes.set_uint32_value(4000000000u);
  shapes.set_uint64_value(std::numeric_limits<std::uint64_t>::max());
  shapes.set_sint32_value(-7);
  shapes.set_sint64_value(-9000000000LL);
  shapes.set_fixed32_value(7);
  shapes.set_fixed64_value(9000000000ULL);
  shapes.set_sfixed32_value(-1);
  shapes.set_sfixed64_value(-2);
  shapes.set_float_value(0.1f);
  shapes.set_double_value(1.0 / 3.0);
  shapes.set_bool_value(true);
  shapes.set_string_value("Kovács \"Ő\"\n\t\\ \x01 ű");
  shapes.set_bytes_value(std::string("\0\xff\x10 bytes", 9));
  shapes.set_colour(testing::v1::COLOUR_GREEN);
  shapes.mutable_inner()->set_label("inner");
  shapes.mutable_inner()->set_amount(5);
  shapes.mutable_inner()->add_children()->set_label("grandchild");
  shapes.set_optional_value(0);  // set, though at the default value
  shapes.add_int64_list(1);
  shapes.add_int64_list(-1);
  shapes.add_string_list("a");
  shapes.add_string_list("");
  shapes.add_double_list(2.5);
  shapes.add_double_list(std::numeric_limits<double>::infinity());
  shapes.add_colour_list(testing::v1::COLOUR_RED);
  shapes.add_colour_list(static_cast<testing::v1::Colour>(77));  // unknown value of an open enum
  shapes.add_inner_list()->set_label("first");
  shapes.add_inner_list();
  shapes.add_bytes_list("xyz");
  (*shapes.mutable_string_map())["b"] = "2";
  (*shapes.mutable_string_map())["a"] = "1";
  (*shapes.mutable_int_map())[-3].set_label("minus three");
  (*shapes.mutable_int_map())[10].set_amount(10);
  (*shapes.mutable_bool_map())[true] = 1;
  (*shapes.mutable_bool_map())[false] = 0;
  (*shapes.mutable_uint_map())[18446744073709551615ULL] = testing::v1::COLOUR_RED;
  *shapes.mutable_timestamp() = TimeUtil::MicrosecondsToTimestamp(1764000000123456);
  *shapes.mutable_duration() = TimeUtil::MillisecondsToDuration(-1500);
  shapes.mutable_field_mask()->add_paths("display_name");
  shapes.mutable_field_mask()->add_paths("addresses.postal_code");
  shapes.mutable_int64_wrapper()->set_value(0);
  shapes.mutable_string_wrapper()->set_value("wrapped");
  shapes.mutable_bool_wrapper();
  auto& fields = *shapes.mutable_struct_value()->mutable_fields();
  fields["number"].set_number_value(1.5);
  fields["text"].set_string_value("t");
  fields["nothing"].set_null_value(google::protobuf::NULL_VALUE);
  fields["list"].mutable_list_value()->add_values()->set_bool_value(false);
  fields["nested"].mutable_struct_value();
  shapes.mutable_dynamic_value()->set_string_value("dynamic");
  shapes.mutable_list_value()->add_values()->set_number_value(3);
  shapes.mutable_any_value()->PackFrom(TimeUtil::SecondsToTimestamp(86400));
  *shapes.add_timestamps() = TimeUtil::SecondsToTimestamp(0);
  shapes.mutable_choice_inner()->set_label("chosen");
  return shapes;
}

std::string ReferenceJson(const JsonShapes& shapes, bool proto_names) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = proto_names;
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(shapes, &json, options).ok());
  return json;
}

TEST(ProtoJson, PrintsWhatProtobufPrints) {
  const JsonShapes shapes = EveryShape();
  EXPECT_EQ(boost::json::parse(PrintProtoJson(shapes)),
            boost::json::parse(ReferenceJson(shapes, true)));
  EXPECT_EQ(boost::json::parse(PrintProtoJson(shapes, ProtoJsonNames::kJson)),
            boost::json::parse(ReferenceJson(shapes, false)));
  EXPECT_EQ(PrintProtoJson(JsonShapes()), "{}");
}

TEST(ProtoJson, ReadsWhatProtobufPrints) {
  const JsonShapes shapes = EveryShape();
  for (const bool proto_names : {true, false}) {
    JsonShapes read;
    ParseProtoJson(ReferenceJson(shapes, proto_names), read);
    std::string differences;
    MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&differences);
    EXPECT_TRUE(differencer.Compare(shapes, read)) << differences;
  }
}

TEST(ProtoJson, ReadsItsOwnPrint) {
  const JsonShapes shapes = EveryShape();
  JsonShapes read;
  ParseProtoJson(PrintProtoJson(shapes), read);
  EXPECT_TRUE(MessageDifferencer::Equals(shapes, read));
}

TEST(ProtoJson, ReadsTheLenientForms) {
  JsonShapes read;
  ParseProtoJson(R"({"int64Value": 12, "int32_value": "-3", "uint64Value": 1e3,
                     "colour": 1, "boolValue": false, "stringValue": null,
                     "inner": {"amount": "7"}, "floatValue": "NaN",
                     "dynamicValue": null, "bytesValue": "_-8", "intMap": {"5": {}},
                     "timestamp": "2026-11-25T10:00:00+01:00"})",
                 read);
  EXPECT_EQ(read.int64_value(), 12);
  EXPECT_EQ(read.int32_value(), -3);
  EXPECT_EQ(read.uint64_value(), 1000u);
  EXPECT_EQ(read.colour(), testing::v1::COLOUR_RED);
  EXPECT_TRUE(read.string_value().empty());
  EXPECT_EQ(read.inner().amount(), 7);
  EXPECT_TRUE(std::isnan(read.float_value()));
  EXPECT_TRUE(read.has_dynamic_value());
  EXPECT_EQ(read.dynamic_value().kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_EQ(read.bytes_value(), "\xff\xef");
  EXPECT_EQ(read.int_map().count(5), 1u);
  EXPECT_EQ(TimeUtil::ToString(read.timestamp()), "2026-11-25T09:00:00Z");
}

// The message of a refusal, or "" when the text was read.
std::string Refusal(std::string_view json) {
  JsonShapes read;
  try {
    ParseProtoJson(json, read);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

TEST(ProtoJson, RefusalsNameTheField) {
  EXPECT_NE(Refusal(R"({"inner": {"colour_x": 1}})").find("inner.colour_x"), std::string::npos);
  EXPECT_NE(Refusal(R"({"int32Value": 3000000000})").find("int32_value"), std::string::npos);
  EXPECT_NE(Refusal(R"({"int64_value": 1.5})").find("int64_value"), std::string::npos);
  EXPECT_NE(Refusal(R"({"colour": "COLOUR_BLUE"})").find("COLOUR_BLUE"), std::string::npos);
  EXPECT_NE(Refusal(R"({"innerList": [{}, {"amount": "x"}]})").find("inner_list[1].amount"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"stringMap": {"k": 1}})").find("string_map[k]"), std::string::npos);
  EXPECT_NE(Refusal(R"({"timestamp": "yesterday"})").find("timestamp"), std::string::npos);
  EXPECT_NE(Refusal(R"({"choiceText": "a", "choiceInner": {}})").find("choice"), std::string::npos);
  EXPECT_NE(Refusal(R"({"stringList": "not a list"})").find("string_list"), std::string::npos);
  EXPECT_NE(Refusal("{not json").find("not JSON"), std::string::npos);
  EXPECT_NE(Refusal("[]").find("not an object"), std::string::npos);
  EXPECT_EQ(Refusal("{}"), "");
}

// Found by tests/fuzz (proto_json): 2^64 and 2^63 as JSON numbers are
// doubles equal to (double) of the type's maximum, and were converted
// (undefined behaviour) instead of refused.
TEST(ProtoJson, IntegersJustPastTheTypesRangeAreRefused) {
  EXPECT_NE(Refusal(R"({"uint64Value": 18446744073709551616})").find("uint64_value"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"int64Value": 9223372036854775808})").find("int64_value"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"int64Value": 9223372036854775808.0})").find("int64_value"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"uint32Value": 4294967296.0})").find("uint32_value"), std::string::npos);
  EXPECT_NE(Refusal(R"({"int32Value": 2147483648.0})").find("int32_value"), std::string::npos);
  JsonShapes read;
  ParseProtoJson(R"({"int64Value": -9223372036854775808.0, "uint32Value": 4294967295.0,
                     "int32Value": -2147483648.0, "uint64Value": 1.8e19})",
                 read);
  EXPECT_EQ(read.int64_value(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(read.uint32_value(), 4294967295u);
  EXPECT_EQ(read.int32_value(), std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(read.uint64_value(), 18000000000000000000u);
}

// Found by tests/fuzz (proto_json): protobuf 3.21's converter throws
// (FatalException, "CHECK failed: !done_") on an Any whose well-known
// type's "value" is followed by another field. The JSON gateway answered
// 500 and the codec let the exception out; both now refuse the text.
TEST(ProtoJson, AnAnyProtobufThrowsOnIsRefused) {
  const std::string json =
      R"({"anyValue": {"@type": "type.googleapis.com/google.protobuf.Duration",)"
      R"( "value": "1s", "x": null}})";
  EXPECT_NE(Refusal(json).find("any_value"), std::string::npos);
  JsonShapes shapes;
  const grpc::Status status = ParseGatewayBody(json, shapes);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("karton.testing.v1.JsonShapes"), std::string::npos)
      << status.error_message();
  EXPECT_TRUE(
      ParseGatewayBody(R"({"anyValue": {"@type":)"
                       R"( "type.googleapis.com/google.protobuf.Duration", "value": "1s"}})",
                       shapes)
          .ok());
  EXPECT_TRUE(ParseGatewayBody("", shapes).ok());
}

// Found by tests/fuzz (proto_json) after about 4.9 million runs: boost::json
// 1.81 read "-4.444444444444445e+59" one unit in the last place off, so a
// double the codec printed read back as another double and printed
// differently. Every number is now read as std::from_chars reads it.
TEST(ProtoJson, ADoubleReadsBackAsItselfAndPrintsTheSame) {
  for (const double number : {-4.444444444444445e+59, 0.1, 1e-300, 5e-324, 123456789.123456789,
                              std::numeric_limits<double>::max()}) {
    JsonShapes shapes;
    shapes.set_double_value(number);
    (*shapes.mutable_struct_value()->mutable_fields())["n"].set_number_value(number);
    const std::string printed = PrintProtoJson(shapes, ProtoJsonNames::kJson);
    JsonShapes again;
    ParseProtoJson(printed, again);
    EXPECT_EQ(again.double_value(), number) << printed;
    EXPECT_EQ(again.struct_value().fields().at("n").number_value(), number) << printed;
    EXPECT_EQ(PrintProtoJson(again, ProtoJsonNames::kJson), printed);
  }
  // The fuzzer's own: a 60-digit integer in a Struct, printed, read, printed.
  JsonShapes shapes;
  ParseProtoJson(
      R"({"structValue": {"n": -444444444444444444444444444444444444444444444444444444444440}})",
      shapes);
  const std::string printed = PrintProtoJson(shapes, ProtoJsonNames::kProto);
  EXPECT_NE(printed.find("-4.444444444444445e+59"), std::string::npos) << printed;
  JsonShapes again;
  ParseProtoJson(printed, again);
  EXPECT_EQ(PrintProtoJson(again, ProtoJsonNames::kProto), printed);
  // Numbers past a double's range are still infinite, as boost::json reads
  // them; text after the document is still refused.
  ParseProtoJson(R"({"structValue": {"n": 1e400}})", again);
  EXPECT_TRUE(std::isinf(again.struct_value().fields().at("n").number_value()));
  EXPECT_THROW(ParseProtoJson(R"({"doubleValue": 1.5} x)", again), std::invalid_argument);
}

// Found by tests/fuzz (proto_json) once numbers were read exactly: for
// 92111861842743528.08 in an int64 field the gateway (protobuf) and the
// codec rounded to different integers. An integer field takes a number
// written with a fraction or an exponent only when the text is an integer
// exactly, and then exactly that integer.
TEST(ProtoJson, AnIntegerFieldTakesOnlyANumberThatIsAnIntegerExactly) {
  EXPECT_NE(Refusal(R"({"int64Value": 92111861842743528.08})").find("int64_value"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"int32Value": 3.5})").find("int32_value"), std::string::npos);
  EXPECT_NE(Refusal(R"({"int64Value": 3.0000000000000001})").find("int64_value"),
            std::string::npos);
  JsonShapes read;
  ParseProtoJson(R"({"int64Value": 92111861842743528.00e0, "uint64Value": 1.8446744073709551615e19,
                     "int32Value": 30e-1, "uint32Value": 0.00, "sint64Value": -0.0,
                     "doubleValue": -0.0, "floatValue": 1.0})",
                 read);
  EXPECT_EQ(read.int64_value(), 92111861842743528);
  EXPECT_EQ(read.uint64_value(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(read.int32_value(), 3);
  EXPECT_EQ(read.uint32_value(), 0u);
  EXPECT_EQ(read.sint64_value(), 0);
  EXPECT_TRUE(std::signbit(read.double_value()));
  EXPECT_EQ(read.float_value(), 1.0f);
}

TEST(ProtoJson, SetFieldsAreTheSetOnesWithTheirPrintedValues) {
  JsonShapes shapes;
  shapes.set_int64_value(5);
  shapes.set_optional_value(0);
  shapes.add_string_list("x");
  shapes.mutable_inner();
  (*shapes.mutable_string_map())["z"] = "1";
  (*shapes.mutable_string_map())["a"] = "2";
  const auto fields = SetFieldsAsJson(shapes);
  ASSERT_EQ(fields.size(), 5u);
  EXPECT_EQ(fields[0].field, "int64_value");
  EXPECT_EQ(fields[0].json, "\"5\"");
  EXPECT_EQ(fields[1].field, "inner");
  EXPECT_EQ(fields[1].json, "{}");
  EXPECT_EQ(fields[2].field, "optional_value");
  EXPECT_EQ(fields[2].json, "0");
  EXPECT_EQ(fields[3].field, "string_list");
  EXPECT_EQ(fields[3].json, "[\"x\"]");
  EXPECT_EQ(fields[4].field, "string_map");
  EXPECT_EQ(fields[4].json, R"({"a":"2","z":"1"})");

  constexpr std::string_view kLeaveOut[] = {"inner", "string_map"};
  const auto fewer = SetFieldsAsJson(shapes, kLeaveOut);
  ASSERT_EQ(fewer.size(), 3u);
  EXPECT_EQ(fewer[1].field, "optional_value");
}

}  // namespace
}  // namespace karton::kernel
