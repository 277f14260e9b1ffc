// Duplicates and merging (A8) end to end: the real kartond and PostgreSQL.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "karton/kernel/errors.h"
#include "partners_fixture.h"

namespace karton::testing {
namespace {

using partners::v1::DuplicatePair;

class PartnersMergeTest : public PartnersTest {
 protected:
  Partner Person(const std::string& name) {
    Partner partner;
    partner.set_kind(partners::v1::PARTNER_KIND_PERSON);
    partner.set_display_name(name);
    return Create(partner);
  }

  // The duplicates of one partner: duplicate id -> pair.
  std::map<std::int64_t, DuplicatePair> DuplicatesOf(std::int64_t id) {
    partners::v1::FindDuplicatesRequest request;
    request.set_partner_id(id);
    partners::v1::FindDuplicatesResponse response;
    const grpc::Status status = partners_->FindDuplicates(As(admin_).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(response.next_page_token().empty());
    std::map<std::int64_t, DuplicatePair> pairs;
    for (const auto& pair : response.pairs()) pairs[pair.duplicate_id()] = pair;
    return pairs;
  }

  grpc::Status Merge(std::int64_t keep, std::int64_t merge, Partner* kept,
                     const std::string& merge_etag = "") {
    partners::v1::MergePartnersRequest request;
    request.set_keep_partner_id(keep);
    request.set_merge_partner_id(merge);
    request.set_merge_etag(merge_etag);
    return partners_->MergePartners(As(admin_).get(), request, kept);
  }

  Partner Get(std::int64_t id) {
    partners::v1::GetPartnerRequest request;
    request.set_id(id);
    Partner partner;
    const grpc::Status status = partners_->GetPartner(As(admin_).get(), request, &partner);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return partner;
  }
};

std::vector<partners::v1::DuplicateReason> Reasons(const DuplicatePair& pair) {
  std::vector<partners::v1::DuplicateReason> reasons;
  for (int reason : pair.reasons()) {
    reasons.push_back(static_cast<partners::v1::DuplicateReason>(reason));
  }
  return reasons;
}

TEST_F(PartnersMergeTest, FindsDuplicatesByKeysAndByNamesWithoutLegalForms) {
  Partner kovacs_input = Organization("Kovács és Társa Kft.");
  kovacs_input.set_tax_number("12345676-2-42");
  kovacs_input.add_emails("info@kovacs.hu");
  const Partner kovacs = Create(kovacs_input);
  // Same name once folded and without its legal form.
  const Partner kovacs_bt = Create(Organization("KOVACS és társa Bt"));
  // Nothing alike but the email address.
  Partner mailbox_input = Organization("Szerviz Pont Zrt.");
  mailbox_input.add_emails("Info@Kovacs.hu");
  const Partner mailbox = Create(mailbox_input);
  // A typo.
  const Partner typo = Create(Organization("Kovács és Társa Kereskedelmi Kft."));
  const Partner pelda = Create(Organization("Példa Kereskedelmi Kft."));
  const Partner pelda_typo = Create(Organization("Pelda Kereskedelmy Kft"));
  // Different companies that share only the legal form.
  Create(Organization("Alfa Kft."));
  Create(Organization("Béta Kft."));
  const Partner anna = Person("Nagy Anna");
  const Partner anna_reversed = Person("Anna Nagy");
  Person("Nagy Péter");
  Partner phone_input = Organization("Egészen Más Bt.");
  phone_input.add_phones("+36301234567");
  const Partner phone = Create(phone_input);
  Partner phone_twin = Organization("Teljesen Más Nyrt.");
  phone_twin.add_phones("06 30 123 4567");
  const Partner phone_twin_created = Create(phone_twin);
  // Archived partners are out of the way.
  const Partner archived = Create(Organization("Kovács és Társa"));
  partners::v1::ArchivePartnerRequest archive;
  archive.set_id(archived.id());
  Partner unused;
  ASSERT_TRUE(partners_->ArchivePartner(As(admin_).get(), archive, &unused).ok());

  const auto of_kovacs = DuplicatesOf(kovacs.id());
  EXPECT_EQ(of_kovacs.size(), 2u);
  ASSERT_EQ(of_kovacs.count(kovacs_bt.id()), 1u);
  EXPECT_EQ(Reasons(of_kovacs.at(kovacs_bt.id())),
            (std::vector{partners::v1::DUPLICATE_REASON_SIMILAR_NAME}));
  EXPECT_DOUBLE_EQ(of_kovacs.at(kovacs_bt.id()).name_similarity(), 1.0);
  EXPECT_EQ(of_kovacs.at(kovacs_bt.id()).duplicate().display_name(), "KOVACS és társa Bt");
  ASSERT_EQ(of_kovacs.count(mailbox.id()), 1u);
  EXPECT_EQ(Reasons(of_kovacs.at(mailbox.id())),
            (std::vector{partners::v1::DUPLICATE_REASON_SAME_EMAIL}));
  // "Kovács és Társa Kereskedelmi" is another name ("kovacs" vs "kovacs
  // kereskedelmi"): below the threshold.
  EXPECT_EQ(of_kovacs.count(typo.id()), 0u);

  // Strongest first: a shared key before a similar name.
  partners::v1::FindDuplicatesRequest request;
  request.set_partner_id(kovacs.id());
  partners::v1::FindDuplicatesResponse response;
  ASSERT_TRUE(partners_->FindDuplicates(As(admin_).get(), request, &response).ok());
  ASSERT_EQ(response.pairs_size(), 2);
  EXPECT_EQ(response.pairs(0).duplicate_id(), mailbox.id());
  EXPECT_EQ(response.pairs(0).partner().display_name(), "Kovács és Társa Kft.");

  const auto of_pelda = DuplicatesOf(pelda.id());
  ASSERT_EQ(of_pelda.size(), 1u);
  EXPECT_EQ(of_pelda.count(pelda_typo.id()), 1u);
  const auto of_anna = DuplicatesOf(anna.id());
  ASSERT_EQ(of_anna.size(), 1u) << "Nagy Péter is not Nagy Anna";
  EXPECT_EQ(of_anna.count(anna_reversed.id()), 1u);

  // The scan of all partners, one pair per page: each pair once, lower id
  // first, and the pages end.
  std::set<std::pair<std::int64_t, std::int64_t>> pairs;
  request.Clear();
  request.set_page_size(1);
  int pages = 0;
  do {
    response.Clear();
    const grpc::Status status = partners_->FindDuplicates(As(admin_).get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const auto& pair : response.pairs()) {
      EXPECT_LT(pair.partner_id(), pair.duplicate_id());
      EXPECT_TRUE(pairs.insert({pair.partner_id(), pair.duplicate_id()}).second);
    }
    request.set_page_token(response.next_page_token());
    ASSERT_LT(++pages, 20);
  } while (!request.page_token().empty());
  EXPECT_EQ(pairs, (std::set<std::pair<std::int64_t, std::int64_t>>{
                       {kovacs.id(), kovacs_bt.id()},
                       {kovacs.id(), mailbox.id()},
                       {pelda.id(), pelda_typo.id()},
                       {anna.id(), anna_reversed.id()},
                       {phone.id(), phone_twin_created.id()}}));

  // Bad requests name their field.
  request.Clear();
  request.set_page_size(501);
  grpc::Status status = partners_->FindDuplicates(As(admin_).get(), request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "page_size");
  request.Clear();
  request.set_page_token("forged");
  status = partners_->FindDuplicates(As(admin_).get(), request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "page_token");
  request.Clear();
  request.set_partner_id(999999);
  EXPECT_EQ(partners_->FindDuplicates(As(admin_).get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(PartnersMergeTest, MergeMovesEverythingFillsGapsAndArchivesTheMergedPartner) {
  Partner keep_input = Organization("Példa Kft.");
  keep_input.add_emails("anna@pelda.hu");
  keep_input.add_tags("vip");
  (*keep_input.mutable_external_ids())["legacy_erp"] = "K-1";
  const Partner keep = Create(keep_input);
  Partner merge_input = Organization("Pelda Kft");
  merge_input.set_tax_number("12345676-2-42");
  merge_input.add_emails("bela@pelda.hu");
  merge_input.add_emails("anna@pelda.hu");
  merge_input.add_phones("+36301234567");
  merge_input.add_tags("retail");
  merge_input.set_website("https://pelda.hu");
  (*merge_input.mutable_external_ids())["legacy_erp"] = "M-1";
  (*merge_input.mutable_external_ids())["webshop"] = "W-1";
  const Partner merge = Create(merge_input);

  auto add_contact = [&](std::int64_t partner_id, const std::string& name) {
    partners::v1::CreateContactRequest request;
    request.set_partner_id(partner_id);
    request.mutable_contact()->set_name(name);
    request.mutable_contact()->set_primary(true);
    partners::v1::Contact contact;
    EXPECT_TRUE(partners_->CreateContact(As(admin_).get(), request, &contact).ok());
    return contact;
  };
  add_contact(keep.id(), "Kiss Éva");
  const auto bela = add_contact(merge.id(), "Tóth Béla");
  partners::v1::LogInteractionRequest log;
  log.mutable_interaction()->set_partner_id(merge.id());
  log.mutable_interaction()->set_channel(partners::v1::INTERACTION_CHANNEL_CALL);
  log.mutable_interaction()->set_direction(partners::v1::INTERACTION_DIRECTION_INBOUND);
  log.mutable_interaction()->set_subject("Asked for an offer");
  partners::v1::Interaction call;
  ASSERT_TRUE(partners_->LogInteraction(As(admin_).get(), log, &call).ok());
  partners::v1::Document document;
  ASSERT_TRUE(Upload("partners.partner", keep.id(), "contract.pdf", "keep v1", &document).ok());
  ASSERT_TRUE(Upload("partners.partner", merge.id(), "contract.pdf", "merge v1", &document).ok());
  ASSERT_TRUE(Upload("partners.partner", merge.id(), "contract.pdf", "merge v2", &document).ok());
  ASSERT_TRUE(Upload("partners.partner", merge.id(), "offer.pdf", "offer", &document).ok());

  // A stale etag of the merged partner: nothing happens.
  Partner kept;
  EXPECT_EQ(Merge(keep.id(), merge.id(), &kept, "999").error_code(), grpc::StatusCode::ABORTED);
  const std::string outbox_before = Query(
      "SELECT count(*) FROM (SELECT topic FROM kernel.event UNION ALL SELECT topic "
      "FROM kernel.event_outbox) e");

  grpc::Status status = Merge(keep.id(), merge.id(), &kept, Get(merge.id()).etag());
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(kept.id(), keep.id());
  EXPECT_EQ(kept.display_name(), "Példa Kft.");   // the kept partner's values win
  EXPECT_EQ(kept.tax_number(), "12345676-2-42");  // gaps are filled
  EXPECT_EQ(kept.website(), "https://pelda.hu");
  EXPECT_EQ(std::vector<std::string>(kept.emails().begin(), kept.emails().end()),
            (std::vector<std::string>{"anna@pelda.hu", "bela@pelda.hu"}));
  EXPECT_EQ(std::vector<std::string>(kept.tags().begin(), kept.tags().end()),
            (std::vector<std::string>{"vip", "retail"}));
  EXPECT_EQ(kept.phones_size(), 1);
  EXPECT_EQ(kept.external_ids().at("legacy_erp"), "K-1");
  EXPECT_EQ(kept.external_ids().at("webshop"), "W-1");
  EXPECT_FALSE(kept.archived());

  const Partner gone = Get(merge.id());
  EXPECT_TRUE(gone.archived());
  EXPECT_EQ(gone.merged_into_id(), keep.id());
  // The key the kept partner had its own of stays here: nothing is lost.
  EXPECT_EQ(gone.external_ids().size(), 1u);
  EXPECT_EQ(gone.external_ids().at("legacy_erp"), "M-1");

  // Contacts moved; the kept partner's primary contact stays the only one.
  partners::v1::ListContactsRequest contacts_request;
  contacts_request.set_partner_id(keep.id());
  partners::v1::ListContactsResponse contacts;
  ASSERT_TRUE(partners_->ListContacts(As(admin_).get(), contacts_request, &contacts).ok());
  ASSERT_EQ(contacts.contacts_size(), 2);
  EXPECT_EQ(contacts.contacts(0).name(), "Kiss Éva");
  EXPECT_TRUE(contacts.contacts(0).primary());
  EXPECT_EQ(contacts.contacts(1).id(), bela.id());
  EXPECT_FALSE(contacts.contacts(1).primary());

  partners::v1::ListTimelineRequest timeline_request;
  timeline_request.set_partner_id(keep.id());
  partners::v1::ListTimelineResponse timeline;
  ASSERT_TRUE(partners_->ListTimeline(As(admin_).get(), timeline_request, &timeline).ok());
  ASSERT_EQ(timeline.interactions_size(), 1);
  EXPECT_EQ(timeline.interactions(0).id(), call.id());

  // The merged partner's versions of a shared name become the newer ones.
  partners::v1::ListDocumentsRequest documents_request;
  documents_request.set_resource_type("partners.partner");
  documents_request.set_resource_id(keep.id());
  documents_request.set_all_versions(true);
  partners::v1::ListDocumentsResponse documents;
  ASSERT_TRUE(partners_->ListDocuments(As(admin_).get(), documents_request, &documents).ok());
  std::vector<std::string> listed;
  for (const auto& listed_document : documents.documents()) {
    std::string content;
    partners::v1::Document metadata;
    ASSERT_TRUE(Download(listed_document.id(), &metadata, &content).ok());
    listed.push_back(
        fmt::format("{} v{}: {}", listed_document.name(), listed_document.version(), content));
  }
  EXPECT_EQ(listed,
            (std::vector<std::string>{"contract.pdf v3: merge v2", "contract.pdf v2: merge v1",
                                      "contract.pdf v1: keep v1", "offer.pdf v1: offer"}));

  // Audited on both partners; one update and one merged event.
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.audit_entry WHERE resource_type = "
                  "'partners.partner' AND action = 'update' AND resource_id IN (" +
                  std::to_string(keep.id()) + ", " + std::to_string(merge.id()) + ")"),
            "2");
  EXPECT_EQ(Query("SELECT string_agg(topic, ',' ORDER BY id) FROM (SELECT topic, id FROM "
                  "kernel.event UNION ALL SELECT topic, id FROM kernel.event_outbox) e "
                  "WHERE topic IN ('partners.partner.updated', 'partners.partner.merged')"),
            "partners.partner.updated,partners.partner.merged");

  // Asking again is answered the same, without a second merge.
  Partner again;
  ASSERT_TRUE(Merge(keep.id(), merge.id(), &again).ok());
  EXPECT_EQ(again.etag(), kept.etag());
  EXPECT_EQ(Query("SELECT count(*) FROM (SELECT topic FROM kernel.event UNION ALL SELECT topic "
                  "FROM kernel.event_outbox) e"),
            std::to_string(std::stoi(outbox_before) + 2));

  // A merged partner is not merged again, not merged into and not restored.
  const Partner other = Create(Organization("Harmadik Kft."));
  EXPECT_EQ(Merge(other.id(), merge.id(), &again).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Merge(merge.id(), other.id(), &again).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  partners::v1::RestorePartnerRequest restore;
  restore.set_id(merge.id());
  EXPECT_EQ(partners_->RestorePartner(As(admin_).get(), restore, &again).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Bad requests name their fields.
  status = Merge(other.id(), other.id(), &again);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "merge_partner_id");
  status = Merge(0, other.id(), &again);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "keep_partner_id");
  status = Merge(other.id(), 999999, &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("merge_partner_id"), std::string::npos);
}

TEST_F(PartnersMergeTest, AMergeThatWouldOverfillTheCardChangesNothing) {
  Partner keep_input = Organization("Sok Email Kft.");
  Partner merge_input = Organization("Sok Email Bt.");
  for (int i = 0; i < 30; ++i) {
    keep_input.add_emails(fmt::format("keep{}@sok.hu", i));
    merge_input.add_emails(fmt::format("merge{}@sok.hu", i));
  }
  const Partner keep = Create(keep_input);
  const Partner merge = Create(merge_input);
  Partner kept;
  const grpc::Status status = Merge(keep.id(), merge.id(), &kept);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("partner.emails"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(Get(keep.id()).etag(), keep.etag());
  EXPECT_EQ(Get(merge.id()).merged_into_id(), 0);
}

TEST_F(PartnersMergeTest, CommandLineClientFindsAndMergesDuplicates) {
  const Partner keep = Create(Organization("Kovács és Társa Kft."));
  const Partner twin = Create(Organization("Kovacs Bt."));
  const std::string karton = KartonCommand(*kartond_, data_dir_.Path());
  const auto [scan_exit, scanned] = RunCommand(karton + " partners duplicates");
  EXPECT_EQ(scan_exit, 0) << scanned;
  EXPECT_NE(scanned.find("Kovacs Bt."), std::string::npos) << scanned;
  EXPECT_NE(scanned.find("similar_name (names 100% alike)"), std::string::npos) << scanned;
  const auto [merge_exit, merged] =
      RunCommand(fmt::format("{} partners merge {} {}", karton, keep.id(), twin.id()));
  EXPECT_EQ(merge_exit, 0) << merged;
  EXPECT_NE(merged.find("Kovács és Társa Kft. (id"), std::string::npos) << merged;
  const auto [shown_exit, shown] = RunCommand(fmt::format("{} partners get {}", karton, twin.id()));
  EXPECT_EQ(shown_exit, 0);
  EXPECT_NE(shown.find(fmt::format("merged into    {}", keep.id())), std::string::npos) << shown;
  const auto [again_exit, again] =
      RunCommand(fmt::format("{} partners merge {} {} 2>&1", karton, twin.id(), keep.id()));
  EXPECT_EQ(again_exit, 1) << again;
  EXPECT_NE(again.find("FAILED_PRECONDITION"), std::string::npos) << again;
}

}  // namespace
}  // namespace karton::testing
