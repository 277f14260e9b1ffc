#include "forms/web_form_repository.h"

#include <soci/soci.h>

#include "crm_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/typed_rows.h"

namespace karton::crm::web_form_repository {
namespace {

// A form is its definition document (JSON: fields, category, routing; read
// as it is stored) and the columns beside it, each named after the field of
// v1::WebForm it fills (kernel::TypedQuery).
#define KARTON_WEB_FORM_COLUMNS \
  "f.definition::text AS _definition, f.id, f.slug, f.disabled, "                           \
  KARTON_CRM_MICROS("f.create_time") " AS create_time, "                                    \
  KARTON_CRM_MICROS("f.update_time") " AS update_time, f.version::text AS etag"

const std::string kFind = "SELECT " KARTON_WEB_FORM_COLUMNS " FROM crm.web_form f WHERE f.id = $1";

// The parts kept in the definition document (the rest are columns).
std::string DefinitionJson(const v1::WebForm& form) {
  v1::WebForm definition = form;
  definition.clear_id();
  definition.clear_slug();
  definition.clear_disabled();
  definition.clear_create_time();
  definition.clear_update_time();
  definition.clear_etag();
  return kernel::PrintProtoJson(definition, kernel::ProtoJsonNames::kJson);
}

// The forms of `rows`, a result of a statement selecting
// KARTON_WEB_FORM_COLUMNS.
std::vector<v1::WebForm> All(const kernel::QueryRows& rows) {
  static const kernel::RowShape<v1::WebForm> kShape;
  std::vector<v1::WebForm> forms(static_cast<std::size_t>(rows.Count()));
  if (forms.empty()) return forms;
  const kernel::RowPlan& plan = kShape.PlanFor(rows);
  for (int row = 0; row < rows.Count(); ++row) {
    v1::WebForm& form = forms[static_cast<std::size_t>(row)];
    kernel::ParseProtoJson(rows.Text(row, 0), form);  // _definition first: it holds no column
    plan.Read(rows, row, form);
  }
  return forms;
}

std::optional<v1::WebForm> First(const kernel::QueryRows& rows) {
  auto forms = All(rows);
  if (forms.empty()) return std::nullopt;
  return std::move(forms.front());
}

}  // namespace

std::int64_t Insert(soci::session& session, const v1::WebForm& form, const std::string& request_id,
                    kernel::TimePoint now) {
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO crm.web_form (slug, definition, disabled, request_id, create_time, "
      "update_time) VALUES ($1, cast($2 AS jsonb), cast($3 AS boolean), nullif($4, ''), "
      KARTON_CRM_AT("$5") ", " KARTON_CRM_AT("$5") ") "
      "ON CONFLICT (request_id) DO UPDATE SET request_id = EXCLUDED.request_id RETURNING id",
      {form.slug(), DefinitionJson(form), form.disabled() ? "true" : "false", request_id,
       std::to_string(kernel::ToEpochMicros(now))});
  return std::stoll(std::string(rows.Text(0, 0)));
}

std::optional<v1::WebForm> Find(soci::session& session, std::int64_t id, bool lock) {
  static const std::string kLocked = kFind + " FOR UPDATE";
  return First(kernel::RunPrepared(session, lock ? kLocked : kFind, {std::to_string(id)}));
}

std::optional<v1::WebForm> FindBySlug(soci::session& session, const std::string& slug) {
  return First(kernel::RunPrepared(
      session, "SELECT " KARTON_WEB_FORM_COLUMNS " FROM crm.web_form f WHERE f.slug = $1", {slug}));
}

void Update(soci::session& session, const v1::WebForm& form, kernel::TimePoint now) {
  kernel::RunPrepared(
      session,
      "UPDATE crm.web_form SET definition = cast($2 AS jsonb), "
      "disabled = cast($3 AS boolean), update_time = " KARTON_CRM_AT(
          "$4") ", version = version + 1 WHERE id = $1",
      {std::to_string(form.id()), DefinitionJson(form), form.disabled() ? "true" : "false",
       std::to_string(kernel::ToEpochMicros(now))});
}

std::vector<v1::WebForm> List(soci::session& session, std::int64_t after_id, int limit) {
  return All(kernel::RunPrepared(
      session,
      "SELECT " KARTON_WEB_FORM_COLUMNS
      " FROM crm.web_form f WHERE f.id > cast($1 AS bigint) ORDER BY f.id LIMIT $2",
      {std::to_string(after_id), std::to_string(limit)}));
}

}  // namespace karton::crm::web_form_repository
