// The hello module: the smallest module built outside Karton's tree, against
// an installed Karton (find_package(Karton)), with its own proto library,
// migration, service and tests. docs/module-guide.md walks through it.
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::hello {

class GreetingService;

class HelloModule final : public kernel::Module {
 public:
  // kartond --module-option hello.default_language=hu: declared here, so
  // kartond --help lists it and refuses keys the module does not know.
  static constexpr KartonModuleOption kOptions[] = {
      {"default_language", "text", "The language of a greeting that names none: en or hu", "en",
       ""},
  };

  HelloModule();
  ~HelloModule() override;

  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  std::unique_ptr<GreetingService> service_;
};

}  // namespace karton::hello
