// kernel::IntegerOption and NumberOption: a module's numeric settings with
// the module's range, read in Register().
#include "karton/kernel/options.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "karton/kernel/testing/fake_module_context.h"

namespace karton::kernel {
namespace {

std::string RefusalOf(testing::FakeModuleContext& context, const char* key) {
  try {
    IntegerOption(context, key, 5, 0, 300);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "(accepted)";
}

TEST(ModuleOptions, AnUnsetOptionIsItsDefaultAndASetOneItsValue) {
  testing::FakeModuleContext context("crm");
  EXPECT_EQ(IntegerOption(context, "team_cache_seconds", 5, 0, 300), 5);
  context.SetOption("team_cache_seconds", "0");
  EXPECT_EQ(IntegerOption(context, "team_cache_seconds", 5, 0, 300), 0);
  EXPECT_DOUBLE_EQ(NumberOption(context, "form_posts_per_minute", 10, 0, 1e6), 10);
  context.SetOption("form_posts_per_minute", "2.5");
  EXPECT_DOUBLE_EQ(NumberOption(context, "form_posts_per_minute", 10, 0, 1e6), 2.5);
}

TEST(ModuleOptions, AValueOutsideTheRangeStopsTheStartNamingTheOptionAndTheRange) {
  testing::FakeModuleContext context("crm");
  for (const char* bad : {"301", "-1", "12abc", ""}) {
    context.SetOption("team_cache_seconds", bad);
    EXPECT_EQ(RefusalOf(context, "team_cache_seconds"),
              "--module-option crm.team_cache_seconds must be 0 to 300")
        << bad;
  }
  context.SetOption("form_posts_per_minute", "nan");
  EXPECT_THROW(NumberOption(context, "form_posts_per_minute", 10, 0, 1e6), std::invalid_argument);
  context.SetOption("form_posts_per_minute", "1e7");
  EXPECT_THROW(NumberOption(context, "form_posts_per_minute", 10, 0, 1e6), std::invalid_argument);
}

}  // namespace
}  // namespace karton::kernel
