// The embedded cluster: created once, reused, stopped cleanly.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "kartond_process.h"
#include "postgres_cluster.h"
#include "throwaway_postgres.h"

namespace karton::kernel {
namespace {

// A cluster in `directory`/data, without fsync (it is thrown away).
PostgresClusterOptions ThrowawayOptions(const testing::TemporaryDirectory& directory) {
  PostgresClusterOptions options;
  options.data_directory = directory.Path() / "data";
  options.durable = false;
  return options;
}

TEST(PostgresCluster, CreatesOnceThenReusesTheSameData) {
  testing::TemporaryDirectory directory;
  const PostgresClusterOptions options = ThrowawayOptions(directory);
  {
    PostgresCluster cluster(options);
    cluster.Start();
    ASSERT_TRUE(cluster.Running());
    testing::QueryScalar(cluster.ConnectionString(), "CREATE TABLE kept (v text)");
    testing::QueryScalar(cluster.ConnectionString(), "INSERT INTO kept VALUES ('still here')");
    cluster.Stop();
    EXPECT_FALSE(cluster.Running());
    EXPECT_THROW(testing::QueryScalar(cluster.ConnectionString(), "SELECT 1"), std::runtime_error);
  }
  PostgresCluster again(options);
  again.Start();
  EXPECT_EQ(testing::QueryScalar(again.ConnectionString(), "SELECT v FROM kept"), "still here");
  // Only loopback, and a password is required.
  const std::string admin = again.AdminConnectionString("karton");
  EXPECT_EQ(testing::QueryScalar(admin, "SHOW listen_addresses"), "127.0.0.1");
  EXPECT_EQ(testing::QueryScalar(admin, "SHOW unix_socket_directories"), "");
  EXPECT_THROW(testing::QueryScalar(fmt::format("host=127.0.0.1 port={} user=karton "
                                                "password=wrong dbname=karton",
                                                again.Port()),
                                    "SELECT 1"),
               std::runtime_error);
}

TEST(PostgresCluster, KartondWorksAsANonSuperuserThatOwnsItsDatabase) {
  testing::TemporaryDirectory directory;
  const PostgresClusterOptions options = ThrowawayOptions(directory);
  PostgresCluster cluster(options);
  cluster.Start();
  const std::string app = cluster.ConnectionString();
  EXPECT_EQ(testing::QueryScalar(app, "SELECT current_user"), "kartond");
  EXPECT_EQ(testing::QueryScalar(app,
                                 "SELECT rolsuper::text || rolcreatedb::text || "
                                 "rolcreaterole::text || rolbypassrls::text "
                                 "FROM pg_roles WHERE rolname = current_user"),
            "falsefalsefalsefalse");
  EXPECT_EQ(testing::QueryScalar(app,
                                 "SELECT pg_get_userbyid(datdba) FROM pg_database "
                                 "WHERE datname = current_database()"),
            "kartond");
  // What migrations need: schemas, and the trusted extensions in them.
  testing::QueryScalar(app, "CREATE SCHEMA module_a");
  testing::QueryScalar(app, "CREATE EXTENSION pg_trgm WITH SCHEMA module_a");
  testing::QueryScalar(app, "CREATE EXTENSION unaccent WITH SCHEMA module_a");
  // What a superuser could do and kartond must not: read the server's files,
  // run programs, make roles or databases.
  EXPECT_THROW(testing::QueryScalar(app, "SELECT pg_read_file('postgresql.conf')"),
               std::runtime_error);
  EXPECT_THROW(testing::QueryScalar(app, "COPY (SELECT 1) TO PROGRAM 'true'"), std::runtime_error);
  EXPECT_THROW(testing::QueryScalar(app, "CREATE ROLE intruder SUPERUSER"), std::runtime_error);
  EXPECT_THROW(testing::QueryScalar(app, "CREATE DATABASE other"), std::runtime_error);
  // Its password is stored as a SCRAM verifier, in a file only root reads.
  EXPECT_EQ(
      std::filesystem::status(options.data_directory / "postgres.kartond-password").permissions() &
          (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
      std::filesystem::perms::none);
  EXPECT_EQ(testing::QueryScalar(cluster.AdminConnectionString("postgres"),
                                 "SELECT left(rolpassword, 14) FROM pg_authid "
                                 "WHERE rolname = 'kartond'"),
            "SCRAM-SHA-256$");
}

TEST(PostgresCluster, ADatabaseFromBeforeTheApplicationRoleIsHandedToIt) {
  testing::TemporaryDirectory directory;
  const PostgresClusterOptions options = ThrowawayOptions(directory);
  {
    PostgresCluster cluster(options);
    cluster.Start();
    // What an older kartond left: everything made by the superuser.
    const std::string admin = cluster.AdminConnectionString("karton");
    testing::QueryScalar(admin, "ALTER DATABASE karton OWNER TO karton");
    testing::QueryScalar(admin, R"sql(
      CREATE SCHEMA legacy;
      CREATE EXTENSION pg_trgm WITH SCHEMA legacy;
      CREATE TYPE legacy.stage AS ENUM ('new', 'won');
      CREATE DOMAIN legacy.positive AS bigint CHECK (VALUE > 0);
      CREATE TABLE legacy.deal (id bigserial PRIMARY KEY, stage legacy.stage NOT NULL,
                                amount legacy.positive);
      CREATE TABLE legacy.note (id bigint GENERATED ALWAYS AS IDENTITY, body text);
      CREATE SEQUENCE legacy.invoice_number;
      CREATE VIEW legacy.won AS SELECT id FROM legacy.deal WHERE stage = 'won';
      CREATE FUNCTION legacy.double_it(v bigint) RETURNS bigint LANGUAGE sql AS 'SELECT v * 2';
      CREATE PROCEDURE legacy.touch() LANGUAGE sql AS 'SELECT 1';
    )sql");
  }
  PostgresCluster again(options);
  again.Start();
  const std::string app = again.ConnectionString();
  EXPECT_EQ(testing::QueryScalar(app,
                                 "SELECT pg_get_userbyid(datdba) FROM pg_database "
                                 "WHERE datname = current_database()"),
            "kartond");
  // Nothing of the application's is left with the superuser, except what
  // belongs to an extension. (An array type follows its element type.)
  EXPECT_EQ(testing::QueryScalar(app, R"sql(
      SELECT count(*) FROM (
        SELECT nspowner AS owner, 'pg_namespace'::regclass AS catalog, oid FROM pg_namespace
         WHERE nspname = 'legacy'
        UNION ALL SELECT relowner, 'pg_class'::regclass, oid FROM pg_class
         WHERE relnamespace = 'legacy'::regnamespace
        UNION ALL SELECT proowner, 'pg_proc'::regclass, oid FROM pg_proc
         WHERE pronamespace = 'legacy'::regnamespace
        UNION ALL SELECT typowner, 'pg_type'::regclass, oid FROM pg_type
         WHERE typnamespace = 'legacy'::regnamespace AND typcategory <> 'A') o
      WHERE pg_get_userbyid(o.owner) <> 'kartond'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = o.catalog
                          AND d.objid = o.oid AND d.deptype = 'e'))sql"),
            "0");
  // And the application's migrations can change all of it.
  testing::QueryScalar(app, R"sql(
      ALTER TABLE legacy.deal ADD COLUMN closed_on date;
      ALTER TABLE legacy.note ADD COLUMN author bigint;
      ALTER TYPE legacy.stage ADD VALUE 'lost';
      ALTER DOMAIN legacy.positive SET DEFAULT 1;
      ALTER SEQUENCE legacy.invoice_number RESTART WITH 1000;
      CREATE OR REPLACE VIEW legacy.won AS SELECT id, amount FROM legacy.deal
        WHERE stage = 'won';
      CREATE OR REPLACE FUNCTION legacy.double_it(v bigint) RETURNS bigint LANGUAGE sql
        AS 'SELECT v + v';
      DROP PROCEDURE legacy.touch();
      INSERT INTO legacy.deal (stage, amount) VALUES ('won', 21);
      INSERT INTO legacy.note (body) VALUES ('kept');
  )sql");
  EXPECT_EQ(testing::QueryScalar(app, "SELECT legacy.double_it(amount) FROM legacy.won"), "42");
  EXPECT_EQ(testing::QueryScalar(app, "SELECT nextval('legacy.invoice_number')"), "1000");
  EXPECT_EQ(testing::QueryScalar(app, "SELECT legacy.similarity('deal', 'deal')"), "1");
}

TEST(PostgresCluster, ReportsAnUnusableBinaryDirectory) {
  testing::TemporaryDirectory directory;
  PostgresClusterOptions options;
  options.data_directory = directory.Path() / "data";
  options.bin_directory = "/nonexistent/bin";
  PostgresCluster cluster(options);
  try {
    cluster.Start();
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    // The package only recommends the server: the error names it and the
    // way to an external database.
    const std::string what = error.what();
    EXPECT_NE(what.find("/nonexistent/bin/postgres"), std::string::npos) << what;
    EXPECT_NE(what.find("apt install postgresql-15"), std::string::npos) << what;
    EXPECT_NE(what.find("--database-url"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace karton::kernel
