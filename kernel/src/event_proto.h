// A domain event in its public forms: the karton.kernel.v1.Event message
// (Subscribe streams) and its JSON mapping (webhook bodies).
#pragma once

#include <string>

#include "karton/kernel/events.h"
#include "karton/kernel/v1/event_service.pb.h"

namespace karton::kernel {

// The payload goes into a google.protobuf.Any of its declared type.
void ToProto(const Event& event, v1::Event* message);
// protobuf's JSON mapping of ToProto's message, every field printed, the
// payload resolved by its type ("@type"). Throws std::runtime_error when the
// payload cannot be printed (its type is not linked into kartond).
std::string ToJson(const Event& event);

}  // namespace karton::kernel
