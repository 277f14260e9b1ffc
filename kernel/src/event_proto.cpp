#include "event_proto.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <stdexcept>

namespace karton::kernel {

void ToProto(const Event& event, v1::Event* message) {
  message->set_id(event.id);
  message->set_topic(event.topic);
  message->set_aggregate_id(event.aggregate_id);
  message->set_module(event.module);
  *message->mutable_publish_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(ToEpochMicros(event.publish_time));
  message->set_actor_user_id(event.actor_user_id);
  message->mutable_payload()->set_type_url("type.googleapis.com/" + event.payload_type);
  message->mutable_payload()->set_value(event.payload);
}

std::string ToJson(const Event& event) {
  v1::Event message;
  ToProto(event, &message);
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    throw std::runtime_error("event " + std::to_string(event.id) +
                             " cannot be printed as JSON: " + std::string(status.message()));
  }
  return json;
}

}  // namespace karton::kernel
