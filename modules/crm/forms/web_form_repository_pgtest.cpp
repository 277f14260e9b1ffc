// web_form_repository against crm's shipped schema on a throwaway database:
// the definition document round trip, etag and slug on update, unique slugs,
// repeated requests, and listing by id after a cursor.
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "forms/web_form_repository.h"
#include "karton/kernel/database.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/testing/fake_module_context.h"
#include "module_database_test.h"
#include "throwaway_postgres.h"

namespace karton::crm {
namespace {

using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;

class WebFormRepositoryTest : public karton::testing::ModuleDatabaseTest {
 protected:
  WebFormRepositoryTest() : ModuleDatabaseTest("crm", {"partners", "crm"}) {}

  static v1::WebForm ContactForm(const std::string& slug) {
    v1::WebForm form;
    form.set_slug(slug);
    form.set_title("Kapcsolat");
    form.set_description("Írjon nekünk!");
    form.set_language("hu");
    form.set_confirmation_template("crm.web_form_confirmation");
    form.add_allowed_origins("https://www.pelda.hu");
    form.set_redirect_url("https://www.pelda.hu/koszonjuk");
    auto* name = form.add_fields();
    name->set_name("name");
    name->set_label("Név");
    name->set_type(v1::WEB_FORM_FIELD_TYPE_TEXT);
    name->set_max_length(80);
    auto* email = form.add_fields();
    email->set_name("email");
    email->set_label("E-mail");
    email->set_type(v1::WEB_FORM_FIELD_TYPE_EMAIL);
    email->set_required(true);
    auto* size = form.add_fields();
    size->set_name("size");
    size->set_label("Létszám");
    size->set_type(v1::WEB_FORM_FIELD_TYPE_SELECT);
    size->add_choices("1-10");
    size->add_choices("11-50");
    auto* demo = form.add_categories();
    demo->set_key("demo");
    demo->set_label("Bemutató");
    demo->set_team_id(3);
    return form;
  }

  std::int64_t Insert(const v1::WebForm& form, const std::string& request_id = "") {
    auto lease = database_->Acquire();
    return web_form_repository::Insert(lease.Session(), form, request_id, context_.Time().Now());
  }

  // What the repository stores of a form: all but the server's fields.
  static v1::WebForm Definition(v1::WebForm form) {
    form.clear_id();
    form.clear_create_time();
    form.clear_update_time();
    form.clear_etag();
    return form;
  }
};

TEST_F(WebFormRepositoryTest, ADefinitionRoundTripsAndAnUpdateBumpsTheEtagButKeepsTheSlug) {
  const v1::WebForm form = ContactForm("kapcsolat");
  const auto id = Insert(form);
  auto lease = database_->Acquire();
  const auto stored = web_form_repository::Find(lease.Session(), id, false);
  ASSERT_TRUE(stored);
  std::string differences;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(Definition(*stored), form)) << differences;
  EXPECT_EQ(stored->id(), id);
  EXPECT_EQ(stored->etag(), "1");
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(stored->create_time()),
            kernel::ToEpochMicros(context_.Time().Now()));
  const auto by_slug = web_form_repository::FindBySlug(lease.Session(), "kapcsolat");
  ASSERT_TRUE(by_slug);
  EXPECT_EQ(by_slug->id(), id);
  EXPECT_FALSE(web_form_repository::FindBySlug(lease.Session(), "Kapcsolat"));

  v1::WebForm change = *stored;
  change.set_slug("masik");  // the slug is not changed by an update
  change.set_title("Ajánlatkérés");
  change.set_disabled(true);
  change.mutable_fields()->RemoveLast();
  context_.Clock().Advance(std::chrono::minutes(3));
  web_form_repository::Update(lease.Session(), change, context_.Time().Now());
  const auto updated = web_form_repository::Find(lease.Session(), id, false);
  EXPECT_EQ(updated->slug(), "kapcsolat");
  EXPECT_EQ(updated->title(), "Ajánlatkérés");
  EXPECT_TRUE(updated->disabled());
  EXPECT_EQ(updated->fields_size(), 2);
  EXPECT_EQ(updated->etag(), "2");
  EXPECT_EQ(updated->create_time(), stored->create_time());
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(updated->update_time()),
            kernel::ToEpochMicros(context_.Time().Now()));
  EXPECT_FALSE(web_form_repository::FindBySlug(lease.Session(), "masik"));
}

TEST_F(WebFormRepositoryTest, ARepeatedRequestIsTheFirstFormAndATakenSlugIsAUniqueViolation) {
  const auto id = Insert(ContactForm("kapcsolat"), "form-1");
  EXPECT_EQ(Insert(ContactForm("egeszen-mas"), "form-1"), id);
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM crm.web_form"), "1");
  for (const auto& [slug, state] : std::vector<std::pair<std::string, std::string>>{
           {"kapcsolat", "23505"}, {"Nagy Betuk", "23514"}}) {
    try {
      Insert(ContactForm(slug), "form-2");
      ADD_FAILURE() << "stored a form with slug " << slug;
    } catch (const std::exception& error) {
      EXPECT_EQ(kernel::SqlState(error), state) << error.what();
    }
  }
}

TEST_F(WebFormRepositoryTest, FormsAreListedByIdAfterTheGivenOne) {
  std::vector<std::int64_t> ids;
  for (const char* slug : {"e", "d", "c", "b", "a"}) ids.push_back(Insert(ContactForm(slug)));
  auto lease = database_->Acquire();
  const auto page = [&](std::int64_t after) {
    std::vector<std::int64_t> listed;
    for (const auto& form : web_form_repository::List(lease.Session(), after, 2)) {
      listed.push_back(form.id());
    }
    return listed;
  };
  EXPECT_EQ(page(0), (std::vector<std::int64_t>{ids[0], ids[1]}));
  EXPECT_EQ(page(ids[1]), (std::vector<std::int64_t>{ids[2], ids[3]}));
  EXPECT_EQ(page(ids[3]), (std::vector<std::int64_t>{ids[4]}));
  EXPECT_TRUE(page(ids[4]).empty());
}

}  // namespace
}  // namespace karton::crm
