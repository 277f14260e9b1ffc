// What makes a greeting: the checks on its fields and its text. Pure
// functions, so they are unit-tested without a database.
#pragma once

#include <string>
#include <vector>

#include "karton/hello/v1/greeting_service.pb.h"
#include "karton/kernel/errors.h"

namespace karton::hello {

// Whether kartond knows greetings in `language` ("en", "hu").
bool IsKnownLanguage(const std::string& language);

// The fields of `greeting` a caller got wrong, each named as in the request
// (`greeting.name`); empty when it can be created. A greeting without a
// language gets `default_language`.
std::vector<kernel::FieldViolation> CheckNewGreeting(v1::Greeting& greeting,
                                                     const std::string& default_language);

// "Hello, Anna!" or, in Hungarian, "Szia, Anna!".
std::string GreetingText(const v1::Greeting& greeting);

}  // namespace karton::hello
