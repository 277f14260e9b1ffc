// PartnerService's CSV import and export (A7).
//
// An import first takes the whole file from the client into an anonymous
// temporary file, holding no database connection (a slow sender would
// otherwise hold one and an open transaction: security review), up to
// partners.import_max_mib. Then it reads the file (libcsv), checks every row
// (import_rows.cpp) and loads the valid ones with COPY into the unlogged
// staging table; a few set-based statements match them to existing
// partners (Karton id, external key, tax number), create and update
// partners, add contacts, and the events and audit entries go in as batches.
// All of that is ONE transaction, holding the import's advisory lock: an
// import is applied whole or not at all, and one whose kartond died is
// recognised by its free lock and marked FAILED. Progress and the error
// report are written outside that transaction (while receiving, in short
// statements; while applying, on a second connection), so they can be
// watched and outlive a failure.
#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <future>
#include <optional>

#include "consent/consent_repository.h"
#include "contacts/contact_repository.h"
#include "imports/csv_io.h"
#include "imports/import_repository.h"
#include "imports/import_rows.h"
#include "karton/kernel/copy.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/proto_json.h"
#include "partner_filter.h"
#include "partner_repository.h"
#include "partner_service.h"
#include "service_support.h"
#include "validation.h"

namespace karton::partners {
namespace {

// Errors kept for the report; past this many only the count grows.
constexpr std::size_t kMaxReportedErrors = 100000;
constexpr std::size_t kEventBatch = 2000;
constexpr auto kProgressEvery = std::chrono::milliseconds(500);
constexpr std::size_t kExportFlushBytes = 64 * 1024;

std::string ModeWord(v1::ImportMode mode) {
  switch (mode) {
    case v1::IMPORT_MODE_CREATE_ONLY:
      return "create_only";
    case v1::IMPORT_MODE_UPDATE_ONLY:
      return "update_only";
    default:
      return "upsert";
  }
}

// The import stopped on bad input: the status for the client, also kept
// as the import's error.
struct ImportRefused {
  grpc::Status status;
};

// The ids of the event batch that starts at `start`: up to kEventBatch.
std::vector<std::int64_t> EventBatchOf(const std::vector<std::int64_t>& ids, std::size_t start) {
  const auto end = std::min(ids.size(), start + kEventBatch);
  return {ids.begin() + static_cast<std::ptrdiff_t>(start),
          ids.begin() + static_cast<std::ptrdiff_t>(end)};
}

// One batch of partners' events and audit entries, built without the
// database.
struct PartnerBatchReport {
  std::vector<v1::PartnerChanged> payloads;
  kernel::AuditLog::Entries entries;
};

// `befores`: each partner's protobuf JSON before the import changed it, or
// null for partners the import created.
PartnerBatchReport BuildPartnerBatchReport(std::vector<v1::Partner> partners,
                                           const std::vector<const std::string*>* befores,
                                           const kernel::FieldChange& marker) {
  PartnerBatchReport report;
  report.payloads.resize(partners.size());
  report.entries.reserve(partners.size());
  for (std::size_t i = 0; i < partners.size(); ++i) {
    std::optional<v1::Partner> before;
    if (befores != nullptr) kernel::ParseProtoJson(*(*befores)[i], before.emplace());
    auto changes = DiffPartners(before ? &*before : nullptr, partners[i]);
    for (const auto& change : changes) report.payloads[i].add_changed_fields(change.field);
    changes.push_back(marker);
    report.entries.emplace_back(partners[i].id(), std::move(changes));
    *report.payloads[i].mutable_partner() = std::move(partners[i]);
  }
  return report;
}

// Publishes `topic` and records `action` for the partners `ids` (with
// `befores` as above), kEventBatch at a time. A transaction is one
// connection, so the database and kartond take turns; to use both cores,
// each batch is built on a thread of its own while the connection reads
// the next one (about 6.5 s of 200,000 rows is that read).
void ReportPartners(const kernel::ServiceParts& services, soci::session& session,
                    const kernel::Caller& caller, const std::vector<std::int64_t>& ids,
                    const std::vector<std::string>* befores, std::string_view topic,
                    kernel::AuditAction action, const kernel::FieldChange& marker) {
  if (ids.empty()) return;
  auto next = repository::FindPartners(session, EventBatchOf(ids, 0));
  for (std::size_t start = 0; start < ids.size(); start += kEventBatch) {
    std::vector<const std::string*> batch_befores;
    if (befores != nullptr) {
      for (std::size_t i = start; i < std::min(ids.size(), start + kEventBatch); ++i) {
        batch_befores.push_back(&(*befores)[i]);
      }
    }
    auto building = std::async(std::launch::async, BuildPartnerBatchReport, std::move(next),
                               befores != nullptr ? &batch_befores : nullptr, std::cref(marker));
    if (start + kEventBatch < ids.size()) {
      next = repository::FindPartners(session, EventBatchOf(ids, start + kEventBatch));
    }
    const auto report = building.get();
    kernel::DomainEvents::Batch batch;
    batch.reserve(report.payloads.size());
    for (const auto& payload : report.payloads)
      batch.emplace_back(payload.partner().id(), &payload);
    services.events.PublishMany(session, topic, batch, caller);
    services.audit.RecordMany(session, caller, action, "partners.partner", report.entries);
  }
}

// Publishes the events and records the audit entries of an applied
// import, in batches, inside its transaction.
void ReportApplied(const kernel::ServiceParts& services, soci::session& session,
                   const kernel::Caller& caller, std::int64_t import_id,
                   const import_repository::ApplyResult& applied) {
  const kernel::FieldChange marker{"import", std::nullopt, std::to_string(import_id)};
  ReportPartners(services, session, caller, applied.created_ids, nullptr,
                 "partners.partner.created", kernel::AuditAction::kCreate, marker);
  std::vector<std::int64_t> updated_ids;
  std::vector<std::string> befores;
  for (const auto& [id, before] : applied.updated) {
    updated_ids.push_back(id);
    befores.push_back(before);
  }
  ReportPartners(services, session, caller, updated_ids, &befores, "partners.partner.updated",
                 kernel::AuditAction::kUpdate, marker);
  // The created contacts, read kEventBatch at a time (one statement each,
  // not one per contact).
  const auto& contact_ids = applied.contact_ids;
  for (std::size_t start = 0; start < contact_ids.size(); start += kEventBatch) {
    const auto batch_ids = EventBatchOf(contact_ids, start);
    std::vector<v1::ContactChanged> contacts;
    contacts.reserve(batch_ids.size());
    kernel::AuditLog::Entries contact_entries;
    for (auto& contact :
         repository::FindContacts(session, batch_ids, repository::Visibility::Everyone())) {
      auto changes = kernel::DiffFields(nullptr, contact);
      v1::ContactChanged& payload = contacts.emplace_back();
      for (const auto& change : changes) payload.add_changed_fields(change.field);
      changes.push_back(marker);
      contact_entries.emplace_back(contact.id(), std::move(changes));
      *payload.mutable_contact() = std::move(contact);
    }
    kernel::DomainEvents::Batch contact_batch;
    for (const auto& payload : contacts) {
      contact_batch.emplace_back(payload.contact().id(), &payload);
    }
    services.events.PublishMany(session, "partners.contact.created", contact_batch, caller);
    services.audit.RecordMany(session, caller, kernel::AuditAction::kCreate, "partners.contact",
                              contact_entries);
  }
}

// The consents an import recorded: their events and audit entries, as
// RecordMarketingConsent writes them.
void ReportConsents(const kernel::ServiceParts& services, soci::session& session,
                    const kernel::Caller& caller,
                    const std::vector<v1::MarketingConsent>& consents) {
  kernel::AuditLog::Entries entries;
  kernel::DomainEvents::Batch batch;
  for (const auto& consent : consents) {
    entries.emplace_back(consent.id(),
                         std::vector<kernel::FieldChange>{
                             {"partner_id", std::nullopt, std::to_string(consent.partner_id())},
                             {"contact_id", std::nullopt, "0"},
                             kernel::FieldChange::Created(
                                 "channel", repository::ConsentChannelWord(consent.channel())),
                             {"granted", std::nullopt, consent.granted() ? "true" : "false"},
                             kernel::FieldChange::Created("source", "import"),
                             kernel::FieldChange::Created("evidence", consent.evidence())});
    batch.emplace_back(consent.partner_id(), &consent);
  }
  if (consents.empty()) return;
  services.events.PublishMany(session, kTopicConsentRecorded, batch, caller);
  services.audit.RecordMany(session, caller, kernel::AuditAction::kCreate, kConsentResource,
                            entries);
}

}  // namespace

grpc::Status PartnerServiceImpl::ImportPartners(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::ImportPartnersResponse, v1::ImportPartnersRequest>* stream) {
  v1::ImportPartnersRequest message;
  if (!stream->Read(&message) || !message.has_settings()) {
    return kernel::InvalidField("settings", "the first message must carry the settings");
  }
  const v1::ImportSettings settings = message.settings();
  std::vector<kernel::FieldViolation> violations;
  const std::string delimiter = settings.delimiter().empty() ? "," : settings.delimiter();
  if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n" || delimiter == "\r") {
    violations.push_back({"settings.delimiter", "must be one character, e.g. , or ; or a tab"});
  }
  if (!v1::ImportMode_IsValid(settings.mode())) {
    violations.push_back({"settings.mode", "is not an import mode"});
  }
  ImportDefaults defaults;
  if (settings.default_kind() == v1::PARTNER_KIND_PERSON) defaults.kind = v1::PARTNER_KIND_PERSON;
  if (!settings.default_country().empty()) {
    std::string problem;
    if (auto country = NormalizeCountryCode(settings.default_country(), problem)) {
      defaults.country = *country;
    } else {
      violations.push_back({"settings.default_country", problem});
    }
  }
  std::vector<import_repository::MatchKey> match_order;
  for (int i = 0; i < settings.match_order_size(); ++i) {
    const auto key = settings.match_order(i);
    const std::string field = fmt::format("settings.match_order[{}]", i);
    std::optional<import_repository::MatchKey> word;
    switch (key) {
      case v1::IMPORT_MATCH_KEY_ID:
        word = import_repository::MatchKey::kId;
        break;
      case v1::IMPORT_MATCH_KEY_EXTERNAL_ID:
        word = import_repository::MatchKey::kExternalId;
        break;
      case v1::IMPORT_MATCH_KEY_TAX_NUMBER:
        word = import_repository::MatchKey::kTaxNumber;
        break;
      case v1::IMPORT_MATCH_KEY_EMAIL:
        word = import_repository::MatchKey::kEmail;
        break;
      case v1::IMPORT_MATCH_KEY_PHONE:
        word = import_repository::MatchKey::kPhone;
        break;
      default:
        break;
    }
    if (!word) {
      violations.push_back({field, "must be ID, EXTERNAL_ID, TAX_NUMBER, EMAIL or PHONE"});
    } else if (std::find(match_order.begin(), match_order.end(), *word) != match_order.end()) {
      violations.push_back({field, "names a key given before"});
    } else if (*word == import_repository::MatchKey::kId && i > 0) {
      violations.push_back({field, "ID is always matched first: list it first or leave it out"});
    } else {
      match_order.push_back(*word);
    }
  }
  if (match_order.empty()) match_order = import_repository::DefaultMatchOrder();
  if (settings.request_id().size() > 200) {
    violations.push_back({"settings.request_id", "must be at most 200 bytes"});
  }
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  const std::string mode = ModeWord(settings.mode());
  const std::map<std::string, std::string> mapping(settings.column_mapping().begin(),
                                                   settings.column_mapping().end());
  const kernel::Caller caller = kernel::CallerOf(*context);
  auto ticket = streams_.Enter(caller);
  if (!ticket) return TooManyStreams();

  return Guarded(services_.log, "ImportPartners", [&]() -> grpc::Status {
    v1::ImportPartnersResponse reply;
    std::int64_t import_id = 0;
    std::optional<ReceivingImports::Claim> receiving;
    {
      // Autocommit: the import's record.
      auto lease = services_.database.Acquire();
      soci::session& session = lease.Session();
      if (!settings.request_id().empty()) {
        if (const auto existing =
                import_repository::FindImportByRequestId(session, settings.request_id())) {
          import_repository::FailAbandonedImports(session, services_.clock.Now());
          *reply.mutable_import() = *import_repository::FindImport(session, *existing);
          stream->Write(reply);
          return grpc::Status::OK;
        }
      }
      // The receiving lock is taken before the import row commits, so no
      // one ever sees it RECEIVING without its lock (and fails it).
      soci::transaction transaction(session);
      try {
        import_id = import_repository::CreateImport(session, mode, settings.dry_run(),
                                                    settings.request_id(), caller.user_id,
                                                    services_.clock.Now());
      } catch (const std::exception& error) {
        if (SqlState(error) != "23505") throw;
        return {grpc::StatusCode::ABORTED,
                "an import with this request_id started just now; ask GetImport for it"};
      }
      receiving.emplace(receiving_imports_.Hold(import_id));
      transaction.commit();
    }
    v1::Import& import = *reply.mutable_import();
    import.set_id(import_id);
    import.set_state(v1::IMPORT_STATE_RECEIVING);
    import.set_mode(settings.mode() == v1::IMPORT_MODE_UNSPECIFIED ? v1::IMPORT_MODE_UPSERT
                                                                   : settings.mode());
    import.set_dry_run(settings.dry_run());
    import.set_user_id(caller.user_id);
    std::vector<import_repository::RowError> errors;
    stream->Write(reply);  // the client learns the import's id at once

    // Where progress and the error report go: a short statement of its own
    // while the file arrives, the second connection while it is applied.
    std::optional<kernel::Database::Lease> progress_lease;
    auto with_progress = [&](auto&& write) {
      if (progress_lease) return write(progress_lease->Session());
      auto lease = services_.database.Acquire();
      return write(lease.Session());
    };
    auto finish_failed = [&](const std::string& why) {
      import.set_state(v1::IMPORT_STATE_FAILED);
      import.set_error(why);
      with_progress([&](soci::session& progress) {
        import_repository::FinishImport(progress, import, "failed", why, services_.clock.Now());
        import_repository::InsertErrors(progress, import_id, errors);
      });
      stream->Write(reply);
    };

    try {
      const auto started = std::chrono::steady_clock::now();
      // 1. The file, into a temporary file that goes away when closed.
      std::unique_ptr<FILE, decltype(&std::fclose)> spool(std::tmpfile(), &std::fclose);
      if (!spool) throw std::runtime_error("no temporary file for the import");
      std::int64_t received_bytes = 0;
      std::optional<ImportRefused> refused;
      auto last_progress = std::chrono::steady_clock::now();
      while (stream->Read(&message)) {
        if (!message.has_csv_chunk()) {
          refused = ImportRefused{
              kernel::InvalidField("settings", "only the first message carries the settings")};
          break;
        }
        received_bytes += static_cast<std::int64_t>(message.csv_chunk().size());
        if (received_bytes > options_.import_max_bytes) {
          refused = ImportRefused{kernel::InvalidField(
              "csv_chunk", fmt::format("the file is larger than the limit of {} MiB",
                                       options_.import_max_bytes / (1024 * 1024)))};
          break;
        }
        if (std::fwrite(message.csv_chunk().data(), 1, message.csv_chunk().size(), spool.get()) !=
            message.csv_chunk().size()) {
          throw std::runtime_error("the import's temporary file could not be written");
        }
        if (std::chrono::steady_clock::now() - last_progress >= kProgressEvery) {
          last_progress = std::chrono::steady_clock::now();
          with_progress([&](soci::session& progress) {
            import_repository::SaveProgress(progress, import, "receiving");
          });
          stream->Write(reply);
        }
      }
      if (!refused && context->IsCancelled()) {
        refused = ImportRefused{{grpc::StatusCode::CANCELLED, "the client cancelled the import"}};
      }
      if (refused) {
        finish_failed(refused->status.error_message());
        return refused->status;
      }
      std::rewind(spool.get());

      // 2. Checked and applied in one transaction.
      progress_lease.emplace(services_.database.Acquire());
      soci::session& progress = progress_lease->Session();
      auto lease = services_.database.Acquire();
      soci::session& session = lease.Session();
      soci::transaction transaction(session);
      import_repository::HoldImportLock(session, import_id);
      if (!import_repository::StillReceiving(progress, import_id)) {
        return {grpc::StatusCode::ABORTED,
                "the import was failed meanwhile as interrupted; send the file again"};
      }
      const Definitions definitions = LoadDefinitions(session);
      std::optional<ColumnPlan> plan;
      std::string id_column;
      std::int64_t row_number = 0;
      std::optional<kernel::CopyIn> copy;
      copy.emplace(session, import_repository::kCopyRows);

      CsvReader reader(delimiter[0], [&](std::vector<std::string>& cells) {
        if (refused) return;
        if (!plan) {
          std::string problem;
          plan = PlanColumns(cells, mapping, definitions, problem);
          if (!plan) {
            refused = ImportRefused{kernel::InvalidField("settings.column_mapping", problem)};
            return;
          }
          for (std::size_t i = 0; i < plan->targets.size(); ++i) {
            if (plan->targets[i] == "id") id_column = plan->headers[i];
          }
          return;
        }
        ++row_number;
        import.set_rows_read(import.rows_read() + 1);
        ImportRow row = BuildImportRow(*plan, cells, defaults, definitions);
        if (!row.problems.empty()) {
          import.set_rows_invalid(import.rows_invalid() + 1);
          for (auto& problem : row.problems) {
            if (errors.size() >= kMaxReportedErrors) break;
            errors.push_back({row_number, problem.column, problem.field, problem.problem});
          }
          return;
        }
        import.set_rows_valid(import.rows_valid() + 1);
        import_repository::CopyRow(*copy, import_id, row_number, row);
      });

      std::string block(1024 * 1024, '\0');
      while (!refused) {
        const std::size_t got = std::fread(block.data(), 1, block.size(), spool.get());
        if (got == 0) break;
        if (!reader.Feed(std::string_view(block).substr(0, got))) {
          refused = ImportRefused{kernel::InvalidField(
              "csv_chunk",
              fmt::format("the file is not CSV after row {}: {}", row_number, reader.Error()))};
          break;
        }
        if (std::chrono::steady_clock::now() - last_progress >= kProgressEvery) {
          last_progress = std::chrono::steady_clock::now();
          import_repository::SaveProgress(progress, import, "receiving");
          stream->Write(reply);
        }
      }
      if (!refused && context->IsCancelled()) {
        refused = ImportRefused{{grpc::StatusCode::CANCELLED, "the client cancelled the import"}};
      }
      if (!refused && std::ferror(spool.get())) {
        throw std::runtime_error("the import's temporary file could not be read");
      }
      if (!refused && !reader.Finish()) {
        refused = ImportRefused{kernel::InvalidField(
            "csv_chunk", fmt::format("the file is not CSV at its end: {}", reader.Error()))};
      }
      if (!refused && !plan) {
        refused = ImportRefused{kernel::InvalidField("csv_chunk", "the file has no header row")};
      }
      if (refused) {
        copy.reset();  // aborts the COPY; the transaction rolls back below
        finish_failed(refused->status.error_message());
        return refused->status;
      }
      copy->Finish();
      copy.reset();

      const auto received = std::chrono::steady_clock::now();
      import.set_state(v1::IMPORT_STATE_APPLYING);
      import_repository::SaveProgress(progress, import, "applying");
      stream->Write(reply);
      const auto applied = import_repository::ApplyImport(
          session, import_id, mode, import_repository::CreateDefaults(defaults.kind), id_column,
          match_order, services_.clock.Now(), caller.user_id);
      for (const auto& error : applied.errors) {
        if (errors.size() < kMaxReportedErrors) errors.push_back(error);
      }
      const auto refused_rows = static_cast<std::int64_t>(applied.errors.size());
      import.set_rows_valid(import.rows_valid() - refused_rows);
      import.set_rows_invalid(import.rows_invalid() + refused_rows);
      import.set_duplicates(applied.counts.duplicates);
      import.set_rows_skipped(applied.counts.skipped);
      import.set_partners_created(applied.counts.created);
      import.set_partners_updated(applied.counts.updated);
      import.set_contacts_created(applied.counts.contacts_created);
      const auto matched_and_written = std::chrono::steady_clock::now();
      if (!settings.dry_run()) {
        ReportApplied(services_, session, caller, import_id, applied);
        ReportConsents(services_, session, caller, applied.consents);
        transaction.commit();
      }  // a dry run rolls everything back here: counted, nothing written
      // Where an import's time goes, for operators and bench/partners.sh.
      auto seconds = [](auto from, auto to) {
        return std::chrono::duration<double>(to - from).count();
      };
      services_.log.info(
          "import {}: {} rows; read and checked {:.1f} s, applied {:.1f} s, events and audit "
          "{:.1f} s",
          import_id, import.rows_read(), seconds(started, received),
          seconds(received, matched_and_written),
          seconds(matched_and_written, std::chrono::steady_clock::now()));
    } catch (const std::exception& error) {
      services_.log.error("ImportPartners: {}", kernel::DescribeDatabaseError(error));
      finish_failed("the import failed on the server; nothing was applied");
      return {grpc::StatusCode::INTERNAL, "the import failed; nothing was applied"};
    }
    import.set_state(v1::IMPORT_STATE_DONE);
    with_progress([&](soci::session& progress) {
      import_repository::FinishImport(progress, import, "done", "", services_.clock.Now());
      import_repository::InsertErrors(progress, import_id, errors);
      *reply.mutable_import() = *import_repository::FindImport(progress, import_id);
    });
    stream->Write(reply);
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::GetImport(grpc::ServerContext*,
                                           const v1::GetImportRequest* request,
                                           v1::Import* response) {
  return Guarded(services_.log, "GetImport", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    import_repository::FailAbandonedImports(lease.Session(), services_.clock.Now());
    const auto import = import_repository::FindImport(lease.Session(), request->id());
    if (!import) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no import with id {}", request->id())};
    }
    *response = *import;
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::ListImportErrors(grpc::ServerContext*,
                                                  const v1::ListImportErrorsRequest* request,
                                                  v1::ListImportErrorsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return Guarded(services_.log, "ListImportErrors", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    if (!import_repository::FindImport(lease.Session(), request->import_id())) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("no import with id {}", request->import_id())};
    }
    auto errors = import_repository::ListErrors(lease.Session(), request->import_id(),
                                                page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(errors, page, [](const auto& error) {
      return kernel::PageCursor{"", error.first};
    }));
    for (const auto& [number, error] : errors) {
      auto* added = response->add_errors();
      added->set_row(error.row);
      added->set_column(error.column);
      added->set_field(error.field);
      added->set_problem(error.problem);
    }
    return grpc::Status::OK;
  });
}

grpc::Status PartnerServiceImpl::ExportPartners(
    grpc::ServerContext* context, const v1::ExportPartnersRequest* request,
    grpc::ServerWriter<v1::ExportPartnersResponse>* writer) {
  const std::string delimiter = request->delimiter().empty() ? "," : request->delimiter();
  if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n") {
    return kernel::InvalidField("delimiter", "must be one character, e.g. , or ;");
  }
  repository::ListQuery query;
  query.visibility = VisibilityOf(kernel::CallerOf(*context));
  query.limit = 1000;
  if (!ParseOrderBy(request->order_by(), query.order_column, query.descending)) {
    return kernel::InvalidField(
        "order_by", "must be display_name, create_time, update_time or id, optionally with desc");
  }
  return Guarded(services_.log, "ExportPartners", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::session& session = lease.Session();
    // One snapshot for the whole file.
    soci::transaction transaction(session);
    session << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY";
    const Definitions definitions = LoadDefinitions(session);
    CustomFieldTypes custom_types;
    for (const auto& [key, definition] : definitions) {
      custom_types[key] = definition.type() == v1::CUSTOM_FIELD_TYPE_NUMBER ? "number"
                          : definition.type() == v1::CUSTOM_FIELD_TYPE_DATE ? "date"
                          : definition.type() == v1::CUSTOM_FIELD_TYPE_BOOL ? "bool"
                                                                            : "text";
    }
    std::string problem;
    const auto filter = ParseFilter(request->filter(), custom_types, problem);
    if (!filter) return kernel::InvalidField("filter", problem);
    query.filter_where = filter->where;
    query.filter_params = filter->params;
    query.include_archived = filter->mentions_archived;
    const auto header = ExportHeader(definitions, import_repository::ExternalSources(session));
    v1::ExportPartnersResponse chunk;
    std::string& out = *chunk.mutable_csv_chunk();
    AppendCsvRecord(header, delimiter[0], out);
    while (!context->IsCancelled()) {
      const auto rows = repository::ListPartners(session, query);
      for (const auto& row : rows) {
        AppendCsvRecord(ExportCells(row.partner, header), delimiter[0], out);
        if (out.size() >= kExportFlushBytes) {
          if (!writer->Write(chunk)) return grpc::Status::OK;
          out.clear();
        }
      }
      if (rows.size() < static_cast<std::size_t>(query.limit)) break;
      query.after_key = rows.back().key;
      query.after_id = rows.back().partner.id();
    }
    if (!out.empty()) writer->Write(chunk);
    return grpc::Status::OK;
  });
}

}  // namespace karton::partners
