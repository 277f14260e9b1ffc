// karton_floor: the smallest honest gRPC server doing the work of Karton's
// GetPartner and CreatePartner, on the same gRPC, protobuf and libpq, against
// the same tables. bench/run measures kartond against it, so that a ratio
// says how much Karton's own machinery costs, apart from what the database
// and the transport cost anyway (docs/performance.md, "The floor").
//
// What it does per call, and nothing more:
// - GetPartner: one prepared primary-key SELECT of the partner's typed
//   columns (and its external ids), decoded into karton.partners.v1.Partner.
// - CreatePartner: one transaction in two round trips (libpq pipeline mode):
//   BEGIN and the INSERT; then the outbox event (the Partner, serialized),
//   the audit entry and COMMIT. No NOTIFY: a NOTIFY serialises commits, so
//   kartond sends none and wakes its own sequencer after the commit
//   (kernel/src/sequencer_wakeup.h); the floor does not send one either.
// What it leaves out on purpose: authentication and roles, validation,
// custom field definitions, duplicate keys, logging, metrics. Karton must do
// those; the floor shows what they cost.
// --server-model picks gRPC's synchronous server (a handler thread takes each
// call) or its callback API (the call is answered on the thread that read
// it); bench/run runs both and takes its targets against the faster.
#include <grpcpp/grpcpp.h>
#include <libpq-fe.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "karton/partners/v1/partner_service.grpc.pb.h"

namespace {

namespace pv1 = karton::partners::v1;
namespace cv1 = karton::common::v1;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

// The partner's columns, typed; external ids as two parallel arrays.
constexpr const char* kSelectPartner = R"sql(
SELECT p.id, p.kind, p.display_name, p.legal_name, p.tax_number, p.eu_vat_number,
       p.registration_number, p.addresses, p.emails, p.phones, p.website, p.tags,
       coalesce(p.owner_user_id, 0), p.custom_fields, p.credit_limit_currency,
       p.credit_limit_minor, p.risk_class, p.birthday, p.name_day, p.bank_accounts, p.archived,
       (extract(epoch FROM p.create_time) * 1000000)::bigint,
       (extract(epoch FROM p.update_time) * 1000000)::bigint, p.version,
       coalesce(p.merged_into_id, 0),
       ARRAY(SELECT e.source FROM partners.partner_external_id e WHERE e.partner_id = p.id
             ORDER BY e.source),
       ARRAY(SELECT e.key FROM partners.partner_external_id e WHERE e.partner_id = p.id
             ORDER BY e.source)
FROM partners.partner p WHERE p.id = $1)sql";

constexpr const char* kInsertPartner = R"sql(
INSERT INTO partners.partner (kind, display_name, tax_number, addresses, emails, phones, tags,
                              search_text, create_time, update_time)
VALUES ($1::text, $2::text, $3::text, $4::jsonb, $5::text[], $6::text[], $7::text[],
        kernel.fold(concat_ws(' ', $2::text, $3::text, array_to_string($5::text[], ' '),
                              array_to_string($6::text[], ' '))),
        now(), now())
RETURNING id, (extract(epoch FROM create_time) * 1000000)::bigint)sql";

constexpr const char* kInsertOutbox = R"sql(
INSERT INTO kernel.event_outbox (module, topic, aggregate_id, payload_type, payload, publish_time,
                                 actor_user_id)
VALUES ('partners', 'partners.partner.created', $1::bigint, 'karton.partners.v1.PartnerChanged',
        $2::bytea, now(), $3::bigint))sql";

constexpr const char* kInsertAudit = R"sql(
INSERT INTO kernel.audit_entry (occurred_at, actor_user_id, action, resource_type, resource_id,
                                changes)
VALUES (now(), $1::bigint, 'create', 'partners.partner', $2::bigint, $3::jsonb))sql";

// --- PostgreSQL text values -------------------------------------------------

std::int64_t Integer(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// A one-dimensional text[] in PostgreSQL's output format: {a,"b c",NULL}.
void ParseTextArray(std::string_view text, google::protobuf::RepeatedPtrField<std::string>& out) {
  if (text.size() < 2) return;
  std::size_t at = 1;
  while (at < text.size() - 1) {
    std::string value;
    if (text[at] == '"') {
      for (++at; at < text.size() && text[at] != '"'; ++at) {
        if (text[at] == '\\') ++at;
        value += text[at];
      }
      ++at;  // the closing quote
    } else {
      const std::size_t end = text.find(',', at);
      value = std::string(
          text.substr(at, (end == std::string_view::npos ? text.size() - 1 : end) - at));
      at += value.size();
    }
    *out.Add() = std::move(value);
    if (at < text.size() && text[at] == ',') ++at;
  }
}

std::string TextArray(const google::protobuf::RepeatedPtrField<std::string>& values) {
  std::string out = "{";
  for (int i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string_view String(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string_view(value->get_string())
                                                : std::string_view();
}

void ParseAddresses(std::string_view json, pv1::Partner& partner) {
  const boost::json::value parsed = boost::json::parse(json);
  for (const auto& item : parsed.as_array()) {
    const auto& object = item.as_object();
    auto* address = partner.add_addresses();
    cv1::AddressType type = cv1::ADDRESS_TYPE_UNSPECIFIED;
    cv1::AddressType_Parse(std::string(String(object, "type")), &type);
    address->set_type(type);
    address->set_country(std::string(String(object, "country")));
    address->set_postal_code(std::string(String(object, "postalCode")));
    address->set_city(std::string(String(object, "city")));
    address->set_street(std::string(String(object, "street")));
    address->set_extra(std::string(String(object, "extra")));
    address->set_region(std::string(String(object, "region")));
  }
}

std::string AddressesJson(const pv1::Partner& partner) {
  boost::json::array addresses;
  for (const auto& address : partner.addresses()) {
    boost::json::object object;
    object["type"] = cv1::AddressType_Name(address.type());
    if (!address.country().empty()) object["country"] = address.country();
    if (!address.postal_code().empty()) object["postalCode"] = address.postal_code();
    if (!address.city().empty()) object["city"] = address.city();
    if (!address.street().empty()) object["street"] = address.street();
    addresses.push_back(std::move(object));
  }
  return boost::json::serialize(addresses);
}

void SetTimestamp(google::protobuf::Timestamp& timestamp, std::int64_t micros) {
  timestamp.set_seconds(micros / 1000000);
  timestamp.set_nanos(static_cast<std::int32_t>(micros % 1000000) * 1000);
}

void DecodePartner(PGresult* result, pv1::Partner& partner) {
  const auto text = [result](int column) {
    return std::string_view(PQgetvalue(result, 0, column),
                            static_cast<std::size_t>(PQgetlength(result, 0, column)));
  };
  partner.set_id(Integer(text(0)));
  partner.set_kind(text(1) == "person" ? pv1::PARTNER_KIND_PERSON : pv1::PARTNER_KIND_ORGANIZATION);
  partner.set_display_name(std::string(text(2)));
  partner.set_legal_name(std::string(text(3)));
  partner.set_tax_number(std::string(text(4)));
  partner.set_eu_vat_number(std::string(text(5)));
  partner.set_registration_number(std::string(text(6)));
  ParseAddresses(text(7), partner);
  ParseTextArray(text(8), *partner.mutable_emails());
  ParseTextArray(text(9), *partner.mutable_phones());
  partner.set_website(std::string(text(10)));
  ParseTextArray(text(11), *partner.mutable_tags());
  partner.set_owner_user_id(Integer(text(12)));
  const boost::json::value custom_fields = boost::json::parse(text(13));
  for (const auto& [key, value] : custom_fields.as_object()) {
    if (value.is_string())
      (*partner.mutable_custom_fields())[key] = std::string(value.get_string());
  }
  if (!PQgetisnull(result, 0, 15)) {
    partner.mutable_credit_limit()->set_currency_code(std::string(text(14)));
    partner.mutable_credit_limit()->set_minor_units(Integer(text(15)));
  }
  pv1::RiskClass risk = pv1::RISK_CLASS_UNSPECIFIED;
  if (!text(16).empty()) pv1::RiskClass_Parse(std::string(text(16)), &risk);
  partner.set_risk_class(risk);
  if (!PQgetisnull(result, 0, 17)) {
    const auto date = text(17);  // YYYY-MM-DD
    partner.mutable_birthday()->set_year(static_cast<std::int32_t>(Integer(date.substr(0, 4))));
    partner.mutable_birthday()->set_month(static_cast<std::int32_t>(Integer(date.substr(5, 2))));
    partner.mutable_birthday()->set_day(static_cast<std::int32_t>(Integer(date.substr(8, 2))));
  }
  partner.set_name_day(std::string(text(18)));
  const boost::json::value bank_accounts = boost::json::parse(text(19));
  for (const auto& item : bank_accounts.as_array()) {
    auto* account = partner.add_bank_accounts();
    account->set_iban(std::string(String(item.as_object(), "iban")));
    account->set_bank_name(std::string(String(item.as_object(), "bankName")));
    account->set_currency_code(std::string(String(item.as_object(), "currencyCode")));
  }
  partner.set_archived(text(20) == "t");
  SetTimestamp(*partner.mutable_create_time(), Integer(text(21)));
  SetTimestamp(*partner.mutable_update_time(), Integer(text(22)));
  partner.set_etag(std::string(text(23)));
  partner.set_merged_into_id(Integer(text(24)));
  google::protobuf::RepeatedPtrField<std::string> sources, keys;
  ParseTextArray(text(25), sources);
  ParseTextArray(text(26), keys);
  for (int i = 0; i < sources.size() && i < keys.size(); ++i) {
    (*partner.mutable_external_ids())[sources[i]] = keys[i];
  }
}

// --- Connections --------------------------------------------------------------

// Connections in pipeline mode with the statements prepared.
class ConnectionPool {
 public:
  ConnectionPool(const std::string& conninfo, int size) {
    for (int i = 0; i < size; ++i) {
      PGconn* raw = PQconnectdb(conninfo.c_str());
      if (PQstatus(raw) != CONNECTION_OK) {
        throw std::runtime_error(std::string("cannot connect: ") + PQerrorMessage(raw));
      }
      for (const auto& [name, sql] :
           {std::pair{"get", kSelectPartner}, std::pair{"insert", kInsertPartner},
            std::pair{"outbox", kInsertOutbox}, std::pair{"audit", kInsertAudit}}) {
        Result prepared(PQprepare(raw, name, sql, 0, nullptr), &PQclear);
        if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
          throw std::runtime_error(std::string("cannot prepare: ") + PQerrorMessage(raw));
        }
      }
      if (PQenterPipelineMode(raw) != 1) throw std::runtime_error("no pipeline mode");
      free_.push_back(raw);
      all_.push_back(raw);
    }
  }
  ~ConnectionPool() {
    for (PGconn* raw : all_) PQfinish(raw);
  }

  class Lease {
   public:
    Lease(ConnectionPool& pool, PGconn* raw) : pool_(pool), raw_(raw) {}
    ~Lease() { pool_.Return(raw_); }
    PGconn* Raw() const { return raw_; }

   private:
    ConnectionPool& pool_;
    PGconn* raw_;
  };

  Lease Acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !free_.empty(); });
    PGconn* raw = free_.back();
    free_.pop_back();
    return Lease(*this, raw);
  }

 private:
  void Return(PGconn* raw) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(raw);
    }
    available_.notify_one();
  }

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<PGconn*> free_;
  std::vector<PGconn*> all_;
};

// Sends the queued statements' sync and collects one result per statement;
// false (with `error`) when any failed.
bool SyncAndCollect(PGconn* raw, int statements, std::vector<Result>& results, std::string& error) {
  if (PQpipelineSync(raw) != 1) {
    error = PQerrorMessage(raw);
    return false;
  }
  bool ok = true;
  for (int i = 0; i < statements; ++i) {
    Result result(PQgetResult(raw), &PQclear);
    const auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      if (ok) error = PQresultErrorMessage(result.get());
      ok = false;
    }
    results.push_back(std::move(result));
    while (PGresult* end = PQgetResult(raw)) PQclear(end);  // the statement's NULL
  }
  Result sync(PQgetResult(raw), &PQclear);  // PGRES_PIPELINE_SYNC
  return ok;
}

// --- The service ----------------------------------------------------------------

// The two calls' work, the same under either server model.
class FloorCalls {
 public:
  explicit FloorCalls(ConnectionPool& pool) : pool_(pool) {}

  grpc::Status GetPartner(const pv1::GetPartnerRequest* request, pv1::Partner* response) {
    auto lease = pool_.Acquire();
    const std::string id = std::to_string(request->id());
    const char* values[] = {id.c_str()};
    PQsendQueryPrepared(lease.Raw(), "get", 1, values, nullptr, nullptr, 0);
    std::vector<Result> results;
    std::string error;
    if (!SyncAndCollect(lease.Raw(), 1, results, error)) {
      return {grpc::StatusCode::INTERNAL, error};
    }
    if (PQntuples(results[0].get()) == 0) {
      return {grpc::StatusCode::NOT_FOUND, "no partner with id " + id};
    }
    DecodePartner(results[0].get(), *response);
    return grpc::Status::OK;
  }

  grpc::Status CreatePartner(const pv1::CreatePartnerRequest* request, pv1::Partner* response) {
    *response = request->partner();
    auto lease = pool_.Acquire();
    PGconn* raw = lease.Raw();
    // Round trip 1: BEGIN and the row.
    const std::string kind =
        response->kind() == pv1::PARTNER_KIND_PERSON ? "person" : "organization";
    const std::string addresses = AddressesJson(*response);
    const std::string emails = TextArray(response->emails());
    const std::string phones = TextArray(response->phones());
    const std::string tags = TextArray(response->tags());
    const char* row[] = {kind.c_str(),
                         response->display_name().c_str(),
                         response->tax_number().c_str(),
                         addresses.c_str(),
                         emails.c_str(),
                         phones.c_str(),
                         tags.c_str()};
    PQsendQueryParams(raw, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0);
    PQsendQueryPrepared(raw, "insert", 7, row, nullptr, nullptr, 0);
    std::vector<Result> inserted;
    std::string error;
    if (!SyncAndCollect(raw, 2, inserted, error)) return Rollback(raw, error);
    response->set_id(Integer(PQgetvalue(inserted[1].get(), 0, 0)));
    const std::int64_t now_us = Integer(PQgetvalue(inserted[1].get(), 0, 1));
    SetTimestamp(*response->mutable_create_time(), now_us);
    SetTimestamp(*response->mutable_update_time(), now_us);
    response->set_etag("1");

    // Round trip 2: the event, the audit entry, COMMIT.
    pv1::PartnerChanged changed;
    *changed.mutable_partner() = *response;
    const std::string payload = changed.SerializeAsString();
    boost::json::array changes;
    changes.push_back({{"field", "display_name"}, {"new", response->display_name()}});
    changes.push_back({{"field", "tax_number"}, {"new", response->tax_number()}});
    changes.push_back({{"field", "addresses"}, {"new", boost::json::parse(addresses)}});
    const std::string changes_json = boost::json::serialize(changes);
    const std::string id = std::to_string(response->id());
    const char* outbox[] = {id.c_str(), payload.data(), nullptr};
    const int outbox_lengths[] = {0, static_cast<int>(payload.size()), 0};
    const int outbox_formats[] = {0, 1, 0};
    PQsendQueryPrepared(raw, "outbox", 3, outbox, outbox_lengths, outbox_formats, 0);
    const char* audit[] = {nullptr, id.c_str(), changes_json.c_str()};
    PQsendQueryPrepared(raw, "audit", 3, audit, nullptr, nullptr, 0);
    PQsendQueryParams(raw, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0);
    std::vector<Result> committed;
    if (!SyncAndCollect(raw, 3, committed, error)) return Rollback(raw, error);
    return grpc::Status::OK;
  }

 private:
  static grpc::Status Rollback(PGconn* raw, const std::string& error) {
    PQsendQueryParams(raw, "ROLLBACK", 0, nullptr, nullptr, nullptr, nullptr, 0);
    std::vector<Result> ignored;
    std::string ignored_error;
    SyncAndCollect(raw, 1, ignored, ignored_error);
    return {grpc::StatusCode::INTERNAL, error};
  }

  ConnectionPool& pool_;
};

// gRPC's synchronous server: its own threads take each call from the
// completion queue and run the handler (what kartond uses).
class SyncPartnerService final : public pv1::PartnerService::Service {
 public:
  explicit SyncPartnerService(FloorCalls& calls) : calls_(calls) {}
  grpc::Status GetPartner(grpc::ServerContext*, const pv1::GetPartnerRequest* request,
                          pv1::Partner* response) override {
    return calls_.GetPartner(request, response);
  }
  grpc::Status CreatePartner(grpc::ServerContext*, const pv1::CreatePartnerRequest* request,
                             pv1::Partner* response) override {
    return calls_.CreatePartner(request, response);
  }

 private:
  FloorCalls& calls_;
};

// gRPC's callback API: the handler runs on the thread that read the
// request, with no hand-off to a handler thread. The database wait blocks
// that thread, as it would in kartond's handlers.
class CallbackPartnerService final : public pv1::PartnerService::CallbackService {
 public:
  explicit CallbackPartnerService(FloorCalls& calls) : calls_(calls) {}
  grpc::ServerUnaryReactor* GetPartner(grpc::CallbackServerContext* context,
                                       const pv1::GetPartnerRequest* request,
                                       pv1::Partner* response) override {
    return Finished(context, calls_.GetPartner(request, response));
  }
  grpc::ServerUnaryReactor* CreatePartner(grpc::CallbackServerContext* context,
                                          const pv1::CreatePartnerRequest* request,
                                          pv1::Partner* response) override {
    return Finished(context, calls_.CreatePartner(request, response));
  }

 private:
  static grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* context,
                                            grpc::Status status) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(std::move(status));
    return reactor;
  }

  FloorCalls& calls_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"karton_floor: the floor bench/run measures kartond against"};
  std::string listen = "127.0.0.1:0";
  std::string conninfo;
  int connections = 16;
  app.add_option("--listen", listen, "host:port to serve gRPC on (port 0: any free one)");
  app.add_option("--conninfo", conninfo, "libpq connection string of Karton's database")
      ->required();
  app.add_option("--connections", connections, "database connections")->check(CLI::Range(1, 256));
  std::string server_model = "sync";
  app.add_option("--server-model", server_model,
                 "gRPC's synchronous server (as kartond) or its callback API")
      ->check(CLI::IsMember({"sync", "callback"}));
  CLI11_PARSE(app, argc, argv);

  try {
    ConnectionPool pool(conninfo, connections);
    FloorCalls calls(pool);
    SyncPartnerService sync_service(calls);
    CallbackPartnerService callback_service(calls);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
    if (server_model == "callback") {
      builder.RegisterService(&callback_service);
    } else {
      builder.RegisterService(&sync_service);
    }
    auto server = builder.BuildAndStart();
    if (!server || port == 0) {
      std::cerr << "karton_floor: cannot listen on " << listen << "\n";
      return 1;
    }
    std::cout << "port=" << port << std::endl;
    // Stopped by SIGTERM or SIGINT, like kartond.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::thread waiter([&server, signals] {
      int signal = 0;
      sigwait(&signals, &signal);
      server->Shutdown();
    });
    server->Wait();
    waiter.join();
  } catch (const std::exception& error) {
    std::cerr << "karton_floor: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
