// pipeline_repository against crm's shipped schema on a throwaway database:
// stage order, idempotent creation, listing order, and Replace's reordering
// with dropped stages kept for the history but out of the pipeline.
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "karton/kernel/database.h"
#include "karton/kernel/testing/fake_module_context.h"
#include "module_database_test.h"
#include "pipeline/pipeline_repository.h"
#include "throwaway_postgres.h"

namespace karton::crm {
namespace {

class PipelineRepositoryTest : public karton::testing::ModuleDatabaseTest {
 protected:
  PipelineRepositoryTest() : ModuleDatabaseTest("crm", {"partners", "crm"}) {}

  static v1::Pipeline Sales(const std::string& name) {
    v1::Pipeline pipeline;
    pipeline.set_name(name);
    for (const auto& [stage_name, probability, won, lost] :
         std::vector<std::tuple<const char*, int, bool, bool>>{{"Új", 10, false, false},
                                                               {"Ajánlat", 50, false, false},
                                                               {"Tárgyalás", 70, false, false},
                                                               {"Megnyert", 100, true, false},
                                                               {"Elvesztett", 0, false, true}}) {
      auto* stage = pipeline.add_stages();
      stage->set_name(stage_name);
      stage->set_probability(probability);
      stage->set_won(won);
      stage->set_lost(lost);
    }
    return pipeline;
  }

  std::int64_t Insert(const v1::Pipeline& pipeline, const std::string& request_id = "") {
    auto lease = database_->Acquire();
    soci::transaction transaction(lease.Session());
    const auto id =
        pipeline_repository::Insert(lease.Session(), pipeline, request_id, context_.Time().Now());
    transaction.commit();
    return id;
  }

  v1::Pipeline Find(std::int64_t id) {
    auto lease = database_->Acquire();
    auto found = pipeline_repository::Find(lease.Session(), id, false);
    if (!found) throw std::runtime_error("no pipeline " + std::to_string(id));
    return *found;
  }

  static std::vector<std::string> StageNames(const v1::Pipeline& pipeline) {
    std::vector<std::string> names;
    for (const auto& stage : pipeline.stages()) names.push_back(stage.name());
    return names;
  }
};

TEST_F(PipelineRepositoryTest, StagesComeBackInTheOrderGivenAndARepeatedRequestAddsNone) {
  const auto id = Insert(Sales("Értékesítés"), "create-pipeline-1");
  const v1::Pipeline stored = Find(id);
  EXPECT_EQ(stored.id(), id);
  EXPECT_EQ(stored.name(), "Értékesítés");
  EXPECT_EQ(stored.etag(), "1");
  EXPECT_EQ(StageNames(stored),
            (std::vector<std::string>{"Új", "Ajánlat", "Tárgyalás", "Megnyert", "Elvesztett"}));
  EXPECT_EQ(stored.stages(1).probability(), 50);
  EXPECT_TRUE(stored.stages(3).won());
  EXPECT_FALSE(stored.stages(3).lost());
  EXPECT_TRUE(stored.stages(4).lost());
  EXPECT_LT(stored.stages(0).id(), stored.stages(4).id());

  // The same request again, even with other stages: the first pipeline.
  v1::Pipeline again = Sales("Másik");
  again.mutable_stages()->RemoveLast();
  EXPECT_EQ(Insert(again, "create-pipeline-1"), id);
  EXPECT_EQ(Find(id).name(), "Értékesítés");
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM crm.stage"), "5");
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM crm.pipeline"), "1");
}

TEST_F(PipelineRepositoryTest, PipelinesAreListedInCreationOrderNotByName) {
  const auto wholesale = Insert(Sales("Nagyker"));
  const auto retail = Insert(Sales("Bolt"));
  const auto agency = Insert(Sales("Ügynökség"));
  auto lease = database_->Acquire();
  const auto all = pipeline_repository::List(lease.Session());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.at(0).id(), wholesale);
  EXPECT_EQ(all.at(1).id(), retail);
  EXPECT_EQ(all.at(2).id(), agency);
  EXPECT_EQ(all.at(1).stages_size(), 5);
}

TEST_F(PipelineRepositoryTest, ReplaceReordersRenamesAddsAndHidesDroppedStages) {
  const auto id = Insert(Sales("Értékesítés"));
  const v1::Pipeline before = Find(id);
  const auto& fresh = before.stages(0);
  const auto& offer = before.stages(1);
  const auto& talks = before.stages(2);

  v1::Pipeline change;
  change.set_id(id);
  change.set_name("Nagyker");
  *change.add_stages() = offer;  // moved to the front and renamed
  change.mutable_stages(0)->set_name("Árajánlat");
  change.mutable_stages(0)->set_probability(40);
  *change.add_stages() = fresh;
  change.add_stages()->set_name("Szerződés");  // new
  change.mutable_stages(2)->set_probability(90);
  *change.add_stages() = before.stages(3);
  *change.add_stages() = before.stages(4);  // "Tárgyalás" is dropped
  context_.Clock().Advance(std::chrono::minutes(5));
  {
    auto lease = database_->Acquire();
    soci::transaction transaction(lease.Session());
    pipeline_repository::Replace(lease.Session(), change, context_.Time().Now());
    transaction.commit();
  }
  const v1::Pipeline after = Find(id);
  EXPECT_EQ(after.name(), "Nagyker");
  EXPECT_EQ(after.etag(), "2");
  EXPECT_GT(after.update_time().seconds(), before.update_time().seconds());
  EXPECT_EQ(StageNames(after),
            (std::vector<std::string>{"Árajánlat", "Új", "Szerződés", "Megnyert", "Elvesztett"}));
  EXPECT_EQ(after.stages(0).id(), offer.id());
  EXPECT_EQ(after.stages(0).probability(), 40);
  EXPECT_EQ(after.stages(1).id(), fresh.id());
  EXPECT_GT(after.stages(2).id(), before.stages(4).id());
  // The dropped stage stays in the table (deals' history names it).
  EXPECT_EQ(karton::testing::QueryScalar(
                conninfo_, "SELECT name || ':' || removed FROM crm.stage WHERE id = " +
                               std::to_string(talks.id())),
            "Tárgyalás:true");

  // Giving its id back brings it back where it is put.
  *change.mutable_stages()->Add() = talks;
  change.mutable_stages()->SwapElements(2, 5);  // after "Új", "Szerződés" goes last
  {
    auto lease = database_->Acquire();
    soci::transaction transaction(lease.Session());
    change.mutable_stages(5)->set_id(after.stages(2).id());
    pipeline_repository::Replace(lease.Session(), change, context_.Time().Now());
    transaction.commit();
  }
  EXPECT_EQ(StageNames(Find(id)),
            (std::vector<std::string>{"Árajánlat", "Új", "Tárgyalás", "Megnyert", "Elvesztett",
                                      "Szerződés"}));
  EXPECT_EQ(Find(id).etag(), "3");
}

}  // namespace
}  // namespace karton::crm
