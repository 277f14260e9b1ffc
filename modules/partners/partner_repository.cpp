#include "partner_repository.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <boost/json.hpp>
#include <stdexcept>

#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/typed_rows.h"
#include "partner_sql.h"

namespace karton::partners::repository {

using kernel::ToEpochMicros;

namespace {

// External partners see only what is shared with them (kernel.record_grant):
// the shared ids are gathered once per statement, not looked up per row.
// The placeholders differ: SOCI statements name theirs, RunPrepared numbers them.
#define KARTON_PARTNER_VISIBLE_TO(external, user_id)   \
  "(cast(" external                                    \
  " AS int) = 0 OR p.id IN (SELECT kernel.shared_ids(" \
  "'partners.partner', cast(" user_id " AS bigint))))"

#define KARTON_STORED_COLUMNS                                                                  \
  "kind, display_name, legal_name, tax_number, eu_vat_number, registration_number, "           \
  "addresses, emails, phones, website, tags, owner_user_id, custom_fields, "                   \
  "credit_limit_currency, credit_limit_minor, risk_class, birthday, name_day, bank_accounts, " \
  "payment_terms_days, default_currency_code, preferred_language, customer, supplier, "        \
  "parent_partner_id, first_name, last_name, salutation"
#define KARTON_STORED_VALUES                                                          \
  "r.kind, r.display_name, r.legal_name, r.tax_number, r.eu_vat_number, "             \
  "r.registration_number, r.addresses, r.emails, r.phones, r.website, r.tags, "       \
  "r.owner_user_id, r.custom_fields, r.credit_limit_currency, r.credit_limit_minor, " \
  "r.risk_class, r.birthday, r.name_day, r.bank_accounts, r.payment_terms_days, "     \
  "r.default_currency_code, r.preferred_language, r.customer, r.supplier, "           \
  "r.parent_partner_id, r.first_name, r.last_name, r.salutation"

// Reading one partner is the hottest path there is: prepared, typed
// columns, and a statement for each kind of caller. With the visibility
// condition's parameters in one statement PostgreSQL planned it again on
// every call (its generic plan, which cannot drop the condition for staff,
// looks dearer than a custom one that does): a fifth of the machine at
// concurrency 16 (bench/profile). Staff see every partner; an external
// partner what is shared with them.
const kernel::TypedQuery<v1::Partner> kFindPartner("SELECT " KARTON_PARTNER_COLUMNS
                                                   " FROM partners.partner p WHERE p.id = $1");
const kernel::TypedQuery<v1::Partner> kFindPartnerForUpdate(kFindPartner.Sql() +
                                                            " FOR UPDATE OF p");
const kernel::TypedQuery<v1::Partner> kFindSharedPartner(
    "SELECT " KARTON_PARTNER_COLUMNS
    " FROM partners.partner p WHERE p.id = $1 AND " KARTON_PARTNER_VISIBLE_TO("1", "$2"));
const kernel::TypedQuery<v1::Partner> kFindSharedPartnerForUpdate(kFindSharedPartner.Sql() +
                                                                  " FOR UPDATE OF p");
// Many partners by id (the import reads its partners back 2,000 at a time,
// merges read the cards they join). Each row looks its external ids and
// consents up by its own id, an index probe each, so a batch costs the
// same wherever its ids are. Joined to the batch instead, the planner could
// merge it with the external id index read from its first entry (the
// import's statistics are those of the table before its own rows): 11 ms
// more a batch for every 120,000 partners before it, quadratic in the
// import's size. Same columns, same values as a single partner's read.
const kernel::TypedQuery<v1::Partner> kFindPartnersById(
    "SELECT " KARTON_PARTNER_COLUMNS
    " FROM unnest(cast($1 AS bigint[])) WITH ORDINALITY AS wanted(id, position) "
    "JOIN partners.partner p ON p.id = wanted.id ORDER BY wanted.position");
const kernel::TypedQuery<v1::Partner> kFindVisiblePartnersById(
    "SELECT " KARTON_PARTNER_COLUMNS
    " FROM unnest(cast($1 AS bigint[])) WITH ORDINALITY AS wanted(id, position) "
    "JOIN partners.partner p ON p.id = wanted.id WHERE " KARTON_PARTNER_VISIBLE_TO(
        "$2", "$3") " ORDER BY wanted.position");
// Every list and search reads the partner's columns and then its sort key
// ("_key"), whatever its filter: one plan serves them all.
const kernel::RowShape<v1::Partner> kListedShape;

constexpr const char* kFindByRequestId =
    "SELECT id FROM partners.partner WHERE request_id = :request_id";

// Creates and updates run prepared (RunPrepared), like the read, with a
// typed parameter per column ($3 to $30, StoredParams below): no JSON
// document spread onto a record in between (docs/performance.md).
// The stored row comes back typed from the INSERT itself: no second read.
// A row this statement creates has no external ids or consents yet (both
// refer to its id), so it returns none rather than looking them up.
#define KARTON_STORED_PARAMS                                                                   \
  "cast($3 AS text), cast($4 AS text), cast($5 AS text), cast($6 AS text), cast($7 AS text), " \
  "cast($8 AS text), cast($9 AS jsonb), cast($10 AS text[]), cast($11 AS text[]), "            \
  "cast($12 AS text), cast($13 AS text[]), cast($14 AS bigint), cast($15 AS jsonb), "          \
  "cast($16 AS text), cast($17 AS bigint), cast($18 AS text), cast($19 AS date), "             \
  "cast($20 AS text), cast($21 AS jsonb), cast($22 AS integer), cast($23 AS text), "           \
  "cast($24 AS text), cast($25 AS boolean), cast($26 AS boolean), cast($27 AS bigint), "       \
  "cast($28 AS text), cast($29 AS text), cast($30 AS text)"
// What SearchPartners matches, from the same parameters.
#define KARTON_STORED_SEARCH_TEXT                                                                 \
  "kernel.fold(partners.search_source_of(cast($4 AS text), cast($5 AS text), cast($29 AS text), " \
  "cast($28 AS text), cast($6 AS text), cast($7 AS text), cast($8 AS text), "                     \
  "cast($10 AS text[]), cast($11 AS text[])))"

// The stored custom field definitions as one text, "key.version" of each in
// key order (DefinitionsFingerprint writes the same from what it read).
// Definitions are never deleted and every change bumps the version, so equal
// texts mean equal definitions.
#define KARTON_DEFINITIONS_FINGERPRINT                                                         \
  "(SELECT coalesce(string_agg(d.key || '.' || d.version, ',' ORDER BY d.key COLLATE \"C\"), " \
  "'') FROM partners.custom_field_definition d)"

// Inserts nothing when $31 (a definitions fingerprint, when given) no
// longer matches the stored definitions, or when the request id ($1)
// names a partner already: a CreatePartner checks its card against
// definitions it read earlier and the request id without a statement of
// its own (docs/partners.md, "Creating a partner").
const kernel::TypedQuery<v1::Partner> kInsertPartner(
    "INSERT INTO partners.partner AS p (" KARTON_STORED_COLUMNS
    ", search_text, request_id, create_time, update_time) "
    "SELECT " KARTON_STORED_PARAMS ", " KARTON_STORED_SEARCH_TEXT
    ", nullif($1, ''), "
    "to_timestamp(cast($2 AS bigint) / 1e6), to_timestamp(cast($2 AS bigint) / 1e6) "
    "WHERE cast($31 AS text) IS NULL OR " KARTON_DEFINITIONS_FINGERPRINT
    " = cast($31 AS text) "
    "ON CONFLICT (request_id) DO NOTHING "
    "RETURNING " KARTON_PARTNER_COLUMNS_WITH("NULL::jsonb", "NULL::jsonb"));

// Returns the row as stored, with its consents (which an update does not
// change) and without external ids (which ReplaceExternalIds may change
// after it): the caller has those. Updates nothing when $31 (a definitions
// fingerprint, when given) no longer matches the stored definitions, as
// kInsertPartner.
const kernel::TypedQuery<v1::Partner> kUpdatePartner(
    "UPDATE partners.partner p SET (" KARTON_STORED_COLUMNS
    ", search_text, update_time, version) = (" KARTON_STORED_PARAMS ", " KARTON_STORED_SEARCH_TEXT
    ", to_timestamp(cast($1 AS bigint) / 1e6), p.version + 1) "
    "WHERE p.id = cast($2 AS bigint) AND (cast($31 AS text) IS NULL "
    "OR " KARTON_DEFINITIONS_FINGERPRINT
    " = cast($31 AS text)) "
    "RETURNING " KARTON_PARTNER_COLUMNS_WITH("NULL::jsonb", KARTON_PARTNER_CONSENTS));

constexpr const char* kSetArchived =
    "UPDATE partners.partner SET archived = cast(:archived AS boolean), "
    "update_time = to_timestamp(:now / 1e6), version = version + 1 WHERE id = :id";

constexpr const char* kDeletePartner = "DELETE FROM partners.partner WHERE id = :id RETURNING id";

constexpr const char* kDeleteExternalIds =
    "DELETE FROM partners.partner_external_id WHERE partner_id = :id";
constexpr const char* kInsertExternalId =
    "INSERT INTO partners.partner_external_id (source, key, partner_id) "
    "VALUES (:source, :key, :id)";
constexpr const char* kFindByExternalId =
    "SELECT partner_id FROM partners.partner_external_id WHERE source = :source AND key = :key";

// Up from a partner through its parents; UNION stops at a row seen before.
const std::string kIsAtOrAbove =
    "WITH RECURSIVE up(id) AS (SELECT cast($2 AS bigint) UNION "
    "SELECT p.parent_partner_id FROM partners.partner p JOIN up ON p.id = up.id "
    "WHERE p.parent_partner_id IS NOT NULL) "
    "SELECT count(*) FROM up WHERE id = cast($1 AS bigint)";
const std::string kChildrenOf =
    "SELECT id FROM partners.partner WHERE parent_partner_id = cast($1 AS bigint) ORDER BY id";
const std::string kRepointChildren =
    "UPDATE partners.partner SET parent_partner_id = cast($1 AS bigint), "
    "update_time = to_timestamp(cast($2 AS bigint) / 1e6), version = version + 1 "
    "WHERE parent_partner_id = cast($3 AS bigint) AND id <> cast($1 AS bigint) RETURNING id";

// A custom field definition's columns (kernel::TypedQuery).
#define KARTON_DEFINITION_SELECT                                                   \
  "SELECT d.key, d.label, d.type, d.choices, d.required, d.version::text AS etag " \
  "FROM partners.custom_field_definition d "

// Every partner write checks custom fields against these: typed and prepared.
const kernel::TypedQuery<v1::CustomFieldDefinition> kListDefinitions(KARTON_DEFINITION_SELECT
                                                                     "ORDER BY d.key");
const kernel::TypedQuery<v1::CustomFieldDefinition> kFindDefinition(KARTON_DEFINITION_SELECT
                                                                    "WHERE d.key = $1");
const kernel::TypedQuery<v1::CustomFieldDefinition> kFindDefinitionForUpdate(
    KARTON_DEFINITION_SELECT "WHERE d.key = $1 FOR UPDATE");
constexpr const char* kInsertDefinition =
    "INSERT INTO partners.custom_field_definition "
    "(key, label, type, choices, required, create_time, update_time) "
    "SELECT :key, :label, :type, ARRAY(SELECT jsonb_array_elements_text(cast(:choices AS jsonb))), "
    "cast(:required AS boolean), to_timestamp(:now1 / 1e6), to_timestamp(:now2 / 1e6) "
    "RETURNING id";
constexpr const char* kDefinitionId =
    "SELECT id FROM partners.custom_field_definition WHERE key = :key";
constexpr const char* kUpdateDefinition =
    "UPDATE partners.custom_field_definition SET label = :label, "
    "choices = ARRAY(SELECT jsonb_array_elements_text(cast(:choices AS jsonb))), "
    "required = cast(:required AS boolean), update_time = to_timestamp(:now / 1e6), "
    "version = version + 1 WHERE key = :key";
constexpr const char* kCountCustomValue =
    "SELECT count(*) FROM partners.partner "
    "WHERE custom_fields @> jsonb_build_object(cast(:key AS text), cast(:value AS text))";

boost::json::value ProtoJson(const google::protobuf::Message& message) {
  return boost::json::parse(kernel::PrintProtoJson(message, kernel::ProtoJsonNames::kJson));
}

const char* RiskWord(v1::RiskClass risk) {
  switch (risk) {
    case v1::RISK_CLASS_LOW:
      return "low";
    case v1::RISK_CLASS_MEDIUM:
      return "medium";
    case v1::RISK_CLASS_HIGH:
      return "high";
    case v1::RISK_CLASS_BLOCKED:
      return "blocked";
    default:
      return "";
  }
}

// The document jsonb_populate_record spreads onto the columns. `partner` has
// been validated and normalised by the service.
boost::json::object StorageObject(const v1::Partner& partner) {
  boost::json::object doc;
  doc["kind"] = partner.kind() == v1::PARTNER_KIND_PERSON ? "person" : "organization";
  doc["display_name"] = partner.display_name();
  doc["legal_name"] = partner.legal_name();
  doc["tax_number"] = partner.tax_number();
  doc["eu_vat_number"] = partner.eu_vat_number();
  doc["registration_number"] = partner.registration_number();
  boost::json::array addresses;
  for (const auto& address : partner.addresses()) addresses.push_back(ProtoJson(address));
  doc["addresses"] = std::move(addresses);
  doc["emails"] = boost::json::array(partner.emails().begin(), partner.emails().end());
  doc["phones"] = boost::json::array(partner.phones().begin(), partner.phones().end());
  doc["website"] = partner.website();
  doc["tags"] = boost::json::array(partner.tags().begin(), partner.tags().end());
  if (partner.owner_user_id() != 0) {
    doc["owner_user_id"] = partner.owner_user_id();
  } else {
    doc["owner_user_id"] = nullptr;
  }
  boost::json::object custom;
  for (const auto& [key, value] : partner.custom_fields()) custom[key] = value;
  doc["custom_fields"] = std::move(custom);
  if (partner.has_credit_limit()) {
    doc["credit_limit_currency"] = partner.credit_limit().currency_code();
    doc["credit_limit_minor"] = partner.credit_limit().minor_units();
  } else {
    doc["credit_limit_currency"] = "";
    doc["credit_limit_minor"] = nullptr;
  }
  doc["risk_class"] = RiskWord(partner.risk_class());
  if (partner.has_birthday()) {
    doc["birthday"] = fmt::format("{:04}-{:02}-{:02}", partner.birthday().year(),
                                  partner.birthday().month(), partner.birthday().day());
  } else {
    doc["birthday"] = nullptr;
  }
  doc["name_day"] = partner.name_day();
  boost::json::array accounts;
  for (const auto& account : partner.bank_accounts()) accounts.push_back(ProtoJson(account));
  doc["bank_accounts"] = std::move(accounts);
  doc["payment_terms_days"] = partner.payment_terms_days();
  doc["default_currency_code"] = partner.default_currency_code();
  doc["preferred_language"] = partner.preferred_language();
  doc["customer"] = partner.customer();
  doc["supplier"] = partner.supplier();
  if (partner.parent_partner_id() != 0) {
    doc["parent_partner_id"] = partner.parent_partner_id();
  } else {
    doc["parent_partner_id"] = nullptr;
  }
  doc["first_name"] = partner.first_name();
  doc["last_name"] = partner.last_name();
  doc["salutation"] = partner.salutation();
  return doc;
}

}  // namespace

std::string StorageJson(const v1::Partner& partner, const std::vector<std::string>* columns) {
  boost::json::object doc = StorageObject(partner);
  if (columns == nullptr) return boost::json::serialize(doc);
  boost::json::object only;
  for (const auto& column : *columns) {
    if (const auto* value = doc.if_contains(column)) only[column] = *value;
  }
  return boost::json::serialize(only);
}

namespace {

// A list statement's parameters, in the order its placeholders appear.
// Statements built only from fixed pieces run prepared (kernel::RunPrepared,
// "$1"); those with a client's filter in them vary without bound, so they
// run unnamed through SOCI (":p1"), which ParseFilter's ":f0"... match.
class StatementParams {
 public:
  explicit StatementParams(bool prepared) : prepared_(prepared) {}
  bool Prepared() const { return prepared_; }
  // The placeholder of `value`, the next parameter.
  std::string Add(std::string value) {
    values_.push_back(std::move(value));
    return fmt::format("{}{}", prepared_ ? "$" : ":p", values_.size());
  }
  // Values whose placeholders the caller wrote (a parsed filter's).
  void AddWritten(const std::vector<std::string>& values) {
    values_.insert(values_.end(), values.begin(), values.end());
  }
  const std::vector<std::string>& Values() const { return values_; }
  // Runs `sql` prepared (kernel::RunPrepared) with these values.
  kernel::QueryRows RunPrepared(soci::session& session, const std::string& sql) const {
    const std::vector<kernel::QueryParam> values(values_.begin(), values_.end());
    return kernel::RunPrepared(session, sql, values);
  }

 private:
  bool prepared_;
  std::vector<std::string> values_;
};

// Runs `sql` (prepared), reading the partner's columns and its "_key".
std::vector<Listed> QueryListed(soci::session& session, const std::string& sql,
                                const StatementParams& params) {
  const auto rows = params.RunPrepared(session, sql);
  std::vector<Listed> listed(static_cast<std::size_t>(rows.Count()));
  if (listed.empty()) return listed;
  const kernel::RowPlan& plan = kListedShape.PlanFor(rows);
  const int key_column = rows.Columns() - 1;
  for (int row = 0; row < rows.Count(); ++row) {
    auto& entry = listed[static_cast<std::size_t>(row)];
    plan.Read(rows, row, entry.partner);
    entry.key = std::string(rows.Text(row, key_column));
  }
  return listed;
}

// ParseFilter writes ":f0", ":f1", ...; a prepared statement numbers its
// placeholders, and the filter's come after the first `before` ones.
std::string NumberFilterPlaceholders(std::string where, std::size_t count, std::size_t before) {
  // From the highest down, so ":f1" never eats the start of ":f10".
  for (std::size_t i = count; i-- > 0;) {
    const std::string from = fmt::format(":f{}", i);
    const std::string to = fmt::format("${}", before + i + 1);
    for (auto at = where.find(from); at != std::string::npos; at = where.find(from, at)) {
      where.replace(at, from.size(), to);
      at += to.size();
    }
  }
  return where;
}

// Who may see p: everybody staff, external partners what is shared.
std::string VisibleCondition(const Visibility& visibility, StatementParams& params) {
  const std::string external = params.Add(visibility.external ? "1" : "0");
  const std::string user_id = params.Add(std::to_string(visibility.user_id));
  return fmt::format(KARTON_PARTNER_VISIBLE_TO("{}", "{}"), external, user_id);
}

}  // namespace

std::optional<v1::Partner> FindPartner(soci::session& session, std::int64_t id,
                                       const Visibility& visibility, bool lock) {
  const std::string id_text = std::to_string(id);
  if (!visibility.external)
    return (lock ? kFindPartnerForUpdate : kFindPartner).One(session, {id_text});
  return (lock ? kFindSharedPartnerForUpdate : kFindSharedPartner)
      .One(session, {id_text, std::to_string(visibility.user_id)});
}

std::vector<v1::Partner> FindPartners(soci::session& session,
                                      const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return {};
  return kFindPartnersById.All(session, {kernel::IntegerArrayLiteral(ids)});
}

std::vector<v1::Partner> FindPartners(soci::session& session, const std::vector<std::int64_t>& ids,
                                      const Visibility& visibility) {
  if (ids.empty()) return {};
  return kFindVisiblePartnersById.All(
      session, {kernel::IntegerArrayLiteral(ids), visibility.external ? "1" : "0",
                std::to_string(visibility.user_id)});
}

bool IsSharedDirectly(soci::session& session, std::int64_t partner_id, std::int64_t user_id) {
  long long partner = partner_id, user = user_id;
  int shared = 0;
  session << "SELECT CASE WHEN kernel.is_shared_directly_with('partners.partner', "
             "cast(:partner AS bigint), cast(:user AS bigint)) THEN 1 ELSE 0 END",
      soci::use(partner), soci::use(user), soci::into(shared);
  return shared == 1;
}

std::optional<std::int64_t> FindPartnerByRequestId(soci::session& session,
                                                   const std::string& request_id) {
  long long id = 0;
  session << kFindByRequestId, soci::use(request_id), soci::into(id);
  if (!session.got_data()) return std::nullopt;
  return id;
}

void LockHierarchy(soci::session& session) {
  session << "SELECT pg_advisory_xact_lock(hashtext('partners.partner.hierarchy'))";
}

bool IsAtOrAbove(soci::session& session, std::int64_t ancestor, std::int64_t partner_id) {
  const auto rows = kernel::RunPrepared(session, kIsAtOrAbove,
                                        {std::to_string(ancestor), std::to_string(partner_id)});
  return rows.Text(0, 0) != "0";
}

namespace {
std::vector<std::int64_t> Ids(const kernel::QueryRows& rows) {
  std::vector<std::int64_t> ids;
  for (int row = 0; row < rows.Count(); ++row) {
    ids.push_back(std::stoll(std::string(rows.Text(row, 0))));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}
}  // namespace

std::vector<std::int64_t> ChildrenOf(soci::session& session, std::int64_t parent_id) {
  return Ids(kernel::RunPrepared(session, kChildrenOf, {std::to_string(parent_id)}));
}

std::vector<std::int64_t> RepointChildren(soci::session& session, std::int64_t from,
                                          std::int64_t to, TimePoint now) {
  return Ids(kernel::RunPrepared(
      session, kRepointChildren,
      {std::to_string(to), std::to_string(ToEpochMicros(now)), std::to_string(from)}));
}

void LockKey(soci::session& session, const std::string& key) {
  // Prepared, so a kernel::Transaction's BEGIN goes with it.
  kernel::RunPrepared(session, "SELECT pg_advisory_xact_lock(hashtext($1))", {key});
}

namespace {

// The statement's parameters: `first` and `second` ($1, $2), then the
// stored columns in KARTON_STORED_COLUMNS' order ($3 to $30), the same
// values StorageObject writes as JSON.
std::vector<std::optional<std::string>> StoredParams(const v1::Partner& partner, std::string first,
                                                     std::string second) {
  const auto json_array = [](const auto& messages) {
    boost::json::array array;
    for (const auto& message : messages) array.push_back(ProtoJson(message));
    return boost::json::serialize(array);
  };
  const auto id_or_null = [](std::int64_t id) -> std::optional<std::string> {
    if (id == 0) return std::nullopt;
    return std::to_string(id);
  };
  boost::json::object custom;
  for (const auto& [key, value] : partner.custom_fields()) custom[key] = value;
  std::optional<std::string> birthday;
  if (partner.has_birthday()) {
    birthday = fmt::format("{:04}-{:02}-{:02}", partner.birthday().year(),
                           partner.birthday().month(), partner.birthday().day());
  }
  return {std::move(first),
          std::move(second),
          partner.kind() == v1::PARTNER_KIND_PERSON ? "person" : "organization",
          partner.display_name(),
          partner.legal_name(),
          partner.tax_number(),
          partner.eu_vat_number(),
          partner.registration_number(),
          json_array(partner.addresses()),
          kernel::TextArrayLiteral(partner.emails()),
          kernel::TextArrayLiteral(partner.phones()),
          partner.website(),
          kernel::TextArrayLiteral(partner.tags()),
          id_or_null(partner.owner_user_id()),
          boost::json::serialize(custom),
          partner.has_credit_limit() ? partner.credit_limit().currency_code() : std::string(),
          partner.has_credit_limit()
              ? std::optional<std::string>(std::to_string(partner.credit_limit().minor_units()))
              : std::nullopt,
          RiskWord(partner.risk_class()),
          birthday,
          partner.name_day(),
          json_array(partner.bank_accounts()),
          std::to_string(partner.payment_terms_days()),
          partner.default_currency_code(),
          partner.preferred_language(),
          partner.customer() ? "true" : "false",
          partner.supplier() ? "true" : "false",
          id_or_null(partner.parent_partner_id()),
          partner.first_name(),
          partner.last_name(),
          partner.salutation()};
}

std::vector<kernel::QueryParam> ParamViews(const std::vector<std::optional<std::string>>& values) {
  std::vector<kernel::QueryParam> views;
  views.reserve(values.size());
  for (const auto& value : values) {
    views.push_back(value ? kernel::QueryParam(*value) : kernel::QueryParam());
  }
  return views;
}

}  // namespace

std::optional<v1::Partner> InsertPartner(
    soci::session& session, const v1::Partner& partner, const std::string& request_id,
    TimePoint now, const std::optional<std::string>& definitions_fingerprint) {
  auto values = StoredParams(partner, request_id, std::to_string(ToEpochMicros(now)));
  values.push_back(definitions_fingerprint);  // $31
  return kInsertPartner.One(session, ParamViews(values));
}

std::string DefinitionsFingerprint(
    const std::map<std::string, v1::CustomFieldDefinition>& definitions) {
  std::string fingerprint;
  for (const auto& [key, definition] : definitions) {
    if (!fingerprint.empty()) fingerprint += ',';
    fingerprint += key;
    fingerprint += '.';
    fingerprint += definition.etag();  // the version
  }
  return fingerprint;
}

std::optional<v1::Partner> UpdatePartner(
    soci::session& session, const v1::Partner& partner, TimePoint now,
    const std::optional<std::string>& definitions_fingerprint) {
  auto values =
      StoredParams(partner, std::to_string(ToEpochMicros(now)), std::to_string(partner.id()));
  values.push_back(definitions_fingerprint);  // $31
  auto updated = kUpdatePartner.One(session, ParamViews(values));
  if (!updated && !definitions_fingerprint) {
    throw std::runtime_error(fmt::format("partner {} is gone", partner.id()));
  }
  return updated;
}

void SetArchived(soci::session& session, std::int64_t id, bool archived, TimePoint now) {
  const std::string flag = archived ? "true" : "false";
  long long now_us = ToEpochMicros(now), partner_id = id;
  session << kSetArchived, soci::use(flag), soci::use(now_us), soci::use(partner_id);
}

bool DeletePartner(soci::session& session, std::int64_t id) {
  long long partner_id = id, deleted = 0;
  soci::indicator got = soci::i_null;
  session << kDeletePartner, soci::use(partner_id), soci::into(deleted, got);
  return session.got_data() && got == soci::i_ok;
}

void ReplaceExternalIds(soci::session& session, std::int64_t id,
                        const google::protobuf::Map<std::string, std::string>& external_ids,
                        bool new_partner) {
  long long partner_id = id;
  if (!new_partner) session << kDeleteExternalIds, soci::use(partner_id);
  for (const auto& [source, key] : external_ids) {
    session << kInsertExternalId, soci::use(source), soci::use(key), soci::use(partner_id);
  }
}

std::optional<std::int64_t> FindByExternalId(soci::session& session, const std::string& source,
                                             const std::string& key) {
  long long id = 0;
  session << kFindByExternalId, soci::use(source), soci::use(key), soci::into(id);
  if (!session.got_data()) return std::nullopt;
  return id;
}

std::vector<Listed> ListPartners(soci::session& session, const ListQuery& query) {
  // The statement is assembled from fixed pieces only: the column comes
  // from the service's whitelist, the filter from ParseFilter; every value
  // is a parameter, bound in the order the placeholders appear.
  // Filtered lists run prepared too: a filter's values are parameters, so
  // its text differs only with its shape (docs/partners.md, Filters).
  StatementParams params(true);
  const std::string column = "p." + query.order_column;
  const std::string key_text = query.order_column == "id" ? "''" : fmt::format("{}::text", column);
  const char* direction = query.descending ? "DESC" : "ASC";
  std::string sql =
      fmt::format("SELECT {}, {} AS _key FROM partners.partner p WHERE {}", KARTON_PARTNER_COLUMNS,
                  key_text, VisibleCondition(query.visibility, params));
  if (!query.include_archived) sql += " AND NOT p.archived";
  if (!query.filter_where.empty()) {
    sql += " AND " + NumberFilterPlaceholders(query.filter_where, query.filter_params.size(),
                                              params.Values().size());
    params.AddWritten(query.filter_params);
  }
  if (query.after_key) {
    const char* cast = query.order_column == "display_name" ? "text" : "timestamptz";
    if (query.order_column == "id") {
      sql += fmt::format(" AND p.id {} cast({} AS bigint)", query.descending ? "<" : ">",
                         params.Add(std::to_string(query.after_id)));
    } else {
      const std::string after_key = params.Add(*query.after_key);
      sql += fmt::format(" AND ({}, p.id) {} (cast({} AS {}), cast({} AS bigint))", column,
                         query.descending ? "<" : ">", after_key, cast,
                         params.Add(std::to_string(query.after_id)));
    }
  }
  sql += fmt::format(" ORDER BY {} {}, p.id {} LIMIT cast({} AS int)", column, direction, direction,
                     params.Add(std::to_string(query.limit)));
  return QueryListed(session, sql, params);
}

namespace {
// LIKE with escaped wildcards: the trigram index serves '%fragment%'.
std::string ContainsPattern(const std::string& text) {
  std::string escaped = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return escaped + "%";
}

// The words of a folded query: a person typing "kovacs tars" means a
// partner whose text has both, wherever they stand ("Kovács és Társa").
std::vector<std::string> QueryWords(const std::string& folded) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : folded) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

// "((<column> LIKE <word 1> AND <column> LIKE <word 2> ...)
// [OR <column> LIKE <digits pattern>]) [AND NOT p.archived]": every word of
// the query appears (the trigram index serves each LIKE and their AND), or
// the query's digits do (a phone number typed with spaces or slashes).
// `column` is what is matched: the trigram index serves p.search_text; an
// expression over it keeps the planner off that index.
std::string MatchCondition(const SearchQuery& query, std::string_view column,
                           StatementParams& params) {
  std::vector<std::string> words = QueryWords(query.folded);
  if (words.empty()) words.push_back(query.folded);
  std::string every_word;
  for (const auto& word : words) {
    if (!every_word.empty()) every_word += " AND ";
    every_word +=
        fmt::format("{} LIKE cast({} AS text)", column, params.Add(ContainsPattern(word)));
  }
  std::string sql = "((" + every_word + ")";
  if (!query.digits.empty()) {
    sql += fmt::format(" OR {} LIKE cast({} AS text)", column,
                       params.Add(ContainsPattern(query.digits)));
  }
  sql += ")";
  if (!query.include_archived) sql += " AND NOT p.archived";
  return sql;
}
}  // namespace

void PreferGenericPlans(soci::session& session) {
  session << "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)";
}

void PlanSearch(soci::session& session) {
  session << "SELECT set_config('enable_seqscan', 'off', true)";
}

std::int64_t EstimateMatches(soci::session& session, const SearchQuery& query) {
  // The planner's row estimate for the match, from the column's statistics
  // (it tests the pattern against a sample of search texts): the cost of
  // planning, nothing of executing.
  StatementParams params(false);
  const std::string sql = "EXPLAIN (FORMAT JSON) SELECT 1 FROM partners.partner p WHERE " +
                          MatchCondition(query, "p.search_text", params);
  auto prepared = (session.prepare << sql);
  for (const auto& param : params.Values()) prepared, soci::use(param);
  std::string plan;
  prepared, soci::into(plan);
  soci::statement statement(prepared);
  statement.execute(true);
  boost::system::error_code error;
  const boost::json::value parsed = boost::json::parse(plan, error);
  if (!error && parsed.is_array() && !parsed.as_array().empty()) {
    if (const auto* top = parsed.as_array()[0].as_object().if_contains("Plan")) {
      if (const auto* rows = top->as_object().if_contains("Plan Rows")) {
        return static_cast<std::int64_t>(rows->to_number<double>());
      }
    }
  }
  throw std::runtime_error("EXPLAIN (FORMAT JSON) gave no row estimate: " + plan);
}

std::int64_t CountMatchesUpTo(soci::session& session, const SearchQuery& query, std::int64_t cap) {
  StatementParams params(true);
  std::string sql = "SELECT count(*) FROM (SELECT 1 FROM partners.partner p WHERE " +
                    MatchCondition(query, "p.search_text", params);
  sql += fmt::format(" LIMIT cast({} AS bigint)) m", params.Add(std::to_string(cap)));
  const auto rows = params.RunPrepared(session, sql);
  return std::stoll(std::string(rows.Text(0, 0)));
}

std::vector<Listed> SearchBySimilarity(soci::session& session, const SearchQuery& query) {
  StatementParams params(true);
  const std::string folded = params.Add(query.folded);
  std::string sql = fmt::format(
      "SELECT {}, score::text AS _key FROM (SELECT p.*, kernel.similarity(p.search_text, "
      "cast({} AS text)) AS score FROM partners.partner p WHERE {} AND {}) p",
      KARTON_PARTNER_COLUMNS, folded, VisibleCondition(query.visibility, params),
      MatchCondition(query, "p.search_text", params));
  if (query.after_key) {
    const std::string after_score = params.Add(*query.after_key);
    sql += fmt::format(
        " WHERE (p.score < cast({0} AS real) OR (p.score = cast({0} AS real) AND p.id > cast({1} "
        "AS bigint)))",
        after_score, params.Add(std::to_string(query.after_id)));
  }
  sql += fmt::format(" ORDER BY p.score DESC, p.id LIMIT cast({} AS int)",
                     params.Add(std::to_string(query.limit)));
  return QueryListed(session, sql, params);
}

std::vector<Listed> SearchRecentlyChanged(soci::session& session, const SearchQuery& query) {
  // The plan that is fast for a broad query is a backward walk of
  // partner_update_time_idx, testing each row, until `limit` match. The
  // planner might instead collect every match through the trigram index
  // and sort them (what this function exists to avoid); its LIKE estimates
  // cannot tell it better. So the match is made on an expression that
  // index does not serve (and PlanSearch has turned sequential scans off).
  StatementParams params(true);
  std::string sql = fmt::format(
      "SELECT {}, (extract(epoch FROM p.update_time) * 1000000)::bigint::text AS _key "
      "FROM partners.partner p WHERE {} AND {}",
      KARTON_PARTNER_COLUMNS, VisibleCondition(query.visibility, params),
      MatchCondition(query, "(p.search_text || '')", params));
  if (query.after_key) {
    // Exact to the microsecond (extract gives numeric; interval arithmetic
    // is in microseconds), and the same whatever the session's DateStyle.
    const std::string after_micros = params.Add(*query.after_key);
    sql += fmt::format(
        " AND (p.update_time, p.id) < (timestamptz 'epoch' + cast({} AS bigint) * interval '1 "
        "microsecond', cast({} AS bigint))",
        after_micros, params.Add(std::to_string(query.after_id)));
  }
  sql += fmt::format(" ORDER BY p.update_time DESC, p.id DESC LIMIT cast({} AS int)",
                     params.Add(std::to_string(query.limit)));
  return QueryListed(session, sql, params);
}

std::vector<v1::CustomFieldDefinition> ListDefinitions(soci::session& session) {
  return kListDefinitions.All(session, {});
}

std::optional<v1::CustomFieldDefinition> FindDefinition(soci::session& session,
                                                        const std::string& key, bool lock) {
  return (lock ? kFindDefinitionForUpdate : kFindDefinition).One(session, {key});
}

namespace {
std::string TypeWord(v1::CustomFieldType type) {
  std::string word =
      v1::CustomFieldType_Name(type).substr(std::string("CUSTOM_FIELD_TYPE_").size());
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return word;
}
std::string ChoicesJson(const v1::CustomFieldDefinition& definition) {
  return boost::json::serialize(
      boost::json::array(definition.choices().begin(), definition.choices().end()));
}
}  // namespace

std::int64_t InsertDefinition(soci::session& session, const v1::CustomFieldDefinition& definition,
                              TimePoint now) {
  const std::string type = TypeWord(definition.type()), choices = ChoicesJson(definition);
  const std::string required = definition.required() ? "true" : "false";
  long long now_us = ToEpochMicros(now), id = 0;
  session << kInsertDefinition, soci::use(definition.key()), soci::use(definition.label()),
      soci::use(type), soci::use(choices), soci::use(required), soci::use(now_us),
      soci::use(now_us), soci::into(id);
  return id;
}

std::int64_t DefinitionId(soci::session& session, const std::string& key) {
  long long id = 0;
  session << kDefinitionId, soci::use(key), soci::into(id);
  return id;
}

void UpdateDefinition(soci::session& session, const v1::CustomFieldDefinition& definition,
                      TimePoint now) {
  const std::string choices = ChoicesJson(definition);
  const std::string required = definition.required() ? "true" : "false";
  long long now_us = ToEpochMicros(now);
  session << kUpdateDefinition, soci::use(definition.label()), soci::use(choices),
      soci::use(required), soci::use(now_us), soci::use(definition.key());
}

long long CountCustomValue(soci::session& session, const std::string& key,
                           const std::string& value) {
  long long count = 0;
  session << kCountCustomValue, soci::use(key), soci::use(value), soci::into(count);
  return count;
}

}  // namespace karton::partners::repository
