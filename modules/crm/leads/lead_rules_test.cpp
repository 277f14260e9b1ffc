// Unit tests of the checks every lead passes (lead_rules.h): the shapes of
// email and phone, what counts as acceptable text, and NormalizeLead's limits.
#include "leads/lead_rules.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace karton::crm {
namespace {

std::vector<std::string> Fields(const std::vector<kernel::FieldViolation>& violations) {
  std::vector<std::string> fields;
  for (const auto& violation : violations) fields.push_back(violation.field);
  return fields;
}

TEST(LeadRules, TrimmedDropsSpacesTabsAndLineBreaksAtBothEndsOnly) {
  EXPECT_EQ(Trimmed(" \t Kiss  János \r\n"), "Kiss  János");
  EXPECT_EQ(Trimmed(" \r\n\t "), "");
  EXPECT_EQ(Trimmed("x"), "x");
}

TEST(LeadRules, AnEmailHasOneAtADottedDomainAndAtMost254Bytes) {
  EXPECT_TRUE(LooksLikeEmail("kiss.janos+crm@pelda.hu"));
  for (const char* bad : {"kiss", "kiss@pelda", "@pelda.hu", "kiss@@pelda.hu", "a@b@pelda.hu",
                          "kiss janos@pelda.hu", "<kiss@pelda.hu>", "kiss@pelda.hu;x@y.hu"}) {
    EXPECT_FALSE(LooksLikeEmail(bad)) << bad;
  }
  const std::string domain = "@pelda.hu";                        // 9 bytes
  EXPECT_TRUE(LooksLikeEmail(std::string(245, 'a') + domain));   // 254 bytes
  EXPECT_FALSE(LooksLikeEmail(std::string(246, 'a') + domain));  // 255 bytes
}

TEST(LeadRules, APhoneHasSixDigitsAndOnlyDialingCharacters) {
  for (const char* good : {"+36 (1) 234-5678", "06/30 123 4567", "123456", "+36.1.234.5678"}) {
    EXPECT_TRUE(LooksLikePhone(good)) << good;
  }
  for (const char* bad : {"12345", "1-2-3-4-5", "+36 1 234 5678 ext 9", "++36 1 234 5678",
                          "36+1234567", "(((((((1)))))", "+36 1 234 5678 0000 0000 0000 0000"}) {
    EXPECT_FALSE(LooksLikePhone(bad)) << bad;
  }
}

TEST(LeadRules, AcceptableTextIsLimitedInBytesNotCharacters) {
  EXPECT_TRUE(IsAcceptableText(std::string(200, 'a'), 200));
  EXPECT_FALSE(IsAcceptableText(std::string(201, 'a'), 200));
  EXPECT_TRUE(IsAcceptableText("őű", 4));  // two characters, four bytes
  EXPECT_FALSE(IsAcceptableText("őű", 3));
  EXPECT_TRUE(IsAcceptableText("", 0));
}

TEST(LeadRules, AcceptableTextRefusesControlCharactersAndBrokenSequences) {
  EXPECT_TRUE(IsAcceptableText("a\tb\r\nc", 100));
  EXPECT_TRUE(IsAcceptableText("\xF0\x9F\x98\x80", 100));  // U+1F600, four bytes
  for (const std::string& bad :
       {std::string("\x7F"), std::string("a\x01"), std::string("\x1B[31m"), std::string("\x80"),
        std::string("\xC3\x28"), std::string("\xC0\xAF"), std::string("\xF5\x80\x80\x80"),
        std::string("\xF0\x9F\x98")}) {
    EXPECT_FALSE(IsAcceptableText(bad, 100))
        << "byte 0x" << std::hex << (static_cast<unsigned char>(bad[0]) + 0);
  }
}

// Overlong forms, UTF-16 surrogates and code points above U+10FFFF once
// passed; PostgreSQL refused them (22021) and a web form submission ended in
// INTERNAL instead of a violation naming the field.
TEST(LeadRules, AcceptableTextRefusesOverlongSurrogateAndOutOfRangeSequences) {
  for (const std::string& bad : {std::string("\xE0\x80\xAF"),         // overlong "/"
                                 std::string("\xED\xA0\x80"),         // surrogate U+D800
                                 std::string("\xF0\x80\x80\xAF"),     // overlong "/"
                                 std::string("\xF4\x90\x80\x80")}) {  // U+110000
    EXPECT_FALSE(IsAcceptableText(bad, 100))
        << "lead byte 0x" << std::hex << (static_cast<unsigned char>(bad[0]) + 0);
  }
}

TEST(LeadRules, ALeadNeedsAnEmailOrAPhone) {
  v1::Lead nothing;
  nothing.set_contact_name("Kiss");
  std::vector<kernel::FieldViolation> violations;
  NormalizeLead(nothing, "lead.", violations);
  ASSERT_EQ(Fields(violations), (std::vector<std::string>{"lead.email"}));
  EXPECT_EQ(violations.at(0).description, "give an email address or a phone number");

  v1::Lead phone_only;
  phone_only.set_phone(" +36 1 234 5678 ");
  violations.clear();
  NormalizeLead(phone_only, "lead.", violations);
  EXPECT_TRUE(violations.empty()) << violations.front().field;
  EXPECT_EQ(phone_only.phone(), "+36 1 234 5678");
}

TEST(LeadRules, ACountryIsTwoLettersAndViolationsUseTheGivenPrefix) {
  v1::Lead lead;
  lead.set_email("kiss@pelda.hu");
  lead.set_country("hun");
  std::vector<kernel::FieldViolation> violations;
  NormalizeLead(lead, "", violations);
  // Too long, and not an ISO code either.
  EXPECT_EQ(Fields(violations), (std::vector<std::string>{"country", "country"}));

  lead.set_country("h1");
  violations.clear();
  NormalizeLead(lead, "lead.", violations);
  EXPECT_EQ(Fields(violations), (std::vector<std::string>{"lead.country"}));
  EXPECT_EQ(lead.country(), "H1");
}

TEST(LeadRules, EachTooLongTextNamesItsFieldInCheckingOrder) {
  v1::Lead lead;
  lead.set_email("kiss@pelda.hu");
  lead.set_title(std::string(201, 't'));
  lead.set_tax_number(std::string(31, '1'));
  lead.set_postal_code(std::string(21, '6'));
  lead.set_category(std::string(65, 'c'));
  lead.set_city(std::string(200, 'c'));  // exactly the limit: fine
  std::vector<kernel::FieldViolation> violations;
  NormalizeLead(lead, "lead.", violations);
  EXPECT_EQ(Fields(violations), (std::vector<std::string>{"lead.title", "lead.tax_number",
                                                          "lead.postal_code", "lead.category"}));
}

TEST(LeadRules, CustomFieldsAreAtMostFiftyWithShortKeysAndValues) {
  v1::Lead lead;
  lead.set_email("kiss@pelda.hu");
  for (int i = 0; i < 50; ++i) (*lead.mutable_custom_fields())["k" + std::to_string(i)] = "v";
  std::vector<kernel::FieldViolation> violations;
  NormalizeLead(lead, "lead.", violations);
  EXPECT_TRUE(violations.empty());

  (*lead.mutable_custom_fields())["k50"] = "v";
  NormalizeLead(lead, "lead.", violations);
  EXPECT_EQ(Fields(violations), (std::vector<std::string>{"lead.custom_fields"}));

  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"", "empty key"},
                                                        {std::string(65, 'k'), "long key"},
                                                        {"size", std::string(2001, 'v')}}) {
    v1::Lead one;
    one.set_email("kiss@pelda.hu");
    (*one.mutable_custom_fields())[key] = value;
    violations.clear();
    NormalizeLead(one, "lead.", violations);
    EXPECT_EQ(Fields(violations), (std::vector<std::string>{"lead.custom_fields"}))
        << key.size() << " byte key";
  }
}

}  // namespace
}  // namespace karton::crm
