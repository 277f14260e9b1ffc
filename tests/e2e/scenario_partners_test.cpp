// The partners module's story, end to end against a real kartond: the same
// customer was entered twice, by sales and by accounting, each with what
// they knew; someone notices, and the two cards become one, with nothing
// lost. Entered once, visible everywhere. The detailed rules have tests of
// their own (partners_test, partners_merge_test).
#include <gtest/gtest.h>

#include "partners_fixture.h"

namespace karton::testing {
namespace {

TEST_F(PartnersTest, ScenarioACustomerEnteredTwiceBecomesOneCardWithNothingLost) {
  // Sales enters the company with its email and its buyer.
  Partner sales_input = Organization("Példa Fűtéstechnika Kft.");
  sales_input.add_emails("iroda@pelda.hu");
  const Partner sales_card = Create(sales_input);
  partners::v1::CreateContactRequest buyer;
  buyer.set_partner_id(sales_card.id());
  buyer.mutable_contact()->set_name("Kiss Éva");
  buyer.mutable_contact()->set_primary(true);
  partners::v1::Contact eva;
  ASSERT_TRUE(partners_->CreateContact(As(admin_).get(), buyer, &eva).ok());

  // Accounting, a week later, enters it again from an invoice, spelled its
  // own way, with the tax number and a phone, and logs a call on it.
  Partner accounting_input = Organization("PELDA FUTESTECHNIKA KFT");
  accounting_input.set_tax_number("12345676-2-42");
  accounting_input.add_phones("+36301234567");
  const Partner accounting_card = Create(accounting_input);
  partners::v1::LogInteractionRequest log;
  log.mutable_interaction()->set_partner_id(accounting_card.id());
  log.mutable_interaction()->set_channel(partners::v1::INTERACTION_CHANNEL_CALL);
  log.mutable_interaction()->set_direction(partners::v1::INTERACTION_DIRECTION_INBOUND);
  log.mutable_interaction()->set_subject("A számla határidejéről");
  partners::v1::Interaction call;
  ASSERT_TRUE(partners_->LogInteraction(As(admin_).get(), log, &call).ok());

  // Looking at the sales card, the duplicate shows up, accents and case aside.
  partners::v1::FindDuplicatesRequest find;
  find.set_partner_id(sales_card.id());
  partners::v1::FindDuplicatesResponse found;
  ASSERT_TRUE(partners_->FindDuplicates(As(admin_).get(), find, &found).ok());
  ASSERT_EQ(found.pairs_size(), 1);
  EXPECT_EQ(found.pairs(0).duplicate_id(), accounting_card.id());

  // They merge it into the sales card.
  partners::v1::MergePartnersRequest merge;
  merge.set_keep_partner_id(sales_card.id());
  merge.set_merge_partner_id(accounting_card.id());
  Partner kept;
  auto status = partners_->MergePartners(As(admin_).get(), merge, &kept);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // One card with everything both knew: the sales name, the tax number and
  // phone from accounting, Éva, and the call.
  EXPECT_EQ(kept.display_name(), "Példa Fűtéstechnika Kft.");
  EXPECT_EQ(kept.tax_number(), "12345676-2-42");
  EXPECT_EQ(kept.phones_size(), 1);
  EXPECT_EQ(kept.emails_size(), 1);
  partners::v1::ListContactsRequest list_contacts;
  list_contacts.set_partner_id(kept.id());
  partners::v1::ListContactsResponse contacts;
  ASSERT_TRUE(partners_->ListContacts(As(admin_).get(), list_contacts, &contacts).ok());
  ASSERT_EQ(contacts.contacts_size(), 1);
  EXPECT_EQ(contacts.contacts(0).name(), "Kiss Éva");
  partners::v1::ListTimelineRequest timeline;
  timeline.set_partner_id(kept.id());
  partners::v1::ListTimelineResponse entries;
  ASSERT_TRUE(partners_->ListTimeline(As(admin_).get(), timeline, &entries).ok());
  ASSERT_EQ(entries.interactions_size(), 1);
  EXPECT_EQ(entries.interactions(0).subject(), "A számla határidejéről");

  // The other card is archived and says where it went; a search finds one.
  partners::v1::GetPartnerRequest get;
  get.set_id(accounting_card.id());
  Partner gone;
  ASSERT_TRUE(partners_->GetPartner(As(admin_).get(), get, &gone).ok());
  EXPECT_TRUE(gone.archived());
  EXPECT_EQ(gone.merged_into_id(), kept.id());
  partners::v1::SearchPartnersRequest search;
  search.set_query("pelda futestechnika");
  partners::v1::SearchPartnersResponse results;
  ASSERT_TRUE(partners_->SearchPartners(As(admin_).get(), search, &results).ok());
  ASSERT_EQ(results.partners_size(), 1);
  EXPECT_EQ(results.partners(0).id(), kept.id());
}

}  // namespace
}  // namespace karton::testing
