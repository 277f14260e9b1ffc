// The migration runner against a real PostgreSQL.
#include <gtest/gtest.h>

#include <future>

#include "karton/kernel/database.h"
#include "migrator.h"
#include "throwaway_postgres.h"

namespace karton::kernel {
namespace {

using testing::QueryScalar;
using testing::SharedPostgres;

class MigratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(testing::DatabaseNameForCurrentTest());
    database_ = std::make_unique<Database>(conninfo_, 2);
  }

  std::string Error(const std::vector<ModuleMigrations>& modules) {
    try {
      Migrator(*database_).Apply(modules);
    } catch (const MigrationError& error) {
      return error.what();
    }
    return "no error";
  }

  std::string conninfo_;
  std::unique_ptr<Database> database_;
};

const ModuleMigrations kShop{"shop",
                             {{"0001_create_item.sql", "CREATE TABLE item (id int PRIMARY KEY);"},
                              {"0002_add_name.sql", "ALTER TABLE item ADD COLUMN name text;"}}};

TEST_F(MigratorTest, AppliesEachFileOnceIntoTheModulesSchema) {
  EXPECT_EQ(Migrator(*database_).Apply({kShop}), 2);
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM information_schema.columns "
                        "WHERE table_schema = 'shop' AND table_name = 'item'"),
            "2");
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT string_agg(file_name, ',' ORDER BY version) "
                        "FROM kernel.schema_migration WHERE module = 'shop'"),
            "0001_create_item.sql,0002_add_name.sql");
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT checksum FROM kernel.schema_migration "
                        "WHERE module = 'shop' AND version = 1"),
            Sha256Hex(kShop.files[0].sql));
  // A second start finds nothing to do.
  EXPECT_EQ(Migrator(*database_).Apply({kShop}), 0);
}

TEST_F(MigratorTest, RefusesAnAppliedFileThatChanged) {
  Migrator(*database_).Apply({kShop});
  ModuleMigrations edited = kShop;
  edited.files[0].sql = "CREATE TABLE item (id bigint PRIMARY KEY);";
  const std::string error = Error({edited});
  EXPECT_NE(error.find("schema/shop/0001_create_item.sql was changed after it was applied"),
            std::string::npos)
      << error;
}

TEST_F(MigratorTest, RollsBackAFileThatFailsHalfWay) {
  ModuleMigrations failing{
      "shop",
      {{"0001_create_item.sql", "CREATE TABLE item (id int PRIMARY KEY);"},
       {"0002_broken.sql", "CREATE TABLE other (id int);\nINSERT INTO item VALUES (1), (1);"}}};
  const std::string error = Error({failing});
  EXPECT_NE(error.find("schema/shop/0002_broken.sql failed and was rolled back"), std::string::npos)
      << error;
  EXPECT_NE(error.find("duplicate key"), std::string::npos) << error;
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM kernel.schema_migration"), "1");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT to_regclass('shop.other') IS NULL"), "t");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM shop.item"), "0");
}

TEST_F(MigratorTest, RefusesAFileTheBuildNoLongerShips) {
  Migrator(*database_).Apply({kShop});
  ModuleMigrations older{"shop", {kShop.files[0]}};
  EXPECT_NE(Error({older}).find("does not ship it"), std::string::npos);
}

TEST_F(MigratorTest, RefusesANewFileNumberedBeforeAnAppliedOne) {
  ModuleMigrations first{"shop", {kShop.files[0], {"0003_late.sql", "SELECT 1;"}}};
  Migrator(*database_).Apply({first});
  ModuleMigrations inserted = first;
  inserted.files.push_back(kShop.files[1]);  // 0002 arrives after 0003 was applied
  EXPECT_NE(Error({inserted}).find("sorts before the already applied 0003"), std::string::npos);
}

TEST_F(MigratorTest, RefusesMisnamedFiles) {
  EXPECT_NE(Error({{"shop", {{"1_init.sql", "SELECT 1;"}}}}).find("misnamed"), std::string::npos);
}

TEST_F(MigratorTest, TwoRunnersAtOnceApplyEachFileOnce) {
  // A slow first file widens the window in which both runners are active.
  ModuleMigrations slow{
      "shop",
      {{"0001_slow.sql", "SELECT pg_sleep(0.5); CREATE TABLE item (id int);"}, kShop.files[1]}};
  Database other(conninfo_, 2);
  auto first = std::async(std::launch::async, [&] { return Migrator(*database_).Apply({slow}); });
  auto second = std::async(std::launch::async, [&] { return Migrator(other).Apply({slow}); });
  EXPECT_EQ(first.get() + second.get(), 2);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM kernel.schema_migration"), "2");
}

}  // namespace
}  // namespace karton::kernel
