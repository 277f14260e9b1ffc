// The partners module: the partner card, master data every other module
// refers to (docs/partners.md). This file only wires; the work is in
// partner_service.cpp and the files it uses.
#pragma once

#include <memory>

#include "karton/kernel/module.h"

namespace karton::partners {

class PartnerServiceImpl;

class PartnersModule final : public kernel::Module {
 public:
  // --module-option partners.<key>=<value> (docs/partners.md, "Options").
  static constexpr KartonModuleOption kOptions[] = {
      {"document_max_mib", "integer", "The largest document an upload takes, 1 to 1024 MiB", "50",
       ""},
      {"import_max_mib", "integer", "The largest CSV file an import takes, 1 to 65536 MiB", "512",
       ""},
      {"streams_per_user", "integer",
       "Uploads, downloads and imports one user may have open at once, 1 to 1000", "4", ""},
      {"search_ranked_matches", "integer",
       "SearchPartners ranks at most this many matches by similarity, 1 to 1000000", "2000", ""},
  };

  PartnersModule();
  ~PartnersModule() override;
  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  // Marks imports whose kartond stopped as FAILED (nothing of them applied).
  void Start(kernel::ModuleContext& context) override;
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  std::unique_ptr<PartnerServiceImpl> partner_service_;
};

}  // namespace karton::partners
