// schema/partners/0009 on a database that has partners already: the card
// as it was (migrations 0001-0008) with persons and organisations in it,
// then the new migration, then what the rows became. Existing partners are
// customers and no suppliers; persons get their names from their display
// names, family name first (docs/partners.md, "Names of persons"). And
// 0010 the same way: the names join the search text of the partners there
// are (docs/partners.md, "Search").
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "karton/kernel/database.h"
#include "kernel_migrations.h"
#include "migrator.h"
#include "throwaway_postgres.h"

namespace karton::partners {
namespace {

using karton::testing::QueryScalar;

// The shipped partners migrations whose file names sort before `before`.
kernel::ModuleMigrations PartnersMigrationsBefore(const std::string& before) {
  const auto folder =
      std::filesystem::path(KARTON_TEST_SOURCE_DIR).parent_path() / "schema" / "partners";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() == ".sql" && entry.path().filename().string() < before) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  kernel::ModuleMigrations migrations{"partners", {}};
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    migrations.files.push_back({file.filename().string(), text.str()});
  }
  return migrations;
}

class PartnerCardMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = karton::testing::SharedPostgres().CreateDatabase(
        karton::testing::DatabaseNameForCurrentTest());
    database_ = std::make_unique<kernel::Database>(conninfo_, 2);
    kernel::Migrator(*database_)
        .Apply({kernel::KernelMigrations(), PartnersMigrationsBefore("0009")});
  }

  // A partner as the card stored it before 0009; its id.
  std::string Insert(const std::string& kind, const std::string& display_name,
                     const std::string& extra_columns = "", const std::string& extra_values = "") {
    return QueryScalar(conninfo_,
                       "INSERT INTO partners.partner (kind, display_name, create_time, "
                       "update_time" +
                           extra_columns + ") VALUES ('" + kind + "', '" + display_name +
                           "', now(), now()" + extra_values + ") RETURNING id");
  }

  std::string Names(const std::string& id) {
    return QueryScalar(conninfo_,
                       "SELECT salutation || '|' || last_name || '|' || first_name FROM "
                       "partners.partner WHERE id = " +
                           id);
  }

  std::string conninfo_;
  std::unique_ptr<kernel::Database> database_;
};

TEST_F(PartnerCardMigrationTest, ExistingPartnersBecomeCustomersAndPersonsGetTheirNames) {
  const std::string kovacs = Insert("person", "Kovács Anna");
  const std::string married = Insert("person", "Kovácsné Nagy Anna");
  const std::string doctor = Insert("person", "Dr. Szabó Péter");
  const std::string professor = Insert("person", "prof. dr.  Kiss  Béla");
  const std::string single = Insert("person", "Madonna");
  const std::string erased = Insert("person", "Erased partner 6", ", erase_time", ", now()");
  const std::string company = Insert("organization", "Kovács és Társa Kft.");
  const std::string long_name = Insert("person", std::string(120, 'x') + " Anna");

  kernel::ModuleMigrations all = PartnersMigrationsBefore("0010");
  ASSERT_EQ(all.files.back().file_name.substr(0, 5), "0009_");
  EXPECT_EQ(kernel::Migrator(*database_).Apply({kernel::KernelMigrations(), all}),
            static_cast<int>(all.files.size()) - 8);

  // Family name first: everything before the last space, the given name after.
  EXPECT_EQ(Names(kovacs), "|Kovács|Anna");
  EXPECT_EQ(Names(married), "|Kovácsné Nagy|Anna");
  EXPECT_EQ(Names(doctor), "Dr.|Szabó|Péter");
  EXPECT_EQ(Names(professor), "prof. dr.|Kiss|Béla");
  EXPECT_EQ(Names(single), "|Madonna|");  // a single word is a family name
  // Erased persons stay nameless, organisations have none, and a name too
  // long for the API's bounds is not cut.
  EXPECT_EQ(Names(erased), "||");
  EXPECT_EQ(Names(company), "||");
  EXPECT_EQ(Names(long_name), "||Anna");
  // Display names are untouched.
  EXPECT_EQ(
      QueryScalar(conninfo_, "SELECT display_name FROM partners.partner WHERE id = " + professor),
      "prof. dr.  Kiss  Béla");

  // Every partner so far is a customer, none a supplier; no terms, no
  // parent, the defaults for currency and language.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM partners.partner WHERE customer AND NOT supplier "
                        "AND payment_terms_days = 0 AND default_currency_code = '' AND "
                        "preferred_language = '' AND parent_partner_id IS NULL"),
            "8");
  // A partner written later is what its writer says: not a customer by default.
  const std::string later = Insert("organization", "Új Kft.");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT customer FROM partners.partner WHERE id = " + later),
            "f");
  // The database refuses what the API does: a partner as its own parent,
  // terms beyond a year.
  EXPECT_THROW(QueryScalar(conninfo_,
                           "UPDATE partners.partner SET parent_partner_id = id WHERE "
                           "id = " +
                               company + " RETURNING id"),
               std::exception);
  EXPECT_THROW(QueryScalar(conninfo_,
                           "UPDATE partners.partner SET payment_terms_days = 366 "
                           "WHERE id = " +
                               company + " RETURNING id"),
               std::exception);
}

class SearchTextMigrationTest : public PartnerCardMigrationTest {
 protected:
  void SetUp() override {
    conninfo_ = karton::testing::SharedPostgres().CreateDatabase(
        karton::testing::DatabaseNameForCurrentTest());
    database_ = std::make_unique<kernel::Database>(conninfo_, 2);
    kernel::Migrator(*database_)
        .Apply({kernel::KernelMigrations(), PartnersMigrationsBefore("0010")});
  }

  std::string SearchText(const std::string& id) {
    return QueryScalar(conninfo_, "SELECT search_text FROM partners.partner WHERE id = " + id);
  }
};

TEST_F(SearchTextMigrationTest, TheNamesOnTheCardJoinTheSearchTextOfThePartnersThereAre) {
  // Written before 0010: the search text from the display name only.
  const auto with_names = [&](const std::string& display, const std::string& last,
                              const std::string& first) {
    return QueryScalar(
        conninfo_,
        "INSERT INTO partners.partner (kind, display_name, last_name, first_name, search_text, "
        "create_time, update_time) VALUES ('person', '" +
            display + "', '" + last + "', '" + first + "', kernel.fold('" + display +
            "'), now(), now()) RETURNING id");
  };
  const std::string western = with_names("Anna Smith", "Kovácsné Smith", "Anna");
  const std::string nickname = with_names("Öcsi", "Szőke", "Gábor");
  const std::string company = Insert("organization", "Szőke és Társa Kft.", ", search_text",
                                     ", kernel.fold('Szőke és Társa Kft.')");
  const std::string version_before =
      QueryScalar(conninfo_, "SELECT version FROM partners.partner WHERE id = " + nickname);

  kernel::ModuleMigrations all = PartnersMigrationsBefore("0011");
  ASSERT_EQ(all.files.back().file_name.substr(0, 5), "0010_");
  EXPECT_EQ(kernel::Migrator(*database_).Apply({kernel::KernelMigrations(), all}), 1);

  // Folded like every search text: no case, no accents.
  EXPECT_NE(SearchText(western).find("kovacsne smith"), std::string::npos) << SearchText(western);
  EXPECT_NE(SearchText(nickname).find("szoke gabor"), std::string::npos) << SearchText(nickname);
  EXPECT_NE(SearchText(nickname).find("ocsi"), std::string::npos) << SearchText(nickname);
  EXPECT_EQ(SearchText(company), "szoke es tarsa kft.");
  // Derived data: the card is not bumped.
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT version FROM partners.partner WHERE id = " + nickname),
            version_before);
  // And a partner written from now on gets its names from the same source.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT kernel.fold(partners.search_source(p)) FROM partners.partner p "
                        "WHERE id = " +
                            nickname),
            SearchText(nickname));
}

}  // namespace
}  // namespace karton::partners
