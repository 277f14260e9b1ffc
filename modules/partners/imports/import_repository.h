// The SQL of CSV imports and exports. Valid rows are loaded into
// partners.import_row with COPY (import_service.cpp) and applied by the
// set-based statements here, all inside the import's one transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "imports/import_rows.h"
#include "karton/kernel/clock.h"
#include "karton/partners/v1/partner.pb.h"

namespace soci {
class session;
}  // namespace soci
namespace karton::kernel {
class CopyIn;
}  // namespace karton::kernel

namespace karton::partners::import_repository {

using kernel::TimePoint;

// The statement that loads import rows (kernel::CopyIn); CopyRow writes
// one row of it. Each row starts as the leader of its own partner
// (leader_row = row_number): grouping then rewrites only the rows that
// join another's, not all of a million wide rows.
inline constexpr const char* kCopyRows =
    "COPY partners.import_row (import_id, row_number, karton_id, external_ids, tax_number, "
    "partner_key, doc, creatable, contact, parent_ref, parent_column, emails, phones, consents, "
    "leader_row) FROM STDIN";
void CopyRow(kernel::CopyIn& copy, std::int64_t import_id, std::int64_t row_number,
             const ImportRow& row);

// Within ApplyImport, before its rows go: records the consents the applied rows give (source
// import, evidence "import <id>") where they change the partner's current
// state, so running a file again records nothing new. The last row of a
// partner wins. Returns the entries recorded.
std::vector<v1::MarketingConsent> ApplyConsents(soci::session& session, std::int64_t import_id,
                                                std::int64_t user_id, TimePoint now);

std::int64_t CreateImport(soci::session& session, const std::string& mode, bool dry_run,
                          const std::string& request_id, std::int64_t user_id, TimePoint now);
std::optional<std::int64_t> FindImportByRequestId(soci::session& session,
                                                  const std::string& request_id);
std::optional<v1::Import> FindImport(soci::session& session, std::int64_t id);
// Holds the import's advisory lock until `session`'s transaction ends:
// while it is held, the import is running.
void HoldImportLock(soci::session& session, std::int64_t id);
// Session-level: while held, the import's file is being received
// (ReceivingImports).
void HoldReceivingLock(soci::session& session, std::int64_t id);
void ReleaseReceivingLock(soci::session& session, std::int64_t id);
// Imports left RECEIVING or APPLYING whose lock nobody holds (their kartond
// stopped): FAILED, with nothing applied. Returns how many.
int FailAbandonedImports(soci::session& session, TimePoint now);
// Progress and heartbeat (autocommit, outside the import's transaction).
// Whether the import is still RECEIVING (not failed meanwhile as idle).
bool StillReceiving(soci::session& session, std::int64_t import_id);
void SaveProgress(soci::session& session, const v1::Import& import, const std::string& state);
void FinishImport(soci::session& session, const v1::Import& import, const std::string& state,
                  const std::string& error, TimePoint now);

struct RowError {
  std::int64_t row = 0;
  std::string column;
  std::string field;
  std::string problem;
};
void InsertErrors(soci::session& session, std::int64_t import_id,
                  const std::vector<RowError>& errors);
// Oldest first, after the error numbered `after_id`: (number, error).
std::vector<std::pair<std::int64_t, RowError>> ListErrors(soci::session& session,
                                                          std::int64_t import_id,
                                                          std::int64_t after_id, int limit);

// --- applying, in the import's transaction ----------------------------------

struct ApplyCounts {
  std::int64_t duplicates = 0;
  std::int64_t skipped = 0;
  std::int64_t created = 0;
  std::int64_t updated = 0;
  std::int64_t contacts_created = 0;
};
struct ApplyResult {
  ApplyCounts counts;
  std::vector<RowError> errors;  // rows refused while applying
  std::vector<std::int64_t> created_ids;
  // Updated partners and their protobuf JSON before the update.
  std::vector<std::pair<std::int64_t, std::string>> updated;
  std::vector<std::int64_t> contact_ids;
  // The marketing consents the rows' consent columns recorded (ApplyConsents).
  std::vector<v1::MarketingConsent> consents;
};
// The stored columns a new partner gets when its row leaves them out
// (ApplyImport's `defaults_json`).
std::string CreateDefaults(v1::PartnerKind kind);

// What rows are matched to existing partners by (v1::ImportMatchKey).
enum class MatchKey { kId, kExternalId, kTaxNumber, kEmail, kPhone };
// ID, EXTERNAL_ID, TAX_NUMBER, EMAIL, PHONE.
std::vector<MatchKey> DefaultMatchOrder();

// `mode`: create_only | upsert | update_only. `defaults_json`: the stored
// columns a new partner gets when its row leaves them out. `match_order`:
// the keys rows are matched by, in order (kId is tried first whether
// listed or not); rows of the file sharing an email or phone are one
// partner when kEmail or kPhone is listed. `user_id` records the rows'
// consents (ApplyConsents).
ApplyResult ApplyImport(soci::session& session, std::int64_t import_id, const std::string& mode,
                        const std::string& defaults_json, const std::string& id_column,
                        const std::vector<MatchKey>& match_order, TimePoint now,
                        std::int64_t user_id = 0);

// --- exporting ---------------------------------------------------------------

std::vector<std::string> ExternalSources(soci::session& session);

}  // namespace karton::partners::import_repository
