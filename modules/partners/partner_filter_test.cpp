#include "partner_filter.h"

#include <gtest/gtest.h>

namespace karton::partners {
namespace {

const CustomFieldTypes kCustom = {
    {"industry", "choice"}, {"employees", "number"}, {"since", "date"}, {"newsletter", "bool"}};

TEST(PartnerFilter, TurnsFieldsIntoFixedSqlAndValuesIntoParameters) {
  std::string problem;
  const auto sql = ParseFilter(R"(tag = "VIP" AND city = "Szeged" AND custom.industry = "retail")",
                               kCustom, problem);
  ASSERT_TRUE(sql) << problem;
  EXPECT_EQ(sql->where,
            "(p.tags @> ARRAY[cast(:f0 AS text)]) AND "
            "(p.addresses @> jsonb_build_array(jsonb_build_object('city', cast(:f1 AS text)))) AND "
            "(p.custom_fields @> jsonb_build_object(cast(:f2 AS text), cast(:f3 AS text)))");
  EXPECT_EQ(sql->params, (std::vector<std::string>{"vip", "Szeged", "industry", "retail"}));
  EXPECT_FALSE(sql->mentions_archived);
}

TEST(PartnerFilter, ContactEmailAsksTheContacts) {
  std::string problem;
  const auto sql = ParseFilter(R"(contact.email = "Anna@Example.HU")", kCustom, problem);
  ASSERT_TRUE(sql) << problem;
  EXPECT_EQ(sql->where,
            "(p.id = ANY(ARRAY(SELECT c.partner_id FROM partners.contact c WHERE c.emails @> "
            "ARRAY[cast(:f0 AS text)])))");
  EXPECT_EQ(sql->params, (std::vector<std::string>{"anna@example.hu"}));
  // A partner's own email too: the few partners it names are found first
  // (through the GIN index) and then sorted, whatever plan a prepared list
  // gets; a tag, which may name thousands, stays a condition.
  const auto own = ParseFilter(R"(email = "Anna@Example.HU" AND tag = "vip")", kCustom, problem);
  ASSERT_TRUE(own) << problem;
  EXPECT_EQ(own->where,
            "(p.id = ANY(ARRAY(SELECT m.id FROM partners.partner m WHERE m.emails @> "
            "ARRAY[cast(:f0 AS text)]))) AND (p.tags @> ARRAY[cast(:f1 AS text)])");
  const auto negated = ParseFilter(R"(contact.email != "a@b.hu")", kCustom, problem);
  ASSERT_TRUE(negated) << problem;
  EXPECT_EQ(negated->where,
            "(NOT EXISTS (SELECT 1 FROM partners.contact c WHERE c.partner_id = p.id AND "
            "c.emails @> ARRAY[cast(:f0 AS text)]))");
  EXPECT_FALSE(ParseFilter("contact.email > \"a\"", kCustom, problem));
}

TEST(PartnerFilter, ValuesNeverBecomeSql) {
  std::string problem;
  const auto sql = ParseFilter(R"(display_name = "x' OR 1=1 --")", kCustom, problem);
  ASSERT_TRUE(sql) << problem;
  EXPECT_EQ(sql->where, "(p.display_name = cast(:f0 AS text))");
  EXPECT_EQ(sql->params.front(), "x' OR 1=1 --");
}

TEST(PartnerFilter, TypedComparisons) {
  std::string problem;
  auto sql = ParseFilter(R"(custom.employees >= 10 AND create_time < "2026-01-01T00:00:00Z")",
                         kCustom, problem);
  ASSERT_TRUE(sql) << problem;
  EXPECT_NE(sql->where.find("AS numeric) >= cast(:f1 AS numeric)"), std::string::npos);
  EXPECT_NE(sql->where.find("p.create_time < cast(:f2 AS timestamptz)"), std::string::npos);
  sql = ParseFilter("archived = true and kind = \"person\"", kCustom, problem);
  ASSERT_TRUE(sql) << problem;
  EXPECT_TRUE(sql->mentions_archived);
  EXPECT_TRUE(ParseFilter("", kCustom, problem)->where.empty());
  // Birthdays by month and day, for greetings.
  sql = ParseFilter(R"(birthday_day = "12-04")", kCustom, problem);
  ASSERT_TRUE(sql) << problem;
  EXPECT_EQ(sql->where, "((to_char(p.birthday, 'MM-DD') = cast(:f0 AS text)))");
  EXPECT_FALSE(ParseFilter(R"(birthday_day = "1204")", kCustom, problem));
  EXPECT_NE(problem.find("\"03-15\""), std::string::npos) << problem;
  // The newest timeline entry, for segments of forgotten customers.
  sql = ParseFilter(R"(last_interaction_time < "2026-06-01T00:00:00Z")", kCustom, problem);
  ASSERT_TRUE(sql) << problem;
  EXPECT_NE(sql->where.find("max(i.occur_time)"), std::string::npos) << sql->where;
  EXPECT_NE(sql->where.find("'-infinity') < cast(:f0 AS timestamptz)"), std::string::npos)
      << sql->where;
  EXPECT_FALSE(ParseFilter("last_interaction_time < 5", kCustom, problem));
}

TEST(PartnerFilter, RolesTermsAndTheGroup) {
  std::string problem;
  auto sql = ParseFilter(
      "customer = true AND supplier != false AND parent_partner_id = 17 AND "
      "payment_terms_days >= 30 AND default_currency_code = \"EUR\"",
      kCustom, problem);
  ASSERT_TRUE(sql) << problem;
  EXPECT_EQ(sql->where,
            "(p.customer = cast(:f0 AS boolean)) AND (p.supplier <> cast(:f1 AS boolean)) AND "
            "(p.parent_partner_id = cast(:f2 AS bigint)) AND "
            "(p.payment_terms_days >= cast(:f3 AS bigint)) AND "
            "(p.default_currency_code = cast(:f4 AS text))");
  EXPECT_EQ(sql->params, (std::vector<std::string>{"true", "false", "17", "30", "EUR"}));
  EXPECT_FALSE(sql->mentions_archived);
  // 0 is "no parent"; != a parent keeps the partners without one.
  sql = ParseFilter("parent_partner_id = 0", kCustom, problem);
  ASSERT_TRUE(sql) << problem;
  EXPECT_EQ(sql->where, "(p.parent_partner_id IS NULL)");
  sql = ParseFilter("parent_partner_id != 0", kCustom, problem);
  EXPECT_EQ(sql->where, "(p.parent_partner_id IS NOT NULL)");
  sql = ParseFilter("parent_partner_id != 5", kCustom, problem);
  EXPECT_EQ(sql->where, "(p.parent_partner_id IS DISTINCT FROM cast(:f0 AS bigint))");
  EXPECT_FALSE(ParseFilter("parent_partner_id > 5", kCustom, problem));
  EXPECT_FALSE(ParseFilter("parent_partner_id = \"x\"", kCustom, problem));
  EXPECT_FALSE(ParseFilter("customer = \"yes\"", kCustom, problem));
}

TEST(PartnerFilter, RefusesWhatItCannotReadNamingWhere) {
  std::string problem;
  EXPECT_FALSE(ParseFilter("password = \"x\"", kCustom, problem));
  EXPECT_NE(problem.find("'password' is not a field"), std::string::npos) << problem;
  EXPECT_FALSE(ParseFilter("tag = vip", kCustom, problem));
  EXPECT_NE(problem.find("quote strings"), std::string::npos) << problem;
  EXPECT_FALSE(ParseFilter("tag > \"a\"", kCustom, problem));
  EXPECT_FALSE(ParseFilter("tag = \"a\" OR city = \"b\"", kCustom, problem));
  EXPECT_EQ(problem, "expected AND at 11");
  EXPECT_FALSE(ParseFilter("custom.colour = \"red\"", kCustom, problem));
  EXPECT_FALSE(ParseFilter("custom.employees = \"many\"", kCustom, problem));
  EXPECT_FALSE(ParseFilter("city = \"Szeged", kCustom, problem));
  EXPECT_NE(problem.find("no closing quote"), std::string::npos);
  EXPECT_FALSE(ParseFilter("kind = \"robot\"", kCustom, problem));
  EXPECT_FALSE(ParseFilter("create_time > \"yesterday\"", kCustom, problem));
}

}  // namespace
}  // namespace karton::partners
