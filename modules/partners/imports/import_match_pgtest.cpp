// Issue 16: the import matches rows on email and phone too (after id,
// external key and tax number, in an order the import may set), and rows of
// one file sharing an email or phone are one partner. The import's real SQL
// (import_repository) on a throwaway database, the rows read as
// ImportPartners reads them (PlanColumns, BuildImportRow, CopyRow).
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "imports/import_repository.h"
#include "imports/import_rows.h"
#include "karton/kernel/clock.h"
#include "karton/kernel/copy.h"
#include "karton/kernel/database.h"
#include "module_database_test.h"
#include "throwaway_postgres.h"

namespace karton::partners {
namespace {

using import_repository::MatchKey;

class ImportMatchTest : public karton::testing::ModuleDatabaseTest {
 protected:
  ImportMatchTest() : ModuleDatabaseTest("partners", {"partners"}) {}

  // Imports `records` (the first is the header; the fields are the import
  // fields) in UPSERT mode, matching by `order`, and commits.
  import_repository::ApplyCounts Import(
      const std::vector<std::vector<std::string>>& records,
      const std::vector<MatchKey>& order = import_repository::DefaultMatchOrder()) {
    const auto result = ImportRefusing(records, order);
    EXPECT_TRUE(result.errors.empty()) << result.errors.at(0).problem;
    return result.counts;
  }

  // As Import, the rows it refused allowed.
  import_repository::ApplyResult ImportRefusing(
      const std::vector<std::vector<std::string>>& records,
      const std::vector<MatchKey>& order = import_repository::DefaultMatchOrder()) {
    auto lease = database_->Acquire();
    soci::session& session = lease.Session();
    soci::transaction transaction(session);
    const auto now = context_.Time().Now();
    const auto import_id = import_repository::CreateImport(session, "upsert", false, "", 0, now);
    const Definitions definitions;
    std::string problem;
    const auto plan = PlanColumns(records.at(0), {}, definitions, problem);
    EXPECT_TRUE(plan) << problem;
    if (!plan) return {};
    {
      kernel::CopyIn copy(session, import_repository::kCopyRows);
      for (std::size_t i = 1; i < records.size(); ++i) {
        const auto row = BuildImportRow(*plan, records[i], ImportDefaults{}, definitions);
        EXPECT_TRUE(row.problems.empty()) << "row " << i << ": " << row.problems.at(0).problem;
        import_repository::CopyRow(copy, import_id, static_cast<std::int64_t>(i), row);
      }
      copy.Finish();
    }
    // The id column's header, when the file has one (as ImportPartners
    // passes it).
    const auto& header = records.at(0);
    const std::string id_column =
        std::find(header.begin(), header.end(), "id") != header.end() ? "id" : "";
    auto result = import_repository::ApplyImport(
        session, import_id, "upsert",
        import_repository::CreateDefaults(v1::PARTNER_KIND_ORGANIZATION), id_column, order, now);
    transaction.commit();
    return result;
  }

  std::string Query(const std::string& sql) const {
    return karton::testing::QueryScalar(conninfo_, sql);
  }
  std::string Partners() const {
    return Query(
        "SELECT string_agg(display_name || ':' || array_to_string(emails || phones, ' '), ' | ' "
        "ORDER BY id) FROM partners.partner");
  }
};

TEST_F(ImportMatchTest, AnEmailOnlyListImportsTwiceWithNothingNewTheSecondTime) {
  const std::vector<std::vector<std::string>> file = {
      {"display_name", "email"},
      {"Kiss Anna", " Anna@Pelda.HU "},
      {"Nagy Béla", "bela@pelda.hu"},
      {"Kiss Anna", "anna@pelda.hu"},  // the first row again, written otherwise
  };
  const auto first = Import(file);
  EXPECT_EQ(first.created, 2);
  EXPECT_EQ(first.duplicates, 1);
  EXPECT_EQ(Partners(), "Kiss Anna:anna@pelda.hu | Nagy Béla:bela@pelda.hu");

  const auto second = Import(file);
  EXPECT_EQ(second.created, 0);
  EXPECT_EQ(second.updated, 0);
  EXPECT_EQ(second.duplicates, 3);
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), "2");
}

TEST_F(ImportMatchTest, RowsSharingAnEmailOrPhoneAreOnePartnerButTwoKeysAreTwo) {
  // a and b share an email, b and c a phone (written two ways): one partner.
  // K-1 and K-2 share an email but are two external keys: two partners, and
  // the keyless row with that email joins the first.
  const auto counts = Import({
      {"external_id.crm", "display_name", "email", "phone"},
      {"", "Alfa Kft.", "iroda@alfa.hu", ""},
      {"", "Alfa", "iroda@alfa.hu", "06 30 111 2222"},
      {"", "Alfa Kft", "", "+36 30 111 2222"},
      {"K-1", "Béta Kft.", "info@beta.hu", ""},
      {"K-2", "Béta Bt.", "info@beta.hu", ""},
      {"", "Béta", "info@beta.hu", ""},
  });
  EXPECT_EQ(counts.created, 3);
  EXPECT_EQ(counts.duplicates, 3);
  EXPECT_EQ(Partners(), "Alfa Kft.:iroda@alfa.hu | Béta Kft.:info@beta.hu | Béta Bt.:info@beta.hu");
}

TEST_F(ImportMatchTest, RowsMatchTheEmailsAndPhonesOfPartnersAndOfTheirContacts) {
  Import({{"display_name", "contact.name", "contact.email", "contact.phone"},
          {"Tisza Fém Kft.", "Kiss Anna", "anna@tiszafem.hu", "06 30 111 2222"}});
  const auto counts = Import({{"display_name", "phone", "tag"},
                              {"Tisza Fém Kft.", "+36301112222", "prospect"},
                              {"Tisza", "", ""}});
  EXPECT_EQ(counts.created, 1);  // the nameless-by-key second row is new
  EXPECT_EQ(counts.updated, 1);
  EXPECT_EQ(Query("SELECT array_to_string(tags, ',') FROM partners.partner "
                  "WHERE display_name = 'Tisza Fém Kft.'"),
            "prospect");
  const auto by_contact_email = Import({{"display_name", "contact.name", "contact.email"},
                                        {"Tisza Fém Kft.", "Kiss Anna", "ANNA@tiszafem.hu"}});
  EXPECT_EQ(by_contact_email.created, 0);
  EXPECT_EQ(by_contact_email.contacts_created, 0);
}

// An import into a directory without partners skips the matching (it has
// nothing to match), but still refuses the Karton ids no partner has, and
// the next import matches again.
TEST_F(ImportMatchTest, AnEmptyDirectoryRefusesUnknownIdsAndTheNextImportMatches) {
  const auto first = ImportRefusing({{"id", "display_name", "tax_number"},
                                     {"999", "Nincs Kft.", ""},
                                     {"", "Új Kft.", "12345676-2-42"}});
  ASSERT_EQ(first.errors.size(), 1U);
  EXPECT_EQ(first.errors[0].row, 1);
  EXPECT_EQ(first.errors[0].problem, "there is no partner 999");
  EXPECT_EQ(first.counts.created, 1);

  const auto id = Query("SELECT id FROM partners.partner");
  EXPECT_EQ(Import({{"id", "tag"}, {id, "by-id"}}).updated, 1);
  const auto second =
      Import({{"display_name", "tax_number", "tag"}, {"Új Kft.", "12345676-2-42", "by-tax"}});
  EXPECT_EQ(second.created, 0);
  EXPECT_EQ(second.updated, 1);
  EXPECT_EQ(Query("SELECT array_to_string(tags, ',') FROM partners.partner"), "by-id,by-tax");
}

TEST_F(ImportMatchTest, TheMatchOrderIsHonouredAndKeysLeftOutAreNotMatchedOn) {
  Import({{"display_name", "tax_number"}, {"Adós Kft.", "12345676-2-42"}});
  Import({{"display_name", "email"}, {"Leveles Kft.", "posta@leveles.hu"}});
  // Email first: the partner with that email.
  EXPECT_EQ(Import({{"tax_number", "email", "tag"}, {"12345676-2-42", "posta@leveles.hu", "first"}},
                   {MatchKey::kEmail, MatchKey::kTaxNumber})
                .updated,
            1);
  EXPECT_EQ(Query("SELECT string_agg(display_name, ',') FROM partners.partner "
                  "WHERE 'first' = ANY (tags)"),
            "Leveles Kft.");
  // By default the tax number comes before the email: the other one (the
  // oldest of the two that now have it).
  EXPECT_EQ(Import({{"tax_number", "email", "tag"}, {"12345676-2-42", "posta@leveles.hu", "seen"}})
                .updated,
            1);
  EXPECT_EQ(Query("SELECT string_agg(display_name, ',') FROM partners.partner "
                  "WHERE 'seen' = ANY (tags)"),
            "Adós Kft.");

  // Phone left out: neither matched nor joining rows of the file.
  const std::vector<std::vector<std::string>> phones = {
      {"display_name", "phone"}, {"Egy Kft.", "06 1 234 5678"}, {"Kettő Kft.", "+3612345678"}};
  const std::vector<MatchKey> no_phone = {MatchKey::kId, MatchKey::kExternalId,
                                          MatchKey::kTaxNumber, MatchKey::kEmail};
  EXPECT_EQ(Import(phones, no_phone).created, 2);
  EXPECT_EQ(Import(phones, no_phone).created, 2);
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner WHERE '+3612345678' = ANY (phones)"), "4");
  // With it, both rows match the oldest of them.
  const auto with_phone = Import(phones);
  EXPECT_EQ(with_phone.created, 0);
  EXPECT_EQ(with_phone.duplicates, 2);
}

}  // namespace
}  // namespace karton::partners
