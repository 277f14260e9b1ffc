// The rules of the partner card that need no database: what a valid
// partner and a valid custom field definition are, their normal forms, and
// which fields a change touched. Unit-tested on their own.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "karton/kernel/audit.h"
#include "karton/kernel/errors.h"
#include "karton/partners/v1/partner.pb.h"

namespace karton::partners {

using Definitions = std::map<std::string, v1::CustomFieldDefinition>;

// Checks `partner` and puts it into normal form in place (trimmed names,
// normalised tax and VAT numbers, IBANs, emails, E.164 phones, lower-case
// unique tags, upper-case country codes). Output-only fields are cleared.
// Every problem is added to `violations` with its path under `prefix`
// ("partner.emails[1]"). `partial` (imports updating existing partners)
// skips what only a complete card needs: a display name and the required
// custom fields.
void NormalizePartner(v1::Partner& partner, const Definitions& definitions,
                      const std::string& prefix, std::vector<kernel::FieldViolation>& violations,
                      bool partial = false);

// A person's display name from their names, in Hungarian order, family
// name first: ("Anna", "Kovács") -> "Kovács Anna". One of them alone is
// the name. NormalizePartner gives it to a person without a display name.
std::string PersonDisplayName(const std::string& first_name, const std::string& last_name);

// Checks a custom field definition (key, label, type, choices).
void CheckDefinition(const v1::CustomFieldDefinition& definition, const std::string& prefix,
                     std::vector<kernel::FieldViolation>& violations);

// Checks and normalises a contact in place (name, emails, phones, dates,
// external ids), like NormalizePartner.
void NormalizeContact(v1::Contact& contact, const std::string& prefix,
                      std::vector<kernel::FieldViolation>& violations);

// Checks a timeline entry: channel, direction, bounded texts.
void NormalizeInteraction(v1::Interaction& interaction, const std::string& prefix,
                          std::vector<kernel::FieldViolation>& violations);

// Between two versions of a card, leaving out what only archiving and
// merging change (they name those changes themselves): NormalizePartner
// clears them, so an update of an archived card would otherwise report
// "archived" as changed.
std::vector<kernel::FieldChange> DiffPartners(const v1::Partner* before, const v1::Partner& after);

// The card of `keep` after `merged` is merged into it (A8): keep's values
// win; its empty fields take merged's (persons-only fields only when keep is
// a person; the parent only when it is not keep itself); it is a customer
// or a supplier when either was; emails, phones, tags, addresses and bank
// accounts (by IBAN) are united; custom fields and external ids keep lacks
// are added. The result still has to pass NormalizePartner (entry limits),
// and the parent the merge service's check of the group (no cycles).
v1::Partner MergeCards(const v1::Partner& keep, const v1::Partner& merged);

// Personal data erasure (A10). The fields of a partner that can identify a
// person: AnonymisePartner clears them (the name becomes "Erased partner
// <id>"); kind, tags, owner, credit limit, risk class, external ids, terms,
// currency, language, customer and supplier flags and the parent stay, as
// do the ids other records refer to.
const std::vector<std::string>& PersonalPartnerFields();
void AnonymisePartner(v1::Partner& partner);
// Every field of a contact but its primary flag and external ids; the name
// becomes "Erased contact <id>".
void AnonymiseContact(v1::Contact& contact);

// The fields an update_mask may name; "custom_fields.<key>" changes one key.
bool IsUpdatableField(const std::string& path);
bool IsUpdatableContactField(const std::string& path);

}  // namespace karton::partners
