// partners_bench: the client half of bench/partners.sh.
//
//   partners_bench generate --rows 1000000 --out partners.csv
//       a partner CSV in the import's column names: valid, unique tax
//       numbers, emails and phones, names from Hungarian word lists (so
//       3-letter fragments match as they would in a real customer base)
//   partners_bench reads --server 127.0.0.1:50051 --token T --max-id 1000000
//       GetPartner, ListPartners (first page) and SearchPartners (3-letter
//       fragments) one call at a time over gRPC, latency percentiles
//
// Output lines are "name key=value ...", for the script to read.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "karton/partners/v1/partner_service.grpc.pb.h"

namespace {

constexpr std::array kPrefixes = {"Alföldi", "Balatoni", "Budai",    "Pesti",   "Dunai",
                                  "Tiszai",  "Mátrai",   "Bakonyi",  "Zempléni", "Szegedi",
                                  "Debreceni", "Győri",  "Pécsi",    "Egri",     "Soproni",
                                  "Kovács",  "Nagy",     "Szabó",    "Tóth",     "Horváth",
                                  "Kiss",    "Molnár",   "Varga",    "Farkas",   "Németh",
                                  "Arany",   "Ezüst",    "Zöld",     "Kék",      "Fehér",
                                  "Magyar",  "Pannon",   "Hungária", "Kárpát",   "Délvidéki",
                                  "Északi",  "Keleti",   "Nyugati",  "Hegyvidéki", "Rónai"};
constexpr std::array kNouns = {"Fém",     "Fa",      "Kő",       "Üveg",     "Papír",
                               "Textil",  "Gép",     "Autó",     "Bútor",    "Élelmiszer",
                               "Bor",     "Pékség",  "Hús",      "Tej",      "Zöldség",
                               "Gyümölcs", "Virág",  "Építő",    "Villany",  "Víz",
                               "Gáz",     "Fűtés",   "Szoftver", "Informatika", "Média",
                               "Nyomda",  "Könyv",   "Utazás",   "Szállítás", "Logisztika",
                               "Raktár",  "Gyógyszer", "Labor",  "Optika",   "Fogászat",
                               "Kert",    "Állat",   "Sport",    "Játék",    "Divat"};
constexpr std::array kKinds = {"Kereskedelmi", "Szolgáltató", "Gyártó", "Ipari", "Tanácsadó",
                               "Építőipari",   "Fejlesztő",   "Ellátó", "Trade", "Központ"};
constexpr std::array kForms = {"Kft.", "Zrt.", "Bt.", "Kkt.", "Nyrt."};
constexpr std::array kCities = {
    std::pair{"1051", "Budapest"}, std::pair{"6720", "Szeged"},   std::pair{"4024", "Debrecen"},
    std::pair{"7621", "Pécs"},     std::pair{"9021", "Győr"},     std::pair{"3525", "Miskolc"},
    std::pair{"6000", "Kecskemét"}, std::pair{"8000", "Székesfehérvár"},
    std::pair{"3300", "Eger"},     std::pair{"9400", "Sopron"}};
constexpr std::array kTags = {"customer", "supplier", "prospect", "vip", "export", "wholesale"};
// What people type into a search box: starts of words from the lists.
constexpr std::array kFragments = {"kov", "nag", "sza", "tot", "hor", "kis", "mol", "var",
                                   "bal", "bud", "pes", "dun", "fem", "gep", "aut", "but",
                                   "bor", "pek", "szo", "inf", "log", "kft", "zrt", "ker",
                                   "gya", "ipa", "tan", "fej", "deb", "gyo", "pec", "egr"};

// A Hungarian tax number (adószám) with a valid check digit: weights 9, 7,
// 3, 1, 9, 7, 3 over the first seven digits.
std::string TaxNumber(long long serial) {
  const std::string base = fmt::format("{:07}", 1000000 + serial % 8999999);
  static constexpr int kWeights[] = {9, 7, 3, 1, 9, 7, 3};
  int sum = 0;
  for (int i = 0; i < 7; ++i) sum += (base[static_cast<std::size_t>(i)] - '0') * kWeights[i];
  const int check = (10 - sum % 10) % 10;
  return fmt::format("{}{}-{}-{:02}", base, check, 1 + serial % 5, 2 + serial % 19);
}

std::string Slug(long long serial) {
  std::string slug;
  for (long long n = serial; n > 0 || slug.empty(); n /= 26) {
    slug += static_cast<char>('a' + n % 26);
  }
  return slug;
}

int Generate(long long rows, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    std::cerr << "partners_bench: cannot write " << path << "\n";
    return 1;
  }
  std::mt19937_64 dice(20261125);
  out << "external_id.erp,display_name,tax_number,email,phone,address.postal_code,address.city,"
         "tag\n";
  std::string line;
  for (long long i = 0; i < rows; ++i) {
    const auto& city = kCities[dice() % kCities.size()];
    line = fmt::format("B-{:07},{} {} {} {},{},info@{}.hu,+3630{:07},{},{},{}\n", i,
                       kPrefixes[dice() % kPrefixes.size()], kNouns[dice() % kNouns.size()],
                       kKinds[dice() % kKinds.size()], kForms[dice() % kForms.size()],
                       TaxNumber(i), Slug(i), i % 10000000, city.first, city.second,
                       kTags[dice() % kTags.size()]);
    out << line;
  }
  return out.good() ? 0 : 1;
}

struct Percentiles {
  double p50 = 0, p95 = 0, p99 = 0;
};

Percentiles Of(std::vector<double> millis) {
  std::sort(millis.begin(), millis.end());
  auto at = [&](double q) {
    return millis[std::min(millis.size() - 1, static_cast<std::size_t>(q * millis.size()))];
  };
  return {at(0.50), at(0.95), at(0.99)};
}

template <class Call>
bool Measure(const char* name, int samples, Call call) {
  std::vector<double> millis;
  millis.reserve(static_cast<std::size_t>(samples));
  for (int i = 0; i < samples + samples / 10; ++i) {  // the first tenth warms up
    const auto start = std::chrono::steady_clock::now();
    const grpc::Status status = call(i);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if (!status.ok()) {
      std::cerr << "partners_bench: " << name << ": " << status.error_message() << "\n";
      return false;
    }
    if (i >= samples / 10) {
      millis.push_back(std::chrono::duration<double, std::milli>(elapsed).count());
    }
  }
  const auto p = Of(millis);
  std::cout << fmt::format("{} samples={} p50_ms={:.3f} p95_ms={:.3f} p99_ms={:.3f}\n", name,
                           samples, p.p50, p.p95, p.p99);
  return true;
}

int Reads(const std::string& server, const std::string& token, long long max_id, int samples) {
  auto stub = karton::partners::v1::PartnerService::NewStub(
      grpc::CreateChannel(server, grpc::InsecureChannelCredentials()));
  std::mt19937_64 dice(7);
  auto context = [&] {
    auto made = std::make_unique<grpc::ClientContext>();
    made->AddMetadata("authorization", "Bearer " + token);
    return made;
  };
  bool ok = Measure("get_partner", samples, [&](int) {
    karton::partners::v1::GetPartnerRequest request;
    request.set_id(1 + static_cast<long long>(dice() % static_cast<unsigned long long>(max_id)));
    karton::partners::v1::Partner partner;
    return stub->GetPartner(context().get(), request, &partner);
  });
  ok = ok && Measure("list_partners_first_page", samples, [&](int) {
    karton::partners::v1::ListPartnersRequest request;
    request.set_page_size(50);
    karton::partners::v1::ListPartnersResponse response;
    return stub->ListPartners(context().get(), request, &response);
  });
  ok = ok && Measure("search_partners_3_letters", samples, [&](int i) {
    karton::partners::v1::SearchPartnersRequest request;
    request.set_query(kFragments[static_cast<std::size_t>(i) % kFragments.size()]);
    karton::partners::v1::SearchPartnersResponse response;
    return stub->SearchPartners(context().get(), request, &response);
  });
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("partners_bench: the client half of bench/partners.sh");
  app.require_subcommand(1);
  long long rows = 1000000;
  std::string out = "partners.csv";
  auto* generate = app.add_subcommand("generate", "Write a partner CSV");
  generate->add_option("--rows", rows)->capture_default_str();
  generate->add_option("--out", out)->capture_default_str();
  std::string server = "127.0.0.1:50051", token;
  long long max_id = 1000000;
  int samples = 2000;
  auto* reads = app.add_subcommand("reads", "Latency of GetPartner, ListPartners, SearchPartners");
  reads->add_option("--server", server)->capture_default_str();
  reads->add_option("--token", token)->required();
  reads->add_option("--max-id", max_id)->capture_default_str();
  reads->add_option("--samples", samples)->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (generate->parsed()) return Generate(rows, out);
  return Reads(server, token, max_id, samples);
}
