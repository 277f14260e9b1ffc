// From CSV records to checked partner rows, for ImportPartners: which
// column feeds which field, how a cell is read, which keys match an
// existing partner. No database here; unit-tested on its own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "partner_rules.h"

namespace karton::partners {

// Per CSV column: the field it feeds ("tax_number", "email",
// "address.city", "custom.industry", "external_id.crm", "contact.name",
// "id", ...), or "" for a column left out.
struct ColumnPlan {
  std::vector<std::string> targets;
  std::vector<std::string> headers;
};

// Plans the columns from the header and the mapping (CSV column -> field;
// empty: the header names the fields). nullopt and `problem` when a field
// does not exist, is given twice where it may not be, or a mapped column is
// missing from the header.
std::optional<ColumnPlan> PlanColumns(const std::vector<std::string>& header,
                                      const std::map<std::string, std::string>& mapping,
                                      const Definitions& definitions, std::string& problem);

// Every field an import column may name (for messages and docs).
std::string ImportFieldList();

struct ImportDefaults {
  v1::PartnerKind kind = v1::PARTNER_KIND_ORGANIZATION;
  std::string country = "HU";
};

struct RowProblem {
  std::string column;  // the CSV column's header, when one is to blame
  std::string field;   // "partner.tax_number"
  std::string problem;
};

struct ImportRow {
  std::int64_t karton_id = 0;       // from an "id" column
  v1::Partner partner;              // checked and normalised
  std::vector<std::string> fields;  // partners.partner columns the row sets
  std::optional<v1::Contact> contact;
  // Rows with one key are one partner: "id:17", "ext:crm:A-1", "tax:...".
  std::string partner_key;
  // The parent company the row names (parent.id, parent.external_id.<source>
  // or parent.tax_number; the first given in that order): "id:17",
  // "ext:crm:A-1", "tax:12345678-2-42"; empty when none. Found among the
  // partners there are and those of the file when the import is applied.
  std::string parent_ref;
  std::string parent_column;  // the CSV column it came from
  // The row's emails and phones, its partner's then its contact's, as
  // normalised (lower case; E.164), each once: what matches it to a partner
  // there is, and to the other rows of the file, by email and phone.
  std::vector<std::string> emails;
  std::vector<std::string> phones;
  // The partner's marketing consent the row gives, by channel ("email",
  // "sms", "letter", "phone"): granted or withdrawn.
  std::map<std::string, bool> consents;
  // Has what creating a partner needs (a name, the required custom fields).
  bool creatable = false;
  std::vector<RowProblem> problems;  // empty: the row is valid
};

// Reads one data record. Cells holding several emails, phones or tags
// separate them with ';'.
ImportRow BuildImportRow(const ColumnPlan& plan, const std::vector<std::string>& cells,
                         const ImportDefaults& defaults, const Definitions& definitions);

// The header of an export: the import's field names, so an export imports
// back unchanged; custom fields and external ids by the keys given.
std::vector<std::string> ExportHeader(const Definitions& definitions,
                                      const std::vector<std::string>& external_sources);
// One partner as an export record for that header.
std::vector<std::string> ExportCells(const v1::Partner& partner,
                                     const std::vector<std::string>& header);

}  // namespace karton::partners
