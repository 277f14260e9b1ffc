// The restore docs/scaling.md ("Backups") tells operators to rely on,
// done for real: a database with the demo data and a day's changes is
// dumped with pg_dump while kartond runs, restored with pg_restore into a
// new database as the application role (not a superuser), and a kartond
// started on the copy serves everything that was there, applies no
// migration again, and goes on numbering where the original stopped.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "kartond_process.h"
#include "temporary_directory.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

namespace pv1 = partners::v1;

constexpr const char* kPostgresBin = "/usr/lib/postgresql/15/bin";

std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

pv1::Partner Create(pv1::PartnerService::Stub& partners, const std::string& token,
                    const std::string& name) {
  pv1::CreatePartnerRequest request;
  request.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
  request.mutable_partner()->set_display_name(name);
  pv1::Partner created;
  const auto status = partners.CreatePartner(As(token).get(), request, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return created;
}

TEST(BackupRestore, ADumpTakenWhileServingRestoresIntoAWorkingKarton) {
  const std::string name = DatabaseNameForCurrentTest();
  const std::string original = SharedPostgres().CreateDatabase(name);
  TemporaryDirectory data_dir;
  TemporaryDirectory files;
  const std::vector<std::string> common{"--modules-dir", ProductModulesDirectory().string(),
                                        "--modules", "crm"};
  std::vector<std::string> arguments{"--database-url", original, "--data-dir",
                                     data_dir.Path().string(), "--demo"};
  arguments.insert(arguments.end(), common.begin(), common.end());
  auto kartond = std::make_unique<KartondProcess>(arguments);
  ASSERT_TRUE(kartond->WaitUntilReady()) << kartond->Stderr();
  const std::string admin = kartond->AdminToken();
  auto partners = pv1::PartnerService::NewStub(
      grpc::CreateChannel(kartond->GrpcAddress(), grpc::InsecureChannelCredentials()));
  const pv1::Partner before = Create(*partners, admin, "Mentés előtti Kft.");
  const std::string partners_before =
      QueryScalar(original, "SELECT count(*) FROM partners.partner");

  // pg_dump while kartond serves: one consistent snapshot, custom format.
  const auto dump = files.Path() / "karton.dump";
  const auto [dump_exit, dump_output] = RunCommand(fmt::format(
      "{}/pg_dump --format=custom --dbname='{}' --file='{}' 2>&1", kPostgresBin, original,
      dump.string()));
  ASSERT_EQ(dump_exit, 0) << dump_output;
  // A change after the dump is not in it.
  Create(*partners, admin, "Mentés utáni Kft.");
  kartond.reset();

  const std::string restored = SharedPostgres().CreateDatabase(name + "_restored");
  const auto [restore_exit, restore_output] = RunCommand(
      fmt::format("{}/pg_restore --no-owner --exit-on-error --dbname='{}' '{}' 2>&1", kPostgresBin,
                  restored, dump.string()));
  ASSERT_EQ(restore_exit, 0) << restore_output;

  TemporaryDirectory restored_dir;
  arguments = {"--database-url", restored, "--data-dir", restored_dir.Path().string()};
  arguments.insert(arguments.end(), common.begin(), common.end());
  kartond = std::make_unique<KartondProcess>(arguments);
  ASSERT_TRUE(kartond->WaitUntilReady()) << kartond->Stderr();
  EXPECT_TRUE(kartond->LogShows("applied_now=0")) << kartond->Stderr();
  partners = pv1::PartnerService::NewStub(
      grpc::CreateChannel(kartond->GrpcAddress(), grpc::InsecureChannelCredentials()));

  // The same token still works: users and tokens are data like the rest.
  pv1::GetPartnerRequest get;
  get.set_id(before.id());
  pv1::Partner read;
  const auto got = partners->GetPartner(As(admin).get(), get, &read);
  ASSERT_TRUE(got.ok()) << got.error_message();
  EXPECT_EQ(read.display_name(), "Mentés előtti Kft.");
  EXPECT_EQ(read.etag(), before.etag());
  EXPECT_EQ(QueryScalar(restored, "SELECT count(*) FROM partners.partner"), partners_before);
  // Search (trigram indexes, the Hungarian collation) works on the copy.
  pv1::SearchPartnersRequest search;
  search.set_query("mentes elotti");
  pv1::SearchPartnersResponse found;
  ASSERT_TRUE(partners->SearchPartners(As(admin).get(), search, &found).ok());
  ASSERT_GE(found.partners_size(), 1);
  EXPECT_EQ(found.partners(0).id(), before.id());
  // Numbering goes on after the highest id restored, so nothing collides.
  const pv1::Partner after = Create(*partners, admin, "Visszaállítás utáni Kft.");
  EXPECT_GT(after.id(), before.id());
}

}  // namespace
}  // namespace karton::testing
