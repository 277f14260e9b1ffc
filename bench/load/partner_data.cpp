#include "partner_data.h"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <random>

namespace karton::bench {
namespace {

constexpr std::array<std::string_view, 40> kPrefixes = {
    "Alföldi",  "Balatoni", "Budai",     "Pesti",   "Dunai",  "Tiszai",  "Mátrai",     "Bakonyi",
    "Zempléni", "Szegedi",  "Debreceni", "Győri",   "Pécsi",  "Egri",    "Soproni",    "Kovács",
    "Nagy",     "Szabó",    "Tóth",      "Horváth", "Kiss",   "Molnár",  "Varga",      "Farkas",
    "Németh",   "Arany",    "Ezüst",     "Zöld",    "Kék",    "Fehér",   "Magyar",     "Pannon",
    "Hungária", "Kárpát",   "Délvidéki", "Északi",  "Keleti", "Nyugati", "Hegyvidéki", "Rónai"};
constexpr std::array<std::string_view, 40> kNouns = {
    "Fém",       "Fa",         "Kő",          "Üveg",      "Papír",   "Textil", "Gép",
    "Autó",      "Bútor",      "Élelmiszer",  "Bor",       "Pékség",  "Hús",    "Tej",
    "Zöldség",   "Gyümölcs",   "Virág",       "Építő",     "Villany", "Víz",    "Gáz",
    "Fűtés",     "Szoftver",   "Informatika", "Média",     "Nyomda",  "Könyv",  "Utazás",
    "Szállítás", "Logisztika", "Raktár",      "Gyógyszer", "Labor",   "Optika", "Fogászat",
    "Kert",      "Állat",      "Sport",       "Játék",     "Divat"};
constexpr std::array<std::string_view, 10> kKinds = {
    "Kereskedelmi", "Szolgáltató", "Gyártó", "Ipari", "Tanácsadó",
    "Építőipari",   "Fejlesztő",   "Ellátó", "Trade", "Központ"};
constexpr std::array<std::string_view, 5> kForms = {"Kft.", "Zrt.", "Bt.", "Kkt.", "Nyrt."};
struct City {
  std::string_view postal_code, name;
};
constexpr std::array<City, 10> kCities = {{{"1051", "Budapest"},
                                           {"6720", "Szeged"},
                                           {"4024", "Debrecen"},
                                           {"7621", "Pécs"},
                                           {"9021", "Győr"},
                                           {"3525", "Miskolc"},
                                           {"6000", "Kecskemét"},
                                           {"8000", "Székesfehérvár"},
                                           {"3300", "Eger"},
                                           {"9400", "Sopron"}}};
constexpr std::array<std::string_view, 6> kTags = {"customer", "supplier", "prospect",
                                                   "vip",      "export",   "wholesale"};
constexpr std::array<std::string_view, 32> kFragments = {
    "kov", "nag", "sza", "tot", "hor", "kis", "mol", "var", "bal", "bud", "pes",
    "dun", "fem", "gep", "aut", "but", "bor", "pek", "szo", "inf", "log", "kft",
    "zrt", "ker", "gya", "ipa", "tan", "fej", "deb", "gyo", "pec", "egr"};

// A Hungarian tax number (adószám) with a valid check digit: weights 9, 7,
// 3, 1, 9, 7, 3 over the first seven digits.
std::string TaxNumber(std::int64_t serial) {
  const std::string base = fmt::format("{:07}", 1000000 + serial % 8999999);
  static constexpr int kWeights[] = {9, 7, 3, 1, 9, 7, 3};
  int sum = 0;
  for (std::size_t i = 0; i < 7; ++i) sum += (base[i] - '0') * kWeights[i];
  const int check = (10 - sum % 10) % 10;
  return fmt::format("{}{}-{}-{:02}", base, check, 1 + serial % 5, 2 + serial % 19);
}

// A short unique word for the serial: the local part of its email.
std::string Slug(std::int64_t serial) {
  std::string slug;
  for (std::int64_t n = serial; n > 0 || slug.empty(); n /= 26) {
    slug += static_cast<char>('a' + n % 26);
  }
  return slug;
}

template <class List>
std::string_view Pick(const List& list, std::mt19937_64& dice) {
  return list[dice() % list.size()];
}

}  // namespace

std::string PartnerEmail(std::int64_t serial) { return fmt::format("info@{}.hu", Slug(serial)); }

bool WritePartnerCsv(std::int64_t rows, const std::string& path, std::int64_t first) {
  std::ofstream out(path, std::ios::binary);
  if (!out) return false;
  std::mt19937_64 dice(20261125);
  out << "external_id.erp,display_name,tax_number,email,phone,address.postal_code,address.city,"
         "tag\n";
  for (std::int64_t i = first; i < first + rows; ++i) {
    const City& city = kCities[dice() % kCities.size()];
    out << fmt::format("B-{:07},{} {} {} {},{},{},+3630{:07},{},{},{}\n", i, Pick(kPrefixes, dice),
                       Pick(kNouns, dice), Pick(kKinds, dice), Pick(kForms, dice), TaxNumber(i),
                       PartnerEmail(i), i % 10000000, city.postal_code, city.name,
                       Pick(kTags, dice));
  }
  return out.good();
}

partners::v1::Partner SyntheticPartner(std::int64_t serial) {
  std::mt19937_64 dice(static_cast<std::uint64_t>(serial));
  partners::v1::Partner partner;
  partner.set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
  partner.set_display_name(fmt::format("{} {} {} {}", Pick(kPrefixes, dice), Pick(kNouns, dice),
                                       Pick(kKinds, dice), Pick(kForms, dice)));
  partner.set_tax_number(TaxNumber(serial));
  partner.add_emails(PartnerEmail(serial));
  partner.add_phones(fmt::format("+3630{:07}", serial % 10000000));
  const City& city = kCities[dice() % kCities.size()];
  auto* address = partner.add_addresses();
  address->set_postal_code(std::string(city.postal_code));
  address->set_city(std::string(city.name));
  address->set_type(common::v1::ADDRESS_TYPE_BILLING);
  address->set_country("HU");
  partner.add_tags(std::string(Pick(kTags, dice)));
  return partner;
}

std::span<const std::string_view> SearchFragments() { return kFragments; }

}  // namespace karton::bench
