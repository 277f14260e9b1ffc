// The "notes" test module: the smallest module that uses every part of the
// kernel contract — a migration, a gRPC service backed by SQL, an HTTP route
// and demo data. docs/module-guide.md walks through it.
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::notes {

class NotesServiceImpl;

class NotesModule final : public kernel::Module {
 public:
  // A role of the module's own: users given it (User.module_roles) may
  // write notes without being salespeople.
  static constexpr KartonModuleRole kRoles[] = {
      {"note_keeper", "Keeps the notes: creates and shares them"}};

  NotesModule();
  ~NotesModule() override;

  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  std::unique_ptr<NotesServiceImpl> service_;
};

}  // namespace karton::notes
