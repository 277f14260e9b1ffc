#include "imports/import_repository.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <boost/json.hpp>
#include <stdexcept>

#include "contacts/contact_repository.h"
#include "karton/kernel/copy.h"
#include "karton/kernel/proto_json.h"
#include "partner_repository.h"
#include "partner_sql.h"

namespace karton::partners::import_repository {
namespace {

using kernel::ToEpochMicros;

#define KARTON_IMPORT_JSON                                                                         \
  "jsonb_build_object('id', i.id::text, 'state', 'IMPORT_STATE_' || upper(i.state), "              \
  "'mode', 'IMPORT_MODE_' || upper(i.mode), 'dryRun', i.dry_run, "                                 \
  "'rowsRead', i.rows_read::text, 'rowsValid', i.rows_valid::text, "                               \
  "'rowsInvalid', i.rows_invalid::text, 'duplicates', i.duplicates::text, "                        \
  "'partnersCreated', i.partners_created::text, 'partnersUpdated', i.partners_updated::text, "     \
  "'rowsSkipped', i.rows_skipped::text, 'contactsCreated', i.contacts_created::text, "             \
  "'error', i.error, 'userId', coalesce(i.user_id, 0)::text, "                                     \
  "'createTime', to_char(i.create_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), " \
  "'finishTime', CASE WHEN i.finish_time IS NULL THEN NULL ELSE to_char(i.finish_time AT TIME "    \
  "ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') END)::text"

constexpr const char* kCreateImport =
    "INSERT INTO partners.import (state, mode, dry_run, request_id, user_id, create_time) "
    "VALUES ('receiving', :mode, cast(:dry_run AS boolean), nullif(:request_id, ''), "
    "nullif(cast(:user_id AS bigint), 0), to_timestamp(:now / 1e6)) RETURNING id";
constexpr const char* kFindByRequestId =
    "SELECT id FROM partners.import WHERE request_id = :request_id";
constexpr const char* kFindImport =
    "SELECT " KARTON_IMPORT_JSON " FROM partners.import i WHERE i.id = :id";
constexpr const char* kHoldLock =
    "SELECT pg_advisory_xact_lock(hashtext('partners.import'), cast(:id AS int))";
// The two-key form: the import id in the second key (an import id beyond
// 2^31 wraps, which at worst delays noticing an abandoned import).
constexpr const char* kFailAbandoned = R"sql(
UPDATE partners.import i
SET state = 'failed', finish_time = to_timestamp(:now / 1e6),
    error = 'interrupted: the kartond running it stopped; nothing was applied, and running the file again is safe'
WHERE (i.state = 'applying'
       AND pg_try_advisory_xact_lock(hashtext('partners.import'), cast(i.id AS int)))
   -- The file arrives with no transaction open: the receiving lock of
   -- ReceivingImports tells instead.
   OR (i.state = 'receiving'
       AND pg_try_advisory_xact_lock(hashtext('partners.import.receiving'), cast(i.id AS int)))
RETURNING i.id)sql";
constexpr const char* kStillReceiving =
    "SELECT count(*) FROM partners.import WHERE id = :id AND state = 'receiving'";
constexpr const char* kSaveProgress = R"sql(
UPDATE partners.import SET state = :state, rows_read = :read, rows_valid = :valid,
  rows_invalid = :invalid, heartbeat_at = now() WHERE id = :id)sql";
constexpr const char* kFinishImport = R"sql(
UPDATE partners.import SET state = :state, rows_read = :read, rows_valid = :valid,
  rows_invalid = :invalid, duplicates = :duplicates, partners_created = :created,
  partners_updated = :updated, rows_skipped = :skipped, contacts_created = :contacts,
  error = :error, finish_time = to_timestamp(:now / 1e6), heartbeat_at = now()
WHERE id = :id)sql";
constexpr const char* kListErrors =
    "SELECT id, row_number, column_name, field, problem FROM partners.import_error "
    "WHERE import_id = :import AND id > :after ORDER BY id LIMIT :limit";

// --- applying (each statement on the rows of one import, :import) ----------

constexpr const char* kAnyPartner =
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM partners.partner) THEN 1 ELSE 0 END";

constexpr const char* kMatchById = R"sql(
UPDATE partners.import_row r SET match_id = p.id FROM partners.partner p
WHERE r.import_id = :import AND r.karton_id = p.id)sql";

constexpr const char* kRefuseUnknownIds = R"sql(
DELETE FROM partners.import_row r
WHERE r.import_id = :import AND r.karton_id IS NOT NULL AND r.match_id IS NULL
RETURNING r.row_number, r.karton_id)sql";

// Exploded first, so a hash join can serve a file of a million rows.
constexpr const char* kMatchByExternalId = R"sql(
UPDATE partners.import_row r SET match_id = m.partner_id FROM (
  SELECT DISTINCT ON (s.row_number) s.row_number, x.partner_id
  FROM partners.import_row s
  CROSS JOIN LATERAL jsonb_each_text(s.external_ids) e
  JOIN partners.partner_external_id x ON x.source = e.key AND x.key = e.value
  WHERE s.import_id = :import1 AND s.match_id IS NULL
  ORDER BY s.row_number) m
WHERE r.import_id = :import2 AND r.row_number = m.row_number)sql";

constexpr const char* kMatchByTaxNumber = R"sql(
UPDATE partners.import_row r SET match_id = m.id FROM (
  SELECT tax_number, min(id) AS id FROM partners.partner WHERE tax_number <> ''
  GROUP BY tax_number) m
WHERE r.import_id = :import AND r.match_id IS NULL AND r.tax_number <> ''
  AND m.tax_number = r.tax_number)sql";

// By email or phone ({0}: "emails" or "phones", from a whitelist): a row's
// values in order, each among the partners' and their contacts' (by the GIN
// indexes of 0001 and 0002); of several partners, the oldest. Partners
// merged into another are passed over (the kept one has their emails and
// phones).
constexpr const char* kMatchByContactTemplate = R"sql(
UPDATE partners.import_row r SET match_id = m.partner_id FROM (
  SELECT DISTINCT ON (s.row_number) s.row_number, k.partner_id
  FROM partners.import_row s
  CROSS JOIN LATERAL jsonb_array_elements_text(s.{0}) WITH ORDINALITY v(value, position)
  CROSS JOIN LATERAL (
    SELECT p.id AS partner_id FROM partners.partner p
    WHERE p.{0} @> ARRAY[v.value] AND p.merged_into_id IS NULL
    UNION ALL
    SELECT p.id FROM partners.contact c JOIN partners.partner p ON p.id = c.partner_id
    WHERE c.{0} @> ARRAY[v.value] AND p.merged_into_id IS NULL) k
  WHERE s.import_id = :import1 AND s.match_id IS NULL AND s.{0} IS NOT NULL
  ORDER BY s.row_number, v.position, k.partner_id) m
WHERE r.import_id = :import2 AND r.row_number = m.row_number)sql";

// Rows with one key in the file are one partner: when some of them matched
// (by email or phone) and others not, the others take the first one's.
constexpr const char* kMatchKeyGroups = R"sql(
UPDATE partners.import_row r SET match_id = k.match_id FROM (
  SELECT DISTINCT ON (partner_key) partner_key, match_id FROM partners.import_row
  WHERE import_id = :import1 AND partner_key IS NOT NULL AND match_id IS NOT NULL
  ORDER BY partner_key, row_number) k
WHERE r.import_id = :import2 AND r.match_id IS NULL AND r.partner_key = k.partner_key)sql";

// Rows of one partner: those that matched the same partner, or share a key
// in the file. The first of them leads (its data makes the partner). Every
// row was loaded as its own leader; a row with neither a match nor a key
// stays one, and only rows whose leader changes are written (an UPDATE of
// every row rewrote the whole staging table: 1.3 s of 200,000 rows).
constexpr const char* kGroupRows = R"sql(
UPDATE partners.import_row r SET leader_row = g.leader FROM (
  SELECT row_number, min(row_number) OVER (PARTITION BY coalesce('p:' || match_id::text,
         partner_key)) AS leader
  FROM partners.import_row
  WHERE import_id = :import1 AND (match_id IS NOT NULL OR partner_key IS NOT NULL)) g
WHERE r.import_id = :import2 AND r.row_number = g.row_number AND r.leader_row <> g.leader)sql";

// Rows of the file sharing an email or phone are one partner. A row with
// no partner of its own yet (matched nothing, has no id, external key or
// tax number) joins the lowest group any of its emails or phones is in; run
// until nothing moves, so a chain of rows (a and b share an email, b and c
// a phone) ends in one group. Rows with a key of their own are not moved:
// two external keys are two partners, whatever their emails.
constexpr const char* kLinkRows = R"sql(
WITH row_value AS (
  SELECT r.row_number, r.leader_row, r.match_id IS NULL AND r.partner_key IS NULL AS free,
         v.value
  FROM partners.import_row r
  CROSS JOIN LATERAL (
    SELECT 'e' || e FROM jsonb_array_elements_text(r.emails) e WHERE :emails = 1
    UNION ALL
    SELECT 'p' || p FROM jsonb_array_elements_text(r.phones) p WHERE :phones = 1) v(value)
  WHERE r.import_id = :import1 AND (r.emails IS NOT NULL OR r.phones IS NOT NULL)),
lowest AS (SELECT value, min(leader_row) AS leader FROM row_value GROUP BY value),
wanted AS (
  SELECT v.row_number, min(l.leader) AS leader
  FROM row_value v JOIN lowest l ON l.value = v.value
  WHERE v.free GROUP BY v.row_number)
UPDATE partners.import_row r SET leader_row = w.leader FROM wanted w
WHERE r.import_id = :import2 AND r.row_number = w.row_number AND w.leader < r.leader_row)sql";

// Whether kLinkRows has anything to move: a row with no partner of its own
// that has an email or phone (a file whose rows all have keys has none).
constexpr const char* kCountFreeRows = R"sql(
SELECT count(*) FROM (
  SELECT 1 FROM partners.import_row
  WHERE import_id = :import AND match_id IS NULL AND partner_key IS NULL
    AND (emails IS NOT NULL OR phones IS NOT NULL) LIMIT 1) free)sql";

// A row that joined a partner there is (by kLinkRows) updates it.
constexpr const char* kMatchLinkedRows = R"sql(
UPDATE partners.import_row r SET match_id = l.match_id FROM partners.import_row l
WHERE r.import_id = :import AND l.import_id = r.import_id AND l.row_number = r.leader_row
  AND r.match_id IS NULL AND l.match_id IS NOT NULL)sql";

constexpr const char* kCountDuplicates = R"sql(
SELECT count(*) FROM partners.import_row
WHERE import_id = :import AND (match_id IS NOT NULL OR row_number <> leader_row))sql";

// CREATE_ONLY leaves existing partners alone; UPDATE_ONLY new ones.
constexpr const char* kSkipByMode = R"sql(
DELETE FROM partners.import_row
WHERE import_id = :import AND ((:mode1 = 'create_only' AND match_id IS NOT NULL)
                            OR (:mode2 = 'update_only' AND match_id IS NULL))
RETURNING row_number)sql";

// A new partner needs a name and the required custom fields. Counted first:
// the refusal below reads the whole staging table, usually to refuse none.
constexpr const char* kCountUncreatable = R"sql(
SELECT count(*) FROM (
  SELECT 1 FROM partners.import_row
  WHERE import_id = :import AND match_id IS NULL AND NOT creatable LIMIT 1) uncreatable)sql";
constexpr const char* kRefuseUncreatable = R"sql(
DELETE FROM partners.import_row r
WHERE r.import_id = :import1 AND r.match_id IS NULL AND r.leader_row IN (
  SELECT row_number FROM partners.import_row
  WHERE import_id = :import2 AND match_id IS NULL AND row_number = leader_row AND NOT creatable)
RETURNING r.row_number, (r.row_number = r.leader_row)::int)sql";

// A partner with subsidiaries stays an organization (docs/partners.md, "The
// group"): rows that would make one a person are refused, with their group.
constexpr const char* kTurnsParentIntoPerson = R"sql(
SELECT count(*) FROM partners.import_row r
WHERE r.import_id = :import AND r.row_number = r.leader_row AND r.doc->>'kind' = 'person'
  AND r.match_id IS NOT NULL)sql";
constexpr const char* kRefuseParentsBecomingPersons = R"sql(
DELETE FROM partners.import_row r
WHERE r.import_id = :import1 AND r.leader_row IN (
  SELECT l.row_number FROM partners.import_row l
  WHERE l.import_id = :import2 AND l.row_number = l.leader_row AND l.doc->>'kind' = 'person'
    AND EXISTS (SELECT 1 FROM partners.partner c WHERE c.parent_partner_id = l.match_id))
RETURNING r.row_number, (r.row_number = r.leader_row)::int, r.match_id)sql";

// --- parents (docs/partners.md, "Import and export"): a row's parent_ref is
// looked for among the partners there are, then among the partners the
// file creates; then checked as the API checks a parent (CheckGroup).

constexpr const char* kCountParentRefs = R"sql(
SELECT count(*) FROM partners.import_row
WHERE import_id = :import AND row_number = leader_row AND parent_ref IS NOT NULL)sql";

constexpr const char* kParentById = R"sql(
UPDATE partners.import_row r SET parent_id = p.id FROM partners.partner p
WHERE r.import_id = :import AND r.row_number = r.leader_row AND r.parent_ref LIKE 'id:%'
  AND p.id = CASE WHEN r.parent_ref LIKE 'id:%' THEN cast(substr(r.parent_ref, 4) AS bigint) END)sql";

constexpr const char* kParentByExternalId = R"sql(
UPDATE partners.import_row r SET parent_id = x.partner_id FROM partners.partner_external_id x
WHERE r.import_id = :import AND r.row_number = r.leader_row AND r.parent_ref LIKE 'ext:%'
  AND r.parent_ref = 'ext:' || x.source || ':' || x.key)sql";

// Of several partners with one tax number, one not merged away, the oldest.
constexpr const char* kParentByTaxNumber = R"sql(
UPDATE partners.import_row r SET parent_id = t.id FROM (
  SELECT tax_number, (array_agg(id ORDER BY merged_into_id IS NOT NULL, id))[1] AS id
  FROM partners.partner WHERE tax_number <> '' GROUP BY tax_number) t
WHERE r.import_id = :import AND r.row_number = r.leader_row AND r.parent_ref LIKE 'tax:%'
  AND r.parent_ref = 'tax:' || t.tax_number)sql";

// Not by those keys in Karton yet: a partner of the file, by the keys its
// rows give (a new partner's, or a key the file adds to one there is).
constexpr const char* kParentInFile = R"sql(
WITH file_keys AS (
  SELECT 'ext:' || e.key || ':' || e.value AS ref, f.leader_row, f.match_id
  FROM partners.import_row f CROSS JOIN LATERAL jsonb_each_text(f.external_ids) e
  WHERE f.import_id = :import1
  UNION ALL
  SELECT 'tax:' || f.tax_number, f.leader_row, f.match_id FROM partners.import_row f
  WHERE f.import_id = :import2 AND f.tax_number <> ''),
found AS (SELECT DISTINCT ON (ref) ref, leader_row, match_id FROM file_keys
          ORDER BY ref, leader_row)
UPDATE partners.import_row r
SET parent_id = found.match_id,
    parent_row = CASE WHEN found.match_id IS NULL THEN found.leader_row END
FROM found
WHERE r.import_id = :import3 AND r.row_number = r.leader_row AND r.parent_id IS NULL
  AND r.parent_ref = found.ref)sql";

// What is wrong with a row's parent, if anything: missing, the row's own
// partner, merged into another, or a person (as the file leaves it). A
// partner whose parent stays what it is is not checked again (the API
// does not either).
constexpr const char* kParentProblems = R"sql(
SELECT row_number, parent_column, parent_ref, problem, merged_into FROM (
  SELECT r.row_number, r.parent_column, r.parent_ref,
    CASE
      WHEN r.parent_id IS NULL AND r.parent_row IS NULL THEN 'missing'
      WHEN r.parent_row = r.leader_row OR r.parent_id = r.match_id THEN 'self'
      WHEN p.merged_into_id IS NOT NULL THEN 'merged'
      WHEN coalesce(new_parent.doc->>'kind', updated_parent.doc->>'kind', p.kind,
                    cast(:defaults AS jsonb)->>'kind') = 'person' THEN 'person'
    END AS problem,
    coalesce(p.merged_into_id, 0) AS merged_into
  FROM partners.import_row r
  LEFT JOIN partners.partner p ON p.id = r.parent_id
  LEFT JOIN partners.import_row new_parent
    ON new_parent.import_id = r.import_id AND new_parent.row_number = r.parent_row
  LEFT JOIN partners.import_row updated_parent
    ON updated_parent.import_id = r.import_id AND updated_parent.match_id = r.parent_id
   AND updated_parent.row_number = updated_parent.leader_row
  LEFT JOIN partners.partner c ON c.id = r.match_id
  WHERE r.import_id = :import AND r.row_number = r.leader_row AND r.parent_ref IS NOT NULL
    AND (r.parent_id IS NULL OR c.parent_partner_id IS DISTINCT FROM r.parent_id)) checked
WHERE problem IS NOT NULL)sql";

// Rows whose parent is a partner of the file that was refused meanwhile.
constexpr const char* kParentRefused = R"sql(
SELECT r.row_number, r.parent_column, r.parent_ref FROM partners.import_row r
WHERE r.import_id = :import AND r.row_number = r.leader_row AND r.parent_row IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM partners.import_row f
                  WHERE f.import_id = r.import_id AND f.row_number = r.parent_row))sql";

// Rows whose new parent is (at any height) the row's own partner: walking
// up from the parent, through the file's new parents and the parents there
// are, comes back to it. Nodes: 'p<id>' a partner there is, 'r<row>' a
// partner the file creates.
constexpr const char* kParentCycles = R"sql(
WITH RECURSIVE edge AS (
  SELECT r.row_number, r.parent_column, r.parent_ref,
         CASE WHEN r.match_id IS NOT NULL THEN 'p' || r.match_id ELSE 'r' || r.leader_row END
           AS child,
         CASE WHEN r.parent_id IS NOT NULL THEN 'p' || r.parent_id ELSE 'r' || r.parent_row END
           AS parent
  FROM partners.import_row r
  WHERE r.import_id = :import AND r.row_number = r.leader_row
    AND (r.parent_id IS NOT NULL OR r.parent_row IS NOT NULL)),
up(row_number, node) AS (
  SELECT row_number, parent FROM edge
  UNION
  SELECT u.row_number, coalesce(e.parent, 'p' || p.parent_partner_id)
  FROM up u
  LEFT JOIN edge e ON e.child = u.node
  LEFT JOIN partners.partner p ON e.child IS NULL
   AND p.id = CASE WHEN u.node LIKE 'p%' THEN cast(substr(u.node, 2) AS bigint) END
  WHERE coalesce(e.parent, 'p' || p.parent_partner_id) IS NOT NULL)
SELECT e.row_number, e.parent_column, e.parent_ref FROM edge e
JOIN up u ON u.row_number = e.row_number AND u.node = e.child)sql";

// Refuses the rows of one partner (its first row `leader`): returns their
// row numbers, the first row's first.
constexpr const char* kRefuseGroup = R"sql(
DELETE FROM partners.import_row
WHERE import_id = :import AND leader_row = :leader
RETURNING row_number)sql";

// After the partners are written: each gets the parent its row named
// (found above), as a write of the row's partner (bumped, reported) unless
// the import created or updated it anyway.
constexpr const char* kSetParents = R"sql(
WITH wanted AS (
  SELECT r.row_number, r.partner_id AS child, coalesce(r.parent_id, f.partner_id) AS parent,
         r.created OR r.updated AS written
  FROM partners.import_row r
  LEFT JOIN partners.import_row f ON f.import_id = r.import_id AND f.row_number = r.parent_row
  WHERE r.import_id = :import1 AND r.row_number = r.leader_row AND r.partner_id IS NOT NULL
    AND (r.parent_id IS NOT NULL OR r.parent_row IS NOT NULL)),
changed AS (
  UPDATE partners.partner p SET parent_partner_id = w.parent,
    update_time = CASE WHEN w.written THEN p.update_time ELSE to_timestamp(:now / 1e6) END,
    version = p.version + CASE WHEN w.written THEN 0 ELSE 1 END
  FROM wanted w WHERE p.id = w.child AND p.parent_partner_id IS DISTINCT FROM w.parent
  RETURNING w.row_number)
UPDATE partners.import_row r SET updated = true FROM changed c
WHERE r.import_id = :import2 AND r.row_number = c.row_number AND NOT r.created)sql";

constexpr const char* kInsertPartners = R"sql(
INSERT INTO partners.partner (kind, display_name, legal_name, tax_number, eu_vat_number,
  registration_number, addresses, emails, phones, website, tags, owner_user_id, custom_fields,
  credit_limit_currency, credit_limit_minor, risk_class, birthday, name_day, bank_accounts,
  payment_terms_days, default_currency_code, preferred_language, customer, supplier,
  first_name, last_name, salutation, search_text, request_id, create_time, update_time)
SELECT n.kind, n.display_name, n.legal_name, n.tax_number, n.eu_vat_number,
  n.registration_number, n.addresses, n.emails, n.phones, n.website, n.tags, n.owner_user_id,
  n.custom_fields, n.credit_limit_currency, n.credit_limit_minor, n.risk_class, n.birthday,
  n.name_day, '[]', n.payment_terms_days, n.default_currency_code, n.preferred_language,
  n.customer, n.supplier, n.first_name, n.last_name, n.salutation,
  kernel.fold(partners.search_source(n)),
  'import.' || r.import_id || '.' || r.row_number, to_timestamp(:now1 / 1e6),
  to_timestamp(:now2 / 1e6)
FROM partners.import_row r,
     jsonb_populate_record(NULL::partners.partner, cast(:defaults AS jsonb) || r.doc) n
WHERE r.import_id = :import AND r.match_id IS NULL AND r.row_number = r.leader_row)sql";

constexpr const char* kMarkCreated = R"sql(
UPDATE partners.import_row r SET partner_id = p.id, created = (r.row_number = r.leader_row)
FROM partners.partner p
WHERE r.import_id = :import AND r.match_id IS NULL
  AND p.request_id = 'import.' || r.import_id || '.' || r.leader_row)sql";

constexpr const char* kRememberBefore =
    "UPDATE partners.import_row r SET partner_id = r.match_id, before = " KARTON_PARTNER_JSON
    " FROM partners.partner p WHERE r.import_id = :import AND r.match_id = p.id";

// The new row is the old one with the file's fields laid over it: scalars
// replace, emails, phones and tags are added to, the address of the same
// type is replaced, custom fields are merged. Only rows that change are
// written (and bumped, and reported).
constexpr const char* kUpdatePartners = R"sql(
WITH incoming AS (
  SELECT p.id, p AS old_row, jsonb_populate_record(p, r.doc || jsonb_build_object(
    'emails', to_jsonb(p.emails || ARRAY(SELECT e FROM jsonb_array_elements_text(
        coalesce(r.doc->'emails', '[]')) e WHERE e <> ALL (p.emails))),
    'phones', to_jsonb(p.phones || ARRAY(SELECT e FROM jsonb_array_elements_text(
        coalesce(r.doc->'phones', '[]')) e WHERE e <> ALL (p.phones))),
    'tags', to_jsonb(p.tags || ARRAY(SELECT e FROM jsonb_array_elements_text(
        coalesce(r.doc->'tags', '[]')) e WHERE e <> ALL (p.tags))),
    'addresses', CASE WHEN r.doc ? 'addresses' THEN
        (SELECT coalesce(jsonb_agg(a ORDER BY o), '[]'::jsonb)
         FROM jsonb_array_elements(p.addresses) WITH ORDINALITY x(a, o)
         WHERE a->>'type' IS DISTINCT FROM r.doc->'addresses'->0->>'type') || (r.doc->'addresses')
      ELSE p.addresses END,
    'custom_fields', p.custom_fields || coalesce(r.doc->'custom_fields', '{}'))) AS n
  FROM partners.import_row r JOIN partners.partner p ON p.id = r.match_id
  WHERE r.import_id = :import1 AND r.row_number = r.leader_row),
changed AS (
  UPDATE partners.partner p
  SET (kind, display_name, legal_name, tax_number, eu_vat_number, registration_number, addresses,
       emails, phones, website, tags, owner_user_id, custom_fields, credit_limit_currency,
       credit_limit_minor, risk_class, birthday, name_day, payment_terms_days,
       default_currency_code, preferred_language, customer, supplier, first_name, last_name,
       salutation, search_text, update_time, version) =
      ((i.n).kind, (i.n).display_name, (i.n).legal_name, (i.n).tax_number, (i.n).eu_vat_number,
       (i.n).registration_number, (i.n).addresses, (i.n).emails, (i.n).phones, (i.n).website,
       (i.n).tags, (i.n).owner_user_id, (i.n).custom_fields, (i.n).credit_limit_currency,
       (i.n).credit_limit_minor, (i.n).risk_class, (i.n).birthday, (i.n).name_day,
       (i.n).payment_terms_days, (i.n).default_currency_code, (i.n).preferred_language,
       (i.n).customer, (i.n).supplier, (i.n).first_name, (i.n).last_name, (i.n).salutation,
       kernel.fold(partners.search_source(i.n)), to_timestamp(:now / 1e6), p.version + 1)
  FROM incoming i WHERE p.id = i.id AND i.n IS DISTINCT FROM i.old_row
  RETURNING p.id)
UPDATE partners.import_row r SET updated = true FROM changed c
WHERE r.import_id = :import2 AND r.row_number = r.leader_row AND r.match_id = c.id)sql";

// Keys from the file that the partner does not have yet. A source the
// partner already has a (different) key for keeps its key.
constexpr const char* kAddExternalIds = R"sql(
INSERT INTO partners.partner_external_id (source, key, partner_id)
SELECT e.key, e.value, r.partner_id
FROM partners.import_row r CROSS JOIN LATERAL jsonb_each_text(r.external_ids) e
WHERE r.import_id = :import AND r.row_number = r.leader_row AND r.partner_id IS NOT NULL
ON CONFLICT DO NOTHING)sql";

// A contact per name and partner: one the partner has already is not added
// again, so running a file twice adds nobody twice.
constexpr const char* kInsertContacts = R"sql(
WITH candidates AS (
  SELECT DISTINCT ON (r.partner_id, lower(r.contact->>'name'))
         r.partner_id, r.row_number, r.contact
  FROM partners.import_row r
  WHERE r.import_id = :import AND r.contact IS NOT NULL AND r.partner_id IS NOT NULL
  ORDER BY r.partner_id, lower(r.contact->>'name'), r.row_number)
INSERT INTO partners.contact (partner_id, name, role, emails, phones, birthday, name_day,
                              is_primary, request_id, create_time, update_time)
SELECT c.partner_id, n.name, coalesce(n.role, ''), coalesce(n.emails, '{}'),
       coalesce(n.phones, '{}'), n.birthday, coalesce(n.name_day, ''), false,
       'import.' || :import2 || '.' || c.row_number, to_timestamp(:now1 / 1e6),
       to_timestamp(:now2 / 1e6)
FROM candidates c, jsonb_populate_record(NULL::partners.contact, c.contact) n
WHERE NOT EXISTS (SELECT 1 FROM partners.contact k
                  WHERE k.partner_id = c.partner_id AND lower(k.name) = lower(n.name))
RETURNING id)sql";

constexpr const char* kCreatedIds =
    "SELECT partner_id FROM partners.import_row WHERE import_id = :import AND created "
    "ORDER BY row_number";
constexpr const char* kUpdatedRows =
    "SELECT partner_id, before FROM partners.import_row WHERE import_id = :import AND updated "
    "ORDER BY row_number";
constexpr const char* kDropRows = "DELETE FROM partners.import_row WHERE import_id = :import";

// The import_row column of a key matched on a row's values.
const char* ValuesColumn(MatchKey key) { return key == MatchKey::kEmail ? "emails" : "phones"; }

bool Lists(const std::vector<MatchKey>& order, MatchKey key) {
  return std::find(order.begin(), order.end(), key) != order.end();
}

// A JSON array of the values, or NULL when there are none.
void CopyValues(kernel::CopyIn& copy, const std::vector<std::string>& values) {
  if (values.empty()) {
    copy.Null();
    return;
  }
  boost::json::array array;
  for (const auto& value : values) array.emplace_back(value);
  copy.Field(boost::json::serialize(array));
}

// Runs an UPDATE; how many rows it changed.
long long Changed(soci::statement& statement) {
  statement.execute(true);
  return statement.get_affected_rows();
}

}  // namespace

void CopyRow(kernel::CopyIn& copy, std::int64_t import_id, std::int64_t row_number,
             const ImportRow& row) {
  copy.Field(import_id);
  copy.Field(row_number);
  if (row.karton_id > 0) {
    copy.Field(row.karton_id);
  } else {
    copy.Null();
  }
  boost::json::object external_ids;
  for (const auto& [source, key] : row.partner.external_ids()) external_ids[source] = key;
  copy.Field(boost::json::serialize(external_ids));
  copy.Field(row.partner.tax_number());
  if (row.partner_key.empty()) {
    copy.Null();
  } else {
    copy.Field(row.partner_key);
  }
  copy.Field(repository::StorageJson(row.partner, &row.fields));
  copy.Field(row.creatable ? "t" : "f");
  if (row.contact) {
    copy.Field(repository::ContactStorageJson(*row.contact));
  } else {
    copy.Null();
  }
  if (row.parent_ref.empty()) {
    copy.Null();
  } else {
    copy.Field(row.parent_ref);
  }
  copy.Field(row.parent_column);
  CopyValues(copy, row.emails);
  CopyValues(copy, row.phones);
  if (row.consents.empty()) {
    copy.Null();
  } else {
    boost::json::object consents;
    for (const auto& [channel, granted] : row.consents) consents[channel] = granted;
    copy.Field(boost::json::serialize(consents));
  }
  copy.Field(row_number);  // its own leader until grouped (kGroupRows)
  copy.EndRow();
}

std::vector<v1::MarketingConsent> ApplyConsents(soci::session& session, std::int64_t import_id,
                                                std::int64_t user_id, TimePoint now) {
  static constexpr const char* kApplyConsents = R"sql(
WITH wanted AS (
  SELECT DISTINCT ON (r.partner_id, c.key) r.partner_id, c.key AS channel,
         cast(c.value AS boolean) AS granted
  FROM partners.import_row r CROSS JOIN LATERAL jsonb_each_text(r.consents) c
  WHERE r.import_id = cast(:import AS bigint) AND r.partner_id IS NOT NULL
    AND r.consents IS NOT NULL
  ORDER BY r.partner_id, c.key, r.row_number DESC)
INSERT INTO partners.marketing_consent AS m
  (partner_id, channel, granted, source, evidence, recorded_by, record_time)
SELECT w.partner_id, w.channel, w.granted, 'import', 'import ' || cast(:import2 AS text),
       nullif(cast(:user_id AS bigint), 0), to_timestamp(cast(:now AS bigint) / 1e6)
FROM wanted w
WHERE (SELECT l.granted FROM partners.marketing_consent l
       WHERE l.partner_id = w.partner_id AND l.contact_id IS NULL AND l.channel = w.channel
       ORDER BY l.record_time DESC, l.id DESC LIMIT 1) IS DISTINCT FROM w.granted
RETURNING partners.marketing_consent_json(m)::text)sql";
  long long import = import_id, user = user_id, now_us = ToEpochMicros(now);
  const std::string import_text = std::to_string(import_id);
  soci::rowset<std::string> rows = (session.prepare << kApplyConsents, soci::use(import),
                                    soci::use(import_text), soci::use(user), soci::use(now_us));
  std::vector<v1::MarketingConsent> recorded;
  for (const auto& json : rows) {
    v1::MarketingConsent consent;
    kernel::ParseProtoJson(json, consent);
    recorded.push_back(std::move(consent));
  }
  return recorded;
}

std::string CreateDefaults(v1::PartnerKind kind) {
  return boost::json::serialize(
      boost::json::object{{"kind", kind == v1::PARTNER_KIND_PERSON ? "person" : "organization"},
                          {"legal_name", ""},
                          {"tax_number", ""},
                          {"eu_vat_number", ""},
                          {"registration_number", ""},
                          {"addresses", boost::json::array{}},
                          {"emails", boost::json::array{}},
                          {"phones", boost::json::array{}},
                          {"website", ""},
                          {"tags", boost::json::array{}},
                          {"custom_fields", boost::json::object{}},
                          {"credit_limit_currency", ""},
                          {"risk_class", ""},
                          {"name_day", ""},
                          {"bank_accounts", boost::json::array{}},
                          {"payment_terms_days", 0},
                          {"default_currency_code", ""},
                          {"preferred_language", ""},
                          {"customer", false},
                          {"supplier", false},
                          {"first_name", ""},
                          {"last_name", ""},
                          {"salutation", ""}});
}

std::vector<MatchKey> DefaultMatchOrder() {
  return {MatchKey::kId, MatchKey::kExternalId, MatchKey::kTaxNumber, MatchKey::kEmail,
          MatchKey::kPhone};
}

std::int64_t CreateImport(soci::session& session, const std::string& mode, bool dry_run,
                          const std::string& request_id, std::int64_t user_id, TimePoint now) {
  const std::string flag = dry_run ? "true" : "false", user = std::to_string(user_id);
  long long now_us = ToEpochMicros(now), id = 0;
  session << kCreateImport, soci::use(mode), soci::use(flag), soci::use(request_id),
      soci::use(user), soci::use(now_us), soci::into(id);
  return id;
}

std::optional<std::int64_t> FindImportByRequestId(soci::session& session,
                                                  const std::string& request_id) {
  long long id = 0;
  session << kFindByRequestId, soci::use(request_id), soci::into(id);
  if (!session.got_data()) return std::nullopt;
  return id;
}

std::optional<v1::Import> FindImport(soci::session& session, std::int64_t id) {
  long long import_id = id;
  std::string json;
  session << kFindImport, soci::use(import_id), soci::into(json);
  if (!session.got_data()) return std::nullopt;
  v1::Import import;
  try {
    kernel::ParseProtoJson(json, import);
  } catch (const std::invalid_argument& error) {
    throw std::runtime_error(std::string("a stored import does not read back: ") + error.what());
  }
  return import;
}

void HoldReceivingLock(soci::session& session, std::int64_t id) {
  const std::string import_id = std::to_string(id);
  session << "SELECT pg_advisory_lock(hashtext('partners.import.receiving'), "
             "cast(:id AS bigint)::int)",
      soci::use(import_id);
}

void ReleaseReceivingLock(soci::session& session, std::int64_t id) {
  const std::string import_id = std::to_string(id);
  session << "SELECT pg_advisory_unlock(hashtext('partners.import.receiving'), "
             "cast(:id AS bigint)::int)",
      soci::use(import_id);
}

void HoldImportLock(soci::session& session, std::int64_t id) {
  const std::string import_id = std::to_string(id);
  session << kHoldLock, soci::use(import_id);
}

int FailAbandonedImports(soci::session& session, TimePoint now) {
  soci::transaction transaction(session);
  long long now_us = ToEpochMicros(now);
  soci::rowset<long long> rows = (session.prepare << kFailAbandoned, soci::use(now_us));
  int failed = 0;
  for (auto it = rows.begin(); it != rows.end(); ++it) ++failed;
  transaction.commit();  // and with it the probing locks are let go
  return failed;
}

bool StillReceiving(soci::session& session, std::int64_t import_id) {
  long long id = import_id, count = 0;
  session << kStillReceiving, soci::use(id), soci::into(count);
  return count == 1;
}

void SaveProgress(soci::session& session, const v1::Import& import, const std::string& state) {
  long long read = import.rows_read(), valid = import.rows_valid(), invalid = import.rows_invalid(),
            id = import.id();
  session << kSaveProgress, soci::use(state), soci::use(read), soci::use(valid), soci::use(invalid),
      soci::use(id);
}

void FinishImport(soci::session& session, const v1::Import& import, const std::string& state,
                  const std::string& error, TimePoint now) {
  long long read = import.rows_read(), valid = import.rows_valid(), invalid = import.rows_invalid(),
            duplicates = import.duplicates(), created = import.partners_created(),
            updated = import.partners_updated(), skipped = import.rows_skipped(),
            contacts = import.contacts_created(), now_us = ToEpochMicros(now), id = import.id();
  session << kFinishImport, soci::use(state), soci::use(read), soci::use(valid), soci::use(invalid),
      soci::use(duplicates), soci::use(created), soci::use(updated), soci::use(skipped),
      soci::use(contacts), soci::use(error), soci::use(now_us), soci::use(id);
}

void InsertErrors(soci::session& session, std::int64_t import_id,
                  const std::vector<RowError>& errors) {
  if (errors.empty()) return;
  kernel::CopyIn copy(session,
                      "COPY partners.import_error (import_id, row_number, column_name, field, "
                      "problem) FROM STDIN");
  for (const auto& error : errors) {
    copy.Field(import_id);
    copy.Field(error.row);
    copy.Field(error.column);
    copy.Field(error.field);
    copy.Field(error.problem);
    copy.EndRow();
  }
  copy.Finish();
}

std::vector<std::pair<std::int64_t, RowError>> ListErrors(soci::session& session,
                                                          std::int64_t import_id,
                                                          std::int64_t after_id, int limit) {
  long long id = import_id, after = after_id;
  std::vector<std::pair<std::int64_t, RowError>> errors;
  soci::rowset<soci::row> rows =
      (session.prepare << kListErrors, soci::use(id), soci::use(after), soci::use(limit));
  for (const auto& row : rows) {
    errors.emplace_back(row.get<long long>(0),
                        RowError{row.get<long long>(1), row.get<std::string>(2),
                                 row.get<std::string>(3), row.get<std::string>(4)});
  }
  return errors;
}

namespace {

// "id:17" -> "id 17", "ext:crm:A-1" -> "crm key A-1", "tax:..." -> "tax
// number ...": the parent a row names, for its error.
std::string DescribeParent(const std::string& ref) {
  if (ref.rfind("id:", 0) == 0) return "id " + ref.substr(3);
  if (ref.rfind("tax:", 0) == 0) return "tax number " + ref.substr(4);
  if (ref.rfind("ext:", 0) == 0) {
    const auto colon = ref.find(':', 4);
    return fmt::format("{} key {}", ref.substr(4, colon - 4), ref.substr(colon + 1));
  }
  return ref;
}

// Refuses the rows of the partner led by `leader`: its first row with
// `error`, the others as rows of a partner that could not be written.
void RefuseGroup(soci::session& session, long long import_id, long long leader, RowError error,
                 ApplyResult& result) {
  soci::rowset<long long> rows =
      (session.prepare << kRefuseGroup, soci::use(import_id), soci::use(leader));
  for (const auto row : rows) {
    if (row == leader) {
      result.errors.push_back(error);
    } else {
      result.errors.push_back({row, "", "partner", "its partner (an earlier row) was refused"});
    }
  }
}

// Finds and checks the parents the rows name; refuses the rows whose parent
// is wrong, and then those whose parent was a refused row of the file.
void CheckParents(soci::session& session, long long id, const std::string& defaults_json,
                  ApplyResult& result) {
  const std::string field = "partner.parent_partner_id";
  session << kParentById, soci::use(id);
  session << kParentByExternalId, soci::use(id);
  session << kParentByTaxNumber, soci::use(id);
  session << kParentInFile, soci::use(id), soci::use(id), soci::use(id);
  std::vector<std::pair<long long, RowError>> refused;
  {
    soci::rowset<soci::row> rows =
        (session.prepare << kParentProblems, soci::use(defaults_json), soci::use(id));
    for (const auto& row : rows) {
      const auto number = row.get<long long>(0);
      const auto parent = DescribeParent(row.get<std::string>(2));
      const auto problem = row.get<std::string>(3);
      std::string text;
      if (problem == "missing") {
        text =
            fmt::format("there is no partner with {}, in Karton or created by this file", parent);
      } else if (problem == "self") {
        text = fmt::format("the partner with {} is this row's own partner", parent);
      } else if (problem == "merged") {
        text = fmt::format("the partner with {} was merged into partner {}: name that one", parent,
                           row.get<long long>(4));
      } else {
        text = fmt::format("the partner with {} is a person; a parent must be an organization",
                           parent);
      }
      refused.push_back({number, {number, row.get<std::string>(1), field, text}});
    }
  }
  for (auto& [leader, error] : refused) RefuseGroup(session, id, leader, error, result);
  // Walking up through the new parents, a cycle is refused whole: every
  // row on it names one of the others.
  const auto refuse_orphans = [&] {
    for (;;) {
      refused.clear();
      soci::rowset<soci::row> rows = (session.prepare << kParentRefused, soci::use(id));
      for (const auto& row : rows) {
        const auto number = row.get<long long>(0);
        refused.push_back(
            {number,
             {number, row.get<std::string>(1), field,
              fmt::format("the partner with {} is on a row of this file that was refused",
                          DescribeParent(row.get<std::string>(2)))}});
      }
      if (refused.empty()) return;
      for (auto& [leader, error] : refused) RefuseGroup(session, id, leader, error, result);
    }
  };
  refuse_orphans();
  refused.clear();
  {
    soci::rowset<soci::row> rows = (session.prepare << kParentCycles, soci::use(id));
    for (const auto& row : rows) {
      const auto number = row.get<long long>(0);
      refused.push_back(
          {number,
           {number, row.get<std::string>(1), field,
            fmt::format("the partner with {} belongs to this row's partner's group (as the "
                        "file leaves it): a parent there would make a cycle",
                        DescribeParent(row.get<std::string>(2)))}});
    }
  }
  for (auto& [leader, error] : refused) RefuseGroup(session, id, leader, error, result);
  refuse_orphans();
}

}  // namespace

ApplyResult ApplyImport(soci::session& session, std::int64_t import_id, const std::string& mode,
                        const std::string& defaults_json, const std::string& id_column,
                        const std::vector<MatchKey>& match_order, TimePoint now,
                        std::int64_t user_id) {
  ApplyResult result;
  long long id = import_id, now_us = ToEpochMicros(now);
  const std::string import_text = std::to_string(import_id);
  // Most of an import's time goes into the trigram GIN indexes of the new
  // rows. A larger pending list (and the memory to merge it) lets
  // PostgreSQL insert their entries in sorted batches: about a quarter
  // faster on 100,000 rows (bench/README.md). Only for this transaction.
  session << "SET LOCAL work_mem = '256MB'";
  session << "SET LOCAL gin_pending_list_limit = '64MB'";

  // A directory without partners has nothing to match a row to. Each match
  // below reads the whole staging table (about 5 s a key for a million
  // rows), so the first import into a new directory, the usual migration,
  // skips them, and with them the updates' statements.
  int any_partner = 0;
  session << kAnyPartner, soci::into(any_partner);
  const bool directory_empty = any_partner == 0;
  // Only a file with an id column names Karton ids.
  if (!id_column.empty()) {
    if (!directory_empty) session << kMatchById, soci::use(id);
    soci::rowset<soci::row> rows = (session.prepare << kRefuseUnknownIds, soci::use(id));
    for (const auto& row : rows) {
      result.errors.push_back({row.get<long long>(0), id_column, "id",
                               fmt::format("there is no partner {}", row.get<long long>(1))});
    }
  }
  // The other keys in the order asked for: each finds partners for the
  // rows still without one.
  long long matched_by_values = 0;
  for (const auto key : match_order) {
    if (directory_empty) break;
    switch (key) {
      case MatchKey::kId:
        break;  // above, always first
      case MatchKey::kExternalId:
        session << kMatchByExternalId, soci::use(id), soci::use(id);
        break;
      case MatchKey::kTaxNumber:
        session << kMatchByTaxNumber, soci::use(id);
        break;
      case MatchKey::kEmail:
      case MatchKey::kPhone: {
        const std::string sql = fmt::format(kMatchByContactTemplate, ValuesColumn(key));
        soci::statement match = (session.prepare << sql, soci::use(id), soci::use(id));
        matched_by_values += Changed(match);
        break;
      }
    }
  }
  if (matched_by_values > 0) session << kMatchKeyGroups, soci::use(id), soci::use(id);
  session << kGroupRows, soci::use(id), soci::use(id);
  const int link_emails = Lists(match_order, MatchKey::kEmail) ? 1 : 0;
  const int link_phones = Lists(match_order, MatchKey::kPhone) ? 1 : 0;
  long long free_rows = 0;
  if (link_emails + link_phones > 0)
    session << kCountFreeRows, soci::use(id), soci::into(free_rows);
  if (free_rows > 0) {
    long long linked = 0;
    for (;;) {  // each round lowers leaders; it ends
      soci::statement link = (session.prepare << kLinkRows, soci::use(link_emails),
                              soci::use(link_phones), soci::use(id), soci::use(id));
      const long long moved = Changed(link);
      if (moved == 0) break;
      linked += moved;
    }
    if (linked > 0) session << kMatchLinkedRows, soci::use(id);
  }
  long long duplicates = 0;
  session << kCountDuplicates, soci::use(id), soci::into(duplicates);
  result.counts.duplicates = duplicates;
  {
    soci::rowset<long long> rows =
        (session.prepare << kSkipByMode, soci::use(id), soci::use(mode), soci::use(mode));
    for (auto it = rows.begin(); it != rows.end(); ++it) ++result.counts.skipped;
  }
  long long uncreatable = 0;
  session << kCountUncreatable, soci::use(id), soci::into(uncreatable);
  if (uncreatable > 0) {
    soci::rowset<soci::row> rows =
        (session.prepare << kRefuseUncreatable, soci::use(id), soci::use(id));
    for (const auto& row : rows) {
      const bool leader = row.get<int>(1) != 0;
      result.errors.push_back(
          {row.get<long long>(0), "", "partner",
           leader ? "creating a partner needs display_name and every required custom field"
                  : "its partner (an earlier row) could not be created"});
    }
  }
  long long person_rows = 0;
  session << kTurnsParentIntoPerson, soci::use(id), soci::into(person_rows);
  if (person_rows > 0) {
    // Serialised with the API's writes that change the group (CheckGroup).
    repository::LockHierarchy(session);
    soci::rowset<soci::row> rows =
        (session.prepare << kRefuseParentsBecomingPersons, soci::use(id), soci::use(id));
    for (const auto& row : rows) {
      const bool leader = row.get<int>(1) != 0;
      result.errors.push_back(
          {row.get<long long>(0), "", leader ? "partner.kind" : "partner",
           leader ? fmt::format("partner {} is the parent of other partners (their "
                                "parent_partner_id), and a person cannot be a parent",
                                row.get<long long>(2))
                  : "its partner (an earlier row) could not be updated"});
    }
  }
  long long parent_rows = 0;
  session << kCountParentRefs, soci::use(id), soci::into(parent_rows);
  if (parent_rows > 0) {
    // Serialised with the API's writes that change the group (CheckGroup);
    // taken twice in one transaction is no harm.
    repository::LockHierarchy(session);
    CheckParents(session, id, defaults_json, result);
  }
  session << kInsertPartners, soci::use(now_us), soci::use(now_us), soci::use(defaults_json),
      soci::use(id);
  session << kMarkCreated, soci::use(id);
  if (!directory_empty) {
    session << kRememberBefore, soci::use(id);
    session << kUpdatePartners, soci::use(id), soci::use(now_us), soci::use(id);
  }
  if (parent_rows > 0) session << kSetParents, soci::use(id), soci::use(now_us), soci::use(id);
  session << kAddExternalIds, soci::use(id);
  {
    soci::rowset<long long> rows = (session.prepare << kInsertContacts, soci::use(id),
                                    soci::use(import_text), soci::use(now_us), soci::use(now_us));
    for (const auto contact_id : rows) result.contact_ids.push_back(contact_id);
  }
  {
    soci::rowset<long long> rows = (session.prepare << kCreatedIds, soci::use(id));
    for (const auto partner_id : rows) result.created_ids.push_back(partner_id);
  }
  {
    soci::rowset<soci::row> rows = (session.prepare << kUpdatedRows, soci::use(id));
    for (const auto& row : rows) {
      result.updated.emplace_back(row.get<long long>(0), row.get<std::string>(1));
    }
  }
  result.counts.created = static_cast<std::int64_t>(result.created_ids.size());
  result.counts.updated = static_cast<std::int64_t>(result.updated.size());
  result.counts.contacts_created = static_cast<std::int64_t>(result.contact_ids.size());
  result.consents = ApplyConsents(session, import_id, user_id, now);
  session << kDropRows, soci::use(id);
  return result;
}

std::vector<std::string> ExternalSources(soci::session& session) {
  std::vector<std::string> sources;
  soci::rowset<std::string> rows =
      (session.prepare << "SELECT DISTINCT source FROM partners.partner_external_id ORDER BY 1");
  for (const auto& source : rows) sources.push_back(source);
  return sources;
}

}  // namespace karton::partners::import_repository
