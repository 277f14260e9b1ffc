// The kernel's bulk writers against a real PostgreSQL: PublishMany and
// RecordMany go through COPY, so every byte COPY's text format treats
// specially must come back unchanged.
#include <gtest/gtest.h>
#include <soci/soci.h>

#include "audit_log.h"
#include "event_bus.h"
#include "event_store.h"
#include "job_queue.h"
#include "karton/kernel/database.h"
#include "karton/kernel/v1/event_service.pb.h"
#include "kernel_migrations.h"
#include "throwaway_postgres.h"

namespace karton::kernel {
namespace {

using testing::QueryScalar;
using testing::SharedPostgres;

class BulkWritesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(testing::DatabaseNameForCurrentTest());
    database_ = std::make_unique<Database>(conninfo_, 2);
    Migrator(*database_).Apply({KernelMigrations()});
  }
  KernelClock clock_{false};
  std::string conninfo_;
  std::unique_ptr<Database> database_;
};

TEST_F(BulkWritesTest, PublishManyKeepsEveryByteAndCommitsWithTheTransaction) {
  EventBus bus(*database_, conninfo_, clock_, "node", EventBusOptions{});
  auto shop = bus.ForModule("shop");
  shop->DeclareTopic<v1::Topic>("shop.item.created");
  const std::string nasty("tab\there\nnew line \\ back\\slash \0 nul \r end", 42);
  std::vector<v1::Topic> payloads(500);
  DomainEvents::Batch batch;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    payloads[i].set_name(nasty + std::to_string(i));
    batch.emplace_back(static_cast<std::int64_t>(i + 1), &payloads[i]);
  }
  {
    auto lease = database_->Acquire();
    soci::transaction transaction(lease.Session());
    shop->PublishMany(lease.Session(), "shop.item.created", batch, Caller::Internal());
    // Rolled back: nothing stays.
  }
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM kernel.event_outbox"), "0");
  {
    auto lease = database_->Acquire();
    soci::transaction transaction(lease.Session());
    shop->PublishMany(lease.Session(), "shop.item.created", batch, Caller::Internal());
    transaction.commit();
  }
  auto lease = database_->Acquire();
  event_store::MoveOutboxToLog(lease.Session(), 1000);
  const auto read = event_store::ReadBatch(lease.Session(), 0, "%", 1000);
  ASSERT_EQ(read.events.size(), 500u);
  for (std::size_t i = 0; i < read.events.size(); ++i) {
    v1::Topic payload;
    ASSERT_TRUE(read.events[i].ParsePayload(payload));
    EXPECT_EQ(payload.name(), payloads[i].name());
    EXPECT_EQ(read.events[i].aggregate_id, static_cast<std::int64_t>(i + 1));
  }
}

TEST_F(BulkWritesTest, RecordManyWritesOneEntryPerResourceSkippingEmptyUpdates) {
  KernelAuditLog audit(clock_);
  AuditLog::Entries entries;
  entries.push_back({1, {FieldChange::Of("name", "old\tname", "new\nname \\ \"quoted\"")}});
  entries.push_back({2, {FieldChange::Of("name", "same", "same")}});  // no change: not recorded
  // Literals must not turn into the bool overload (they once did: both "true").
  EXPECT_EQ(*FieldChange::Of("name", "a", "b").old_json, "\"a\"");
  entries.push_back({3, {FieldChange::Of("city", "Pécs", "Szeged")}});
  auto lease = database_->Acquire();
  soci::transaction transaction(lease.Session());
  audit.RecordMany(lease.Session(), Caller::Internal(), AuditAction::kUpdate, "shop.item", entries);
  transaction.commit();
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT string_agg(resource_id::text, ',' ORDER BY id) "
                        "FROM kernel.audit_entry"),
            "1,3");
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT changes->0->>'new' FROM kernel.audit_entry "
                        "WHERE resource_id = 1"),
            "new\nname \\ \"quoted\"");
}

}  // namespace
}  // namespace karton::kernel
