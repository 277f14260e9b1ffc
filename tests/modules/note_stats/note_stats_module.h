// The "note_stats" test module: depends on "notes" and calls its gRPC service
// through the kernel's in-process channel, never through its headers.
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::note_stats {

class NoteStatsServiceImpl;

class NoteStatsModule final : public kernel::Module {
 public:
  NoteStatsModule();
  ~NoteStatsModule() override;
  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;

 private:
  std::unique_ptr<NoteStatsServiceImpl> service_;
};

}  // namespace karton::note_stats
