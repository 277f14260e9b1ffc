#include "hello_module.h"

#include <stdexcept>
#include <string>

#include "greeting_rules.h"
#include "greeting_service.h"
#include "karton/kernel/access.h"
#include "karton/kernel/database.h"
#include "karton/kernel/transaction.h"

namespace karton::hello {

HelloModule::HelloModule() = default;
HelloModule::~HelloModule() = default;

void HelloModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  // A bad setting stops kartond at start, naming it.
  const std::string default_language = context.Option("default_language").value_or("en");
  if (!IsKnownLanguage(default_language)) {
    throw std::invalid_argument("hello.default_language must be en or hu, not '" +
                                default_language + "'");
  }
  GreetingService::DeclareTopics(context.Events());
  service_ = std::make_unique<GreetingService>(kernel::PartsOf(context), default_language);
  // Every method says who may call it.
  registrar.AddGrpcService(
      *service_, v1::GreetingService::service_full_name(),
      {{"CreateGreeting",
        {std::string(kernel::kRoleSales), std::string(kernel::kRoleSalesManager)}},
       {"GetGreeting", {std::string(kernel::kAnyRole)}}});
}

void HelloModule::LoadDemoData(kernel::ModuleContext&, soci::session& session) {
  kernel::RunPreparedLater(session,
                           "INSERT INTO hello.greeting (name, language, text, create_time) "
                           "VALUES ($1, 'hu', 'Szia, ' || $1 || '!', now())",
                           {"Kovács Anna"});
}

}  // namespace karton::hello
