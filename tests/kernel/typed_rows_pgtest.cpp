// TypedQuery against a real PostgreSQL: every column shape a module reads
// lands in the right field of the message, NULL stays unset, and a column
// that cannot fill a field is refused by name before any row is read.
#include <gtest/gtest.h>

#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/database.h"
#include "karton/kernel/typed_rows.h"
#include "karton/partners/v1/partner.pb.h"
#include "throwaway_postgres.h"

namespace karton::kernel {
namespace {

using partners::v1::Partner;
using testing::QueryScalar;
using testing::SharedPostgres;

class TypedRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(testing::DatabaseNameForCurrentTest());
    database_ = std::make_unique<Database>(conninfo_, 1);
    QueryScalar(conninfo_, R"sql(
CREATE TABLE card (
  id bigint PRIMARY KEY, kind text NOT NULL, display_name text NOT NULL, emails text[] NOT NULL,
  addresses jsonb NOT NULL, custom_fields jsonb NOT NULL, credit_limit_currency text,
  credit_limit_minor bigint, birthday date, create_time timestamptz NOT NULL,
  archived boolean NOT NULL, risk text, version bigint NOT NULL)
)sql");
    QueryScalar(conninfo_, R"sql(
INSERT INTO card VALUES
  (1, 'organization', 'Kovács "Társa" Kft.', ARRAY['a@kovacs.hu', 'b, c@kovacs.hu'],
   '[{"type": "ADDRESS_TYPE_BILLING", "city": "Szeged", "postalCode": "6720"}]',
   '{"industry": "retail"}', 'HUF', 150000050, '1990-03-15',
   '2026-12-03 10:11:12.345678+00', true, 'RISK_CLASS_HIGH', 7),
  (2, 'person', 'Nagy Anna', '{}', '[]', '{}', NULL, NULL, NULL,
   '1969-12-31 23:59:59.5+00', false, NULL, 1)
RETURNING id
)sql");
  }

  std::string conninfo_;
  std::unique_ptr<Database> database_;
};

const TypedQuery<Partner> kCards(R"sql(
SELECT id, kind, display_name, emails, addresses, custom_fields,
       credit_limit_currency AS "credit_limit.currency_code",
       credit_limit_minor AS "credit_limit.minor_units", birthday,
       (extract(epoch FROM create_time) * 1000000)::bigint AS create_time, archived,
       risk AS risk_class, version::text AS etag
FROM card WHERE id >= $1 ORDER BY id)sql");

TEST_F(TypedRowsTest, EveryColumnShapeFillsItsField) {
  auto lease = database_->Acquire();
  const std::vector<Partner> cards = kCards.All(lease.Session(), {"1"});
  ASSERT_EQ(cards.size(), 2u);
  const Partner& first = cards[0];
  EXPECT_EQ(first.id(), 1);
  EXPECT_EQ(first.kind(), partners::v1::PARTNER_KIND_ORGANIZATION);
  EXPECT_EQ(first.display_name(), "Kovács \"Társa\" Kft.");
  ASSERT_EQ(first.emails_size(), 2);
  EXPECT_EQ(first.emails(1), "b, c@kovacs.hu");
  ASSERT_EQ(first.addresses_size(), 1);
  EXPECT_EQ(first.addresses(0).type(), common::v1::ADDRESS_TYPE_BILLING);
  EXPECT_EQ(first.addresses(0).postal_code(), "6720");
  EXPECT_EQ(first.custom_fields().at("industry"), "retail");
  EXPECT_EQ(first.credit_limit().currency_code(), "HUF");
  EXPECT_EQ(first.credit_limit().minor_units(), 150000050);
  EXPECT_EQ(first.birthday().year(), 1990);
  EXPECT_EQ(first.birthday().month(), 3);
  EXPECT_EQ(first.birthday().day(), 15);
  EXPECT_EQ(first.create_time().seconds(), 1796292672);
  EXPECT_EQ(first.create_time().nanos(), 345678000);
  EXPECT_TRUE(first.archived());
  EXPECT_EQ(first.risk_class(), partners::v1::RISK_CLASS_HIGH);
  EXPECT_EQ(first.etag(), "7");

  // NULL leaves a field unset; a nested message with only NULL columns is
  // not made at all.
  const Partner& second = cards[1];
  EXPECT_EQ(second.kind(), partners::v1::PARTNER_KIND_PERSON);
  EXPECT_FALSE(second.has_credit_limit());
  EXPECT_FALSE(second.has_birthday());
  EXPECT_EQ(second.emails_size(), 0);
  EXPECT_EQ(second.risk_class(), partners::v1::RISK_CLASS_UNSPECIFIED);
  // Before 1970: the nanoseconds stay positive, as Timestamp requires.
  EXPECT_EQ(second.create_time().seconds(), -1);
  EXPECT_EQ(second.create_time().nanos(), 500000000);

  EXPECT_EQ(kCards.One(lease.Session(), {"2"})->display_name(), "Nagy Anna");
  EXPECT_FALSE(kCards.One(lease.Session(), {"3"}).has_value());
}

// Child rows as parallel arrays, one per field of the repeated message: the
// shape the crm and messaging repositories read lists in, without JSON.
const TypedQuery<crm::v1::Opportunity> kDealsWithHistory(R"sql(
SELECT d.id, h.stage_id AS "stage_history.stage_id", h.stage_name AS "stage_history.stage_name",
       h.change_time AS "stage_history.change_time", h.user_id AS "stage_history.user_id"
FROM (VALUES (1), (2)) d (id)
CROSS JOIN LATERAL (
  SELECT array_agg(c.stage_id ORDER BY c.at) AS stage_id,
         array_agg(c.stage_name ORDER BY c.at) AS stage_name,
         array_agg(c.micros ORDER BY c.at) AS change_time,
         array_agg(c.user_id ORDER BY c.at) AS user_id
  FROM (VALUES (1, 1, 10, 'Új, "friss"', 1796292672345678, 5),
               (1, 2, 11, 'NULL', NULL, NULL),
               (1, 3, 12, 'Megnyert', -500000, 6)) c (deal, at, stage_id, stage_name, micros, user_id)
  WHERE c.deal = d.id) h
ORDER BY d.id)sql");

TEST_F(TypedRowsTest, ParallelArraysFillTheElementsOfARepeatedMessage) {
  auto lease = database_->Acquire();
  const auto deals = kDealsWithHistory.All(lease.Session(), {});
  ASSERT_EQ(deals.size(), 2u);
  const auto& history = deals[0].stage_history();
  ASSERT_EQ(history.size(), 3);
  EXPECT_EQ(history[0].stage_id(), 10);
  EXPECT_EQ(history[0].stage_name(), "Új, \"friss\"");
  EXPECT_EQ(history[0].change_time().seconds(), 1796292672);
  EXPECT_EQ(history[0].change_time().nanos(), 345678000);
  EXPECT_EQ(history[0].user_id(), 5);
  // A NULL element leaves its field unset and keeps the others in line; a
  // quoted "NULL" is text.
  EXPECT_EQ(history[1].stage_id(), 11);
  EXPECT_EQ(history[1].stage_name(), "NULL");
  EXPECT_FALSE(history[1].has_change_time());
  EXPECT_EQ(history[1].user_id(), 0);
  EXPECT_EQ(history[2].stage_name(), "Megnyert");
  EXPECT_EQ(history[2].change_time().seconds(), -1);
  EXPECT_EQ(history[2].change_time().nanos(), 500000000);
  EXPECT_EQ(history[2].user_id(), 6);
  // No child rows: array_agg gives NULL, and the list stays empty.
  EXPECT_EQ(deals[1].id(), 2);
  EXPECT_EQ(deals[1].stage_history_size(), 0);
}

TEST_F(TypedRowsTest, AColumnThatCannotFillAFieldIsRefusedByName) {
  auto lease = database_->Acquire();
  const TypedQuery<Partner> no_field("SELECT id, display_name AS nickname FROM card");
  try {
    no_field.All(lease.Session(), {});
    FAIL() << "a column naming no field was read";
  } catch (const std::logic_error& error) {
    EXPECT_STREQ(error.what(),
                 "column nickname of a karton.partners.v1.Partner query: names no field");
  }
  const TypedQuery<Partner> wrong_type("SELECT create_time FROM card");
  EXPECT_THROW(wrong_type.All(lease.Session(), {}), std::logic_error);
  const TypedQuery<Partner> text_into_list("SELECT display_name AS emails FROM card");
  EXPECT_THROW(text_into_list.All(lease.Session(), {}), std::logic_error);
  // A field of a repeated message's elements needs an array.
  const TypedQuery<crm::v1::Opportunity> scalar_into_elements(
      "SELECT 1::bigint AS \"stage_history.stage_id\"");
  try {
    scalar_into_elements.All(lease.Session(), {});
    FAIL() << "a scalar filled the elements of a list";
  } catch (const std::logic_error& error) {
    EXPECT_STREQ(error.what(),
                 "column stage_history.stage_id of a karton.crm.v1.Opportunity query: a field of "
                 "a repeated message's elements needs an array");
  }
  const TypedQuery<crm::v1::Opportunity> list_without_fields(
      "SELECT ARRAY[1::bigint] AS stage_history");
  EXPECT_THROW(list_without_fields.All(lease.Session(), {}), std::logic_error);
}

}  // namespace
}  // namespace karton::kernel
