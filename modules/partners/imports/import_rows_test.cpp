#include "imports/import_rows.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "imports/csv_io.h"

namespace karton::partners {
namespace {

Definitions SomeDefinitions() {
  Definitions definitions;
  v1::CustomFieldDefinition industry;
  industry.set_key("industry");
  industry.set_type(v1::CUSTOM_FIELD_TYPE_CHOICE);
  industry.add_choices("retail");
  industry.set_required(true);
  definitions["industry"] = industry;
  return definitions;
}

std::vector<std::vector<std::string>> ReadAll(const std::string& csv, char delimiter,
                                              std::size_t piece) {
  std::vector<std::vector<std::string>> rows;
  CsvReader reader(delimiter, [&](std::vector<std::string>& cells) { rows.push_back(cells); });
  for (std::size_t at = 0; at < csv.size(); at += piece) {
    EXPECT_TRUE(reader.Feed(csv.substr(at, piece))) << reader.Error();
  }
  EXPECT_TRUE(reader.Finish()) << reader.Error();
  return rows;
}

TEST(Csv, ReadsQuotesLineBreaksAndABomWhateverTheChunks) {
  const std::string csv =
      "\xEF\xBB\xBF"
      "Cégnév;Megjegyzés\r\n\"Kovács; Társa\";\"két\nsor, \"\"idézet\"\"\"\r\nNagy;\n";
  for (const std::size_t piece : {1u, 3u, 1000u}) {
    const auto rows = ReadAll(csv, ';', piece);
    ASSERT_EQ(rows.size(), 3u) << piece;
    EXPECT_EQ(rows[0][0], "Cégnév");
    EXPECT_EQ(rows[1][0], "Kovács; Társa");
    EXPECT_EQ(rows[1][1], "két\nsor, \"idézet\"");
    EXPECT_EQ(rows[2][0], "Nagy");
  }
}

// Found by tests/fuzz (csv_import): a cell ending in a tab was written
// unquoted, and read back without it (libcsv trims tabs as blanks).
TEST(Csv, KeepsTabsAroundACellWithCommasOrSemicolons) {
  for (const char delimiter : {',', ';'}) {
    std::string out;
    AppendCsvRecord({"\tleading", "trailing\t", "in\tside"}, delimiter, out);
    const auto rows = ReadAll(out, delimiter, 1000);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"\tleading", "trailing\t", "in\tside"}));
  }
}

TEST(Csv, WritesWhatItReads) {
  std::string out;
  const std::vector<std::string> record = {"plain",      "with,comma", "with \"quote\"",
                                           "two\nlines", " padded ",   ""};
  AppendCsvRecord(record, ',', out);
  EXPECT_EQ(out, "plain,\"with,comma\",\"with \"\"quote\"\"\",\"two\nlines\",\" padded \",\r\n");
  const auto rows = ReadAll(out, ',', 7);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][2], "with \"quote\"");
  EXPECT_EQ(rows[0][3], "two\nlines");
}

TEST(PlanColumns, MapsHeadersAndRefusesUnknownFields) {
  std::string problem;
  const auto plan =
      PlanColumns({"Cégnév", "Adószám", "Email", "Ignored"},
                  {{"Cégnév", "display_name"}, {"Adószám", "tax_number"}, {"Email", "email"}},
                  SomeDefinitions(), problem);
  ASSERT_TRUE(plan) << problem;
  EXPECT_EQ(plan->targets, (std::vector<std::string>{"display_name", "tax_number", "email", ""}));
  EXPECT_FALSE(PlanColumns({"display_name", "colour"}, {}, SomeDefinitions(), problem));
  EXPECT_NE(problem.find("column 'colour'"), std::string::npos) << problem;
  EXPECT_FALSE(PlanColumns({"custom.size"}, {}, SomeDefinitions(), problem));
  EXPECT_FALSE(PlanColumns({"display_name", "display_name"}, {}, SomeDefinitions(), problem));
  EXPECT_FALSE(PlanColumns({"a"}, {{"b", "display_name"}}, SomeDefinitions(), problem));
  EXPECT_NE(problem.find("'b'"), std::string::npos);
}

TEST(BuildImportRow, ReadsCellsIntoANormalisedPartnerWithItsKey) {
  std::string problem;
  const auto plan = PlanColumns(
      {"display_name", "tax_number", "email", "email", "tag", "address.city", "credit_limit",
       "custom.industry", "external_id.erp", "contact.name", "contact.phone"},
      {}, SomeDefinitions(), problem);
  ASSERT_TRUE(plan) << problem;
  const auto row = BuildImportRow(
      *plan,
      {"Kovács Kft.", "12345676242", "Info@Kovacs.hu", "sales@kovacs.hu; info@kovacs.hu",
       "VIP;export", "Szeged", "1 500 000,5", "retail", "C-17", "Kiss Anna", "06 30 123 4567"},
      {}, SomeDefinitions());
  ASSERT_TRUE(row.problems.empty())
      << row.problems.front().field << ": " << row.problems.front().problem;
  EXPECT_EQ(row.partner.tax_number(), "12345676-2-42");
  EXPECT_EQ(row.partner.emails_size(), 2);
  EXPECT_EQ(row.partner.tags(0), "vip");
  EXPECT_EQ(row.partner.addresses(0).country(), "HU");  // the default
  EXPECT_EQ(row.partner.credit_limit().minor_units(), 150000050);
  EXPECT_EQ(row.partner_key, "ext:erp:C-17");
  EXPECT_TRUE(row.creatable);
  ASSERT_TRUE(row.contact);
  EXPECT_EQ(row.contact->phones(0), "+36301234567");
  EXPECT_EQ(row.fields, (std::vector<std::string>{"addresses", "credit_limit_currency",
                                                  "credit_limit_minor", "custom_fields",
                                                  "display_name", "emails", "tags", "tax_number"}));
}

TEST(BuildImportRow, ConsentColumnsReadYesOrNoPerChannelAndEmptyRecordsNothing) {
  std::string problem;
  const auto plan = PlanColumns({"Név", "Hírlevél", "SMS", "Levél"},
                                {{"Név", "display_name"},
                                 {"Hírlevél", "consent.email"},
                                 {"SMS", "consent.sms"},
                                 {"Levél", "consent.letter"}},
                                {}, problem);
  ASSERT_TRUE(plan) << problem;
  const auto row = BuildImportRow(*plan, {"Kiss Anna", "igen", "no", ""}, {}, {});
  ASSERT_TRUE(row.problems.empty()) << row.problems.front().problem;
  EXPECT_EQ(row.consents, (std::map<std::string, bool>{{"email", true}, {"sms", false}}));
  const auto bad = BuildImportRow(*plan, {"Kiss Anna", "talán", "", ""}, {}, {});
  ASSERT_EQ(bad.problems.size(), 1u);
  EXPECT_EQ(bad.problems[0].column, "Hírlevél");
  EXPECT_EQ(bad.problems[0].field, "partner.marketing_consents");
  EXPECT_TRUE(bad.consents.empty());
}

TEST(BuildImportRow, NamesTheColumnOfEachProblemAndChecksKeylessRowsInFull) {
  std::string problem;
  const auto plan =
      PlanColumns({"Név", "Adószám", "Telefon"},
                  {{"Név", "display_name"}, {"Adószám", "tax_number"}, {"Telefon", "phone"}},
                  SomeDefinitions(), problem);
  ASSERT_TRUE(plan) << problem;
  const auto bad = BuildImportRow(*plan, {"X Kft.", "12345678-2-42", "12"}, {}, SomeDefinitions());
  ASSERT_EQ(bad.problems.size(), 2u);
  EXPECT_EQ(bad.problems[0].column, "Adószám");
  EXPECT_EQ(bad.problems[1].column, "Telefon");
  // Without any key the row can only create, so the required custom field
  // is required now.
  const auto keyless = BuildImportRow(*plan, {"Y Kft.", "", ""}, {}, SomeDefinitions());
  ASSERT_EQ(keyless.problems.size(), 1u);
  EXPECT_EQ(keyless.problems[0].field, "partner.custom_fields[industry]");
  // With a tax number it may update an existing partner: no name needed.
  const auto update =
      BuildImportRow(*plan, {"", "12345676-2-42", "+36301234567"}, {}, SomeDefinitions());
  EXPECT_TRUE(update.problems.empty());
  EXPECT_EQ(update.partner_key, "tax:12345676-2-42");
  EXPECT_FALSE(update.creatable);
}

TEST(BuildImportRow, ReadsTermsRolesAndAPersonsNames) {
  std::string problem;
  const auto plan =
      PlanColumns({"kind", "first_name", "last_name", "salutation", "customer", "supplier",
                   "payment_terms_days", "default_currency_code", "preferred_language"},
                  {}, {}, problem);
  ASSERT_TRUE(plan) << problem;
  // A keyless row only creates: the person is named family name first.
  const auto row = BuildImportRow(
      *plan, {"person", "Anna", "Kovács", "Dr.", "igen", "no", "30", "eur", "EN"}, {}, {});
  ASSERT_TRUE(row.problems.empty())
      << row.problems.front().field << ": " << row.problems.front().problem;
  EXPECT_EQ(row.partner.display_name(), "Kovács Anna");
  EXPECT_TRUE(row.creatable);
  EXPECT_TRUE(row.partner.customer());
  EXPECT_FALSE(row.partner.supplier());
  EXPECT_EQ(row.partner.payment_terms_days(), 30);
  EXPECT_EQ(row.partner.default_currency_code(), "EUR");
  EXPECT_EQ(row.partner.preferred_language(), "en");
  EXPECT_EQ(row.fields,
            (std::vector<std::string>{"customer", "default_currency_code", "display_name",
                                      "first_name", "kind", "last_name", "payment_terms_days",
                                      "preferred_language", "salutation", "supplier"}));
  const auto bad = BuildImportRow(
      *plan, {"person", "Anna", "Kovács", "", "maybe", "", "400", "USD", "de"}, {}, {});
  std::vector<std::string> fields;
  for (const auto& refused : bad.problems) fields.push_back(refused.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"partner.customer", "partner.payment_terms_days",
                                              "partner.default_currency_code",
                                              "partner.preferred_language"}));
  EXPECT_EQ(bad.problems[1].column, "payment_terms_days");
  // Exported as they are read back.
  const auto cells = ExportCells(row.partner, {"customer", "supplier", "payment_terms_days",
                                               "first_name", "default_currency_code"});
  EXPECT_EQ(cells, (std::vector<std::string>{"true", "false", "30", "Anna", "EUR"}));
}

TEST(BuildImportRow, NamesTheParentByIdExternalKeyOrTaxNumber) {
  std::string problem;
  EXPECT_FALSE(PlanColumns({"display_name", "parent.external_id.Bad!"}, {}, {}, problem));
  EXPECT_NE(problem.find("Bad!"), std::string::npos) << problem;
  const auto plan = PlanColumns({"Név", "Anyacég", "Anya ERP", "Anya adószám"},
                                {{"Név", "display_name"},
                                 {"Anyacég", "parent.id"},
                                 {"Anya ERP", "parent.external_id.erp"},
                                 {"Anya adószám", "parent.tax_number"}},
                                {}, problem);
  ASSERT_TRUE(plan) << problem;
  // The first given of id, external key, tax number.
  auto row = BuildImportRow(*plan, {"Leány Kft.", "17", "A-1", "12345676242"}, {}, {});
  ASSERT_TRUE(row.problems.empty()) << row.problems.front().problem;
  EXPECT_EQ(row.parent_ref, "id:17");
  EXPECT_EQ(row.parent_column, "Anyacég");
  row = BuildImportRow(*plan, {"Leány Kft.", "", "A-1", "12345676242"}, {}, {});
  EXPECT_EQ(row.parent_ref, "ext:erp:A-1");
  EXPECT_EQ(row.parent_column, "Anya ERP");
  row = BuildImportRow(*plan, {"Leány Kft.", "", "", "12345676242"}, {}, {});
  EXPECT_EQ(row.parent_ref, "tax:12345676-2-42");  // normalised like the card's
  row = BuildImportRow(*plan, {"Leány Kft.", "", "", ""}, {}, {});
  EXPECT_EQ(row.parent_ref, "");
  // Bad cells name the parent field and their column.
  row = BuildImportRow(*plan, {"Leány Kft.", "tizenhét", "", "12345678-2-42"}, {}, {});
  ASSERT_EQ(row.problems.size(), 2u);
  EXPECT_EQ(row.problems[0].field, "partner.parent_partner_id");
  EXPECT_EQ(row.problems[0].column, "Anyacég");
  EXPECT_EQ(row.problems[1].field, "partner.parent_partner_id");
  EXPECT_EQ(row.problems[1].column, "Anya adószám");
  // Exported by its id (what an import matches first), not by tax number.
  const auto header = ExportHeader({}, {});
  EXPECT_NE(std::find(header.begin(), header.end(), "parent.id"), header.end());
  EXPECT_EQ(std::find(header.begin(), header.end(), "parent.tax_number"), header.end());
  v1::Partner child;
  child.set_parent_partner_id(17);
  EXPECT_EQ(ExportCells(child, {"parent.id"}), (std::vector<std::string>{"17"}));
  EXPECT_EQ(ExportCells(v1::Partner(), {"parent.id"}), (std::vector<std::string>{""}));
}

}  // namespace
}  // namespace karton::partners

namespace karton::partners {
namespace {

// What a row is matched by (issue 16): its partner's emails and phones, then
// its contact's, normalised, each once.
TEST(BuildImportRow, GathersTheNormalisedEmailsAndPhonesOfThePartnerAndTheContact) {
  std::string problem;
  const Definitions definitions;
  const auto plan = PlanColumns(
      {"display_name", "email", "phone", "contact.name", "contact.email", "contact.phone"}, {},
      definitions, problem);
  ASSERT_TRUE(plan) << problem;
  const auto row = BuildImportRow(*plan,
                                  {"Alfa Kft.", " Iroda@Alfa.HU ;info@alfa.hu", "06 1 234 5678",
                                   "Kiss Anna", "iroda@alfa.hu;anna@alfa.hu", "+36 30 111 2222"},
                                  ImportDefaults{}, definitions);
  ASSERT_TRUE(row.problems.empty()) << row.problems.at(0).problem;
  EXPECT_EQ(row.emails,
            (std::vector<std::string>{"iroda@alfa.hu", "info@alfa.hu", "anna@alfa.hu"}));
  EXPECT_EQ(row.phones, (std::vector<std::string>{"+3612345678", "+36301112222"}));
}

}  // namespace
}  // namespace karton::partners
