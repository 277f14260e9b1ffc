#include "forms/web_form_repository.h"

#include <soci/soci.h>

#include "crm_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"

namespace karton::crm::web_form_repository {
namespace {

#define KARTON_WEB_FORM_JSON \
  "(f.definition || jsonb_build_object('id', f.id::text, 'slug', f.slug, 'disabled', "   \
  "f.disabled, 'createTime', " KARTON_CRM_TIME("f.create_time") ", 'updateTime', "       \
  KARTON_CRM_TIME("f.update_time") ", 'etag', f.version::text))::text"

const std::string kFind = "SELECT " KARTON_WEB_FORM_JSON " FROM crm.web_form f WHERE f.id = $1";

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

std::optional<v1::WebForm> First(const kernel::QueryRows& rows) {
  if (rows.Count() == 0) return std::nullopt;
  v1::WebForm form;
  kernel::ParseProtoJson(rows.Text(0, 0), form);
  return form;
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
      session, "SELECT " KARTON_WEB_FORM_JSON " FROM crm.web_form f WHERE f.slug = $1", {slug}));
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
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT " KARTON_WEB_FORM_JSON
      " FROM crm.web_form f WHERE f.id > cast($1 AS bigint) ORDER BY f.id LIMIT $2",
      {std::to_string(after_id), std::to_string(limit)});
  std::vector<v1::WebForm> forms;
  for (int row = 0; row < rows.Count(); ++row) {
    kernel::ParseProtoJson(rows.Text(row, 0), forms.emplace_back());
  }
  return forms;
}

}  // namespace karton::crm::web_form_repository
