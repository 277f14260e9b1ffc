// The rules of the partner card that need no database: what a valid
// partner and a valid custom field definition are, their normal forms, and
// which fields a change touched. Unit-tested on their own.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "karton/kernel/errors.h"
#include "karton/partners/v1/partner.pb.h"

namespace karton::partners {

using Definitions = std::map<std::string, v1::CustomFieldDefinition>;

// Checks `partner` and puts it into normal form in place (trimmed names,
// normalised tax and VAT numbers, IBANs, emails, E.164 phones, lower-case
// unique tags, upper-case country codes). Output-only fields are cleared.
// Every problem is added to `violations` with its path under `prefix`
// ("partner.emails[1]").
void NormalizePartner(v1::Partner& partner, const Definitions& definitions,
                      const std::string& prefix, std::vector<kernel::FieldViolation>& violations);

// Checks a custom field definition (key, label, type, choices).
void CheckDefinition(const v1::CustomFieldDefinition& definition, const std::string& prefix,
                     std::vector<kernel::FieldViolation>& violations);

// One field that differs between two versions of a partner, with both
// values as JSON (absent: the field was empty).
struct FieldDiff {
  std::string field;  // proto field name
  std::optional<std::string> old_json;
  std::optional<std::string> new_json;
};
// The fields of `after` that differ from `before` (every non-empty field
// when `before` is null), leaving out the bookkeeping ones (times, etag).
std::vector<FieldDiff> DiffPartners(const v1::Partner* before, const v1::Partner& after);

// The fields an update_mask may name; "custom_fields.<key>" changes one key.
bool IsUpdatableField(const std::string& path);

}  // namespace karton::partners
