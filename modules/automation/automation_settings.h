// The automation module's settings (kartond --module-option automation.<key>=<value>),
// read once in Register() and handed to the services that need them.
#pragma once

#include <string>

namespace karton::automation {

// The module's settings (kartond --module-option automation.<key>=<value>).
struct AutomationSettings {
  // The zone in which a rule's "09:00 on the date in a field" is read.
  std::string time_zone = "Europe/Budapest";
  // The local time, "HH:MM", of the daily birthday and name-day greetings.
  std::string greeting_time = "08:00";
};

}  // namespace karton::automation
