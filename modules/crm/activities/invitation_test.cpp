// The iTIP invitation of an activity, parsed back with libical.
#include "activities/invitation.h"

#include <gtest/gtest.h>
#include <libical/ical.h>

#include <memory>
#include <string>
#include <vector>

namespace karton::crm {
namespace {

struct ComponentDeleter {
  void operator()(icalcomponent* component) const { icalcomponent_free(component); }
};
using Component = std::unique_ptr<icalcomponent, ComponentDeleter>;

v1::Activity Meeting() {
  v1::Activity activity;
  activity.set_id(42);
  activity.set_type(v1::ACTIVITY_TYPE_MEETING);
  activity.set_subject("Tárgyalás, 2027-es keretszerződés");
  activity.set_description("Napirend:\n1. árak; 2. szállítás");
  activity.set_location("Szeged, Kárász utca 5.");
  activity.mutable_start_time()->set_seconds(1796547600);  // 2026-12-06 09:00:00 UTC
  activity.mutable_duration()->set_seconds(5400);
  activity.set_ical_uid("karton-activity-42-0123abcd@karton");
  return activity;
}

const std::vector<InvitationPerson> kAttendees = {{"anna@vevo.example", "Kovács Anna"},
                                                  {"bela@vevo.example", ""}};
const InvitationPerson kOrganizer{"eva@ceg.example", "Szabó Éva"};
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1796000000));

std::string Parameter(icalproperty* property, icalparameter_kind kind) {
  icalparameter* parameter = icalproperty_get_first_parameter(property, kind);
  if (parameter == nullptr) return "";
  std::unique_ptr<char, decltype(&free)> text(icalparameter_as_ical_string_r(parameter), &free);
  return text.get();
}

TEST(InvitationTest, RequestCarriesMethodUidSequenceTimesAndEachAttendee) {
  const std::string ics = BuildInvitation(Meeting(), "REQUEST", 3, kOrganizer, kAttendees, kNow);
  EXPECT_NE(ics.find("\r\n"), std::string::npos) << "iCalendar lines end in CRLF";
  Component calendar(icalparser_parse_string(ics.c_str()));
  ASSERT_TRUE(calendar) << ics;
  ASSERT_EQ(icalcomponent_isa(calendar.get()), ICAL_VCALENDAR_COMPONENT);
  EXPECT_EQ(icalcomponent_get_method(calendar.get()), ICAL_METHOD_REQUEST);
  icalcomponent* event = icalcomponent_get_first_component(calendar.get(), ICAL_VEVENT_COMPONENT);
  ASSERT_NE(event, nullptr);
  EXPECT_STREQ(icalcomponent_get_uid(event), "karton-activity-42-0123abcd@karton");
  EXPECT_EQ(icalcomponent_get_sequence(event), 3);
  EXPECT_EQ(icalcomponent_get_status(event), ICAL_STATUS_CONFIRMED);
  EXPECT_STREQ(icalcomponent_get_summary(event), "Tárgyalás, 2027-es keretszerződés");
  EXPECT_STREQ(icalcomponent_get_location(event), "Szeged, Kárász utca 5.");
  EXPECT_STREQ(icalcomponent_get_description(event), "Napirend:\n1. árak; 2. szállítás");
  const icaltimetype start = icalcomponent_get_dtstart(event);
  EXPECT_TRUE(icaltime_is_utc(start));
  EXPECT_EQ(icaltime_as_timet(start), 1796547600);
  EXPECT_EQ(icaltime_as_timet(icalcomponent_get_dtend(event)), 1796547600 + 5400);
  EXPECT_EQ(icaltime_as_timet(icalcomponent_get_dtstamp(event)), 1796000000);
  EXPECT_NE(ics.find("DTSTART:20261206T090000Z"), std::string::npos) << ics;

  icalproperty* organizer = icalcomponent_get_first_property(event, ICAL_ORGANIZER_PROPERTY);
  ASSERT_NE(organizer, nullptr);
  EXPECT_STREQ(icalproperty_get_organizer(organizer), "mailto:eva@ceg.example");
  EXPECT_EQ(Parameter(organizer, ICAL_CN_PARAMETER), "CN=Szabó Éva");

  std::vector<std::string> attendees;
  for (icalproperty* attendee = icalcomponent_get_first_property(event, ICAL_ATTENDEE_PROPERTY);
       attendee != nullptr;
       attendee = icalcomponent_get_next_property(event, ICAL_ATTENDEE_PROPERTY)) {
    attendees.push_back(icalproperty_get_attendee(attendee));
    EXPECT_EQ(Parameter(attendee, ICAL_ROLE_PARAMETER), "ROLE=REQ-PARTICIPANT");
    EXPECT_EQ(Parameter(attendee, ICAL_PARTSTAT_PARAMETER), "PARTSTAT=NEEDS-ACTION");
    EXPECT_EQ(Parameter(attendee, ICAL_RSVP_PARAMETER), "RSVP=TRUE");
  }
  EXPECT_EQ(attendees,
            (std::vector<std::string>{"mailto:anna@vevo.example", "mailto:bela@vevo.example"}));
  icalproperty* anna = icalcomponent_get_first_property(event, ICAL_ATTENDEE_PROPERTY);
  EXPECT_EQ(Parameter(anna, ICAL_CN_PARAMETER), "CN=Kovács Anna");
}

TEST(InvitationTest, CancelIsMethodCancelAndStatusCancelled) {
  const std::string ics =
      BuildInvitation(Meeting(), "CANCEL", 4, kOrganizer, {kAttendees[1]}, kNow);
  Component calendar(icalparser_parse_string(ics.c_str()));
  ASSERT_TRUE(calendar) << ics;
  EXPECT_EQ(icalcomponent_get_method(calendar.get()), ICAL_METHOD_CANCEL);
  icalcomponent* event = icalcomponent_get_first_component(calendar.get(), ICAL_VEVENT_COMPONENT);
  ASSERT_NE(event, nullptr);
  EXPECT_STREQ(icalcomponent_get_uid(event), "karton-activity-42-0123abcd@karton");
  EXPECT_EQ(icalcomponent_get_sequence(event), 4);
  EXPECT_EQ(icalcomponent_get_status(event), ICAL_STATUS_CANCELLED);
  EXPECT_EQ(icalcomponent_count_properties(event, ICAL_ATTENDEE_PROPERTY), 1);
}

TEST(InvitationTest, TextThatLooksLikeICalendarStaysText) {
  v1::Activity activity = Meeting();
  activity.set_subject("Evil\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:other");
  activity.set_location("a;b,c\\d");
  const std::string ics = BuildInvitation(activity, "REQUEST", 0, kOrganizer, kAttendees, kNow);
  Component calendar(icalparser_parse_string(ics.c_str()));
  ASSERT_TRUE(calendar) << ics;
  EXPECT_EQ(icalcomponent_count_components(calendar.get(), ICAL_VEVENT_COMPONENT), 1) << ics;
  icalcomponent* event = icalcomponent_get_first_component(calendar.get(), ICAL_VEVENT_COMPONENT);
  EXPECT_STREQ(icalcomponent_get_uid(event), "karton-activity-42-0123abcd@karton");
  EXPECT_STREQ(icalcomponent_get_location(event), "a;b,c\\d");
}

}  // namespace
}  // namespace karton::crm
