// karton_load: the client half of bench/run (docs/performance.md).
//
//   karton_load generate --rows 1000000 [--first N] --out partners.csv
//   karton_load call --scenario get --concurrency 16 --seconds 10 --max-id 1000000 ...
//       a closed loop of CreatePartner, GetPartner, ListPartners (first page),
//       SearchPartners (3-letter fragments), SendMessage (send-email: a
//       transactional email to bench<n>@example.com), CreateTicket
//       (create-ticket; create-customer-ticket from the address of one of
//       the partners 0..max-id - 1 generated) or SearchArticles (kb-search;
//       helpdesk_data.h) over async gRPC; with --calls N exactly N calls
//       instead of a duration
//   karton_load call --scenario issue-invoice --concurrency 16 --seconds 10 --max-id N ...
//       IssueInvoice of drafts (CreateInvoice for partners 1..N) made before
//       the timed window (issue_invoice.h)
//   karton_load smtp --url smtp://127.0.0.1:2525 --messages N --concurrency 16
//       the raw side of the email scenario: the same emails handed straight
//       to an SMTP server with libcurl, one reused connection per thread
//   karton_load event-latency --samples 200 --after-event-id N ...
//       CreatePartner, one at a time, to the partner's event arriving on a
//       Subscribe stream
//   karton_load events --topic partners.partner.created --after-event-id N
//       --seconds S --interval-seconds I ...
//       one Subscribe stream held for S seconds and drained (event_stream.h)
//
// bench/soak adds --interval-seconds I to `call`: a line per interval of I
// seconds as it closes (interval=<n> end_s= seconds= calls= rate= p50_ms=
// p95_ms= p99_ms= max_ms= errors=), flushed at once, before the result line,
// which then ends with accepted=<every call that succeeded, warm-up and
// calls ending after the duration included>.
//
// Results go to stdout as one line of key=value pairs for the script; errors
// go to stderr, by status code, and make the exit status 1.
#include <curl/curl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "closed_loop.h"
#include "event_stream.h"
#include "helpdesk_data.h"
#include "issue_invoice.h"
#include "karton/helpdesk/v1/knowledge_base_service.grpc.pb.h"
#include "karton/helpdesk/v1/ticket_service.grpc.pb.h"
#include "karton/kernel/v1/event_service.grpc.pb.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "partner_data.h"

namespace karton::bench {
namespace {

namespace pv1 = partners::v1;
namespace mv1 = messaging::v1;

struct CallSettings {
  std::string scenario;
  std::int64_t max_id = 1;
  std::int64_t serial_base = 10000000;
};

// A factory of unary calls: `request_for(sequence)` builds each request,
// `method` is the stub's PrepareAsync<Method> (of any service).
template <class Request, class Response, class Stub>
CallFactory UnaryFactory(std::function<Request(std::int64_t)> request_for,
                         std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> (Stub::*method)(
                             grpc::ClientContext*, const Request&, grpc::CompletionQueue*)) {
  return [request_for, method](const std::shared_ptr<grpc::Channel>& channel,
                               std::unique_ptr<grpc::ClientContext> context,
                               std::int64_t sequence) -> std::unique_ptr<PendingCall> {
    // Stubs are cheap; the channel (the connection) is what is shared.
    auto stub = std::make_shared<Stub>(channel);
    return std::make_unique<UnaryCall<Response>>(
        std::move(context), [stub, method, request = request_for(sequence)](
                                grpc::ClientContext* c, grpc::CompletionQueue* q) {
          return ((*stub).*method)(c, request, q);
        });
  };
}

// The email of the send-email scenario, number `serial`: a short
// transactional text, as an order confirmation would be. Both sides of the
// scenario send it (SendMessage inline, and the raw SMTP loop as MIME).
struct BenchEmail {
  std::string to;
  std::string subject;
  std::string text;
};

BenchEmail BenchEmailFor(std::int64_t serial) {
  return {fmt::format("bench{}@example.com", serial),
          fmt::format("Rendelés visszaigazolása: B-{}", serial),
          fmt::format("Kedves Ügyfelünk!\n\nKöszönjük a rendelését (B-{}). A csomagot két "
                      "munkanapon belül feladjuk,\na számlát e-mailben küldjük, amint "
                      "elkészült.\n\nÜdvözlettel:\nPannon Gép Kft.\n",
                      serial)};
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const auto byte = [&](std::size_t at) {
      return at < bytes.size() ? static_cast<unsigned>(static_cast<unsigned char>(bytes[at])) : 0U;
    };
    const unsigned group = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(group >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[group & 63] : '=';
  }
  return out;
}

// The raw side's message: the shape kartond sends (an encoded-word subject,
// a base64 text/plain body in lines of 76), so both move the same bytes.
SmtpMessage BenchMime(std::int64_t serial, const std::string& from) {
  const BenchEmail email = BenchEmailFor(serial);
  std::string body;
  const std::string encoded = Base64(email.text);
  for (std::size_t i = 0; i < encoded.size(); i += 76) body += encoded.substr(i, 76) + "\r\n";
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return {email.to, fmt::format("Date: {:%a, %d %b %Y %H:%M:%S} +0000\r\n"
                                "From: \"Bench\" <{}>\r\n"
                                "To: <{}>\r\n"
                                "Subject: =?UTF-8?B?{}?=\r\n"
                                "Message-ID: <bench-{}@example.com>\r\n"
                                "MIME-Version: 1.0\r\n"
                                "Content-Type: text/plain; charset=UTF-8\r\n"
                                "Content-Transfer-Encoding: base64\r\n\r\n{}",
                                now, from, email.to, Base64(email.subject), serial, body)};
}

CallFactory FactoryFor(const CallSettings& settings) {
  using Stub = pv1::PartnerService::Stub;
  if (settings.scenario == "create") {
    return UnaryFactory<pv1::CreatePartnerRequest, pv1::Partner>(
        [base = settings.serial_base](std::int64_t sequence) {
          pv1::CreatePartnerRequest request;
          *request.mutable_partner() = SyntheticPartner(base + sequence);
          return request;
        },
        &Stub::PrepareAsyncCreatePartner);
  }
  if (settings.scenario == "get") {
    auto dice = std::make_shared<std::mt19937_64>(7);
    return UnaryFactory<pv1::GetPartnerRequest, pv1::Partner>(
        [dice, max_id = settings.max_id](std::int64_t) {
          pv1::GetPartnerRequest request;
          request.set_id(1 +
                         static_cast<std::int64_t>((*dice)() % static_cast<std::uint64_t>(max_id)));
          return request;
        },
        &Stub::PrepareAsyncGetPartner);
  }
  if (settings.scenario == "list") {
    return UnaryFactory<pv1::ListPartnersRequest, pv1::ListPartnersResponse>(
        [](std::int64_t) {
          pv1::ListPartnersRequest request;
          request.set_page_size(50);
          return request;
        },
        &Stub::PrepareAsyncListPartners);
  }
  if (settings.scenario == "search") {
    return UnaryFactory<pv1::SearchPartnersRequest, pv1::SearchPartnersResponse>(
        [](std::int64_t sequence) {
          const auto fragments = SearchFragments();
          pv1::SearchPartnersRequest request;
          request.set_query(
              std::string(fragments[static_cast<std::size_t>(sequence) % fragments.size()]));
          return request;
        },
        &Stub::PrepareAsyncSearchPartners);
  }
  if (settings.scenario == "send-email") {
    return UnaryFactory<mv1::SendMessageRequest, mv1::Message>(
        [base = settings.serial_base](std::int64_t sequence) {
          const BenchEmail email = BenchEmailFor(base + sequence);
          mv1::SendMessageRequest request;
          request.set_channel(mv1::CHANNEL_EMAIL);
          request.set_category(mv1::CATEGORY_TRANSACTIONAL);
          request.mutable_recipient()->set_address(email.to);
          request.set_subject(email.subject);
          request.set_text_body(email.text);
          return request;
        },
        &mv1::MessagingService::Stub::PrepareAsyncSendMessage);
  }
  if (settings.scenario == "create-ticket") {
    return UnaryFactory<helpdesk::v1::CreateTicketRequest, helpdesk::v1::Ticket>(
        [base = settings.serial_base](std::int64_t sequence) {
          return SyntheticTicket(base + sequence);
        },
        &helpdesk::v1::TicketService::Stub::PrepareAsyncCreateTicket);
  }
  if (settings.scenario == "create-customer-ticket") {
    auto dice = std::make_shared<std::mt19937_64>(13);
    return UnaryFactory<helpdesk::v1::CreateTicketRequest, helpdesk::v1::Ticket>(
        [dice, base = settings.serial_base, max_id = settings.max_id](std::int64_t sequence) {
          // Partner serials 0..max-id - 1: the rows bench/run imported.
          return SyntheticCustomerTicket(
              base + sequence,
              static_cast<std::int64_t>((*dice)() % static_cast<std::uint64_t>(max_id)));
        },
        &helpdesk::v1::TicketService::Stub::PrepareAsyncCreateTicket);
  }
  if (settings.scenario == "kb-search") {
    return UnaryFactory<helpdesk::v1::SearchArticlesRequest, helpdesk::v1::SearchArticlesResponse>(
        SyntheticSearch, &helpdesk::v1::KnowledgeBaseService::Stub::PrepareAsyncSearchArticles);
  }
  throw CLI::ValidationError("--scenario",
                             "one of create, get, list, search, send-email, issue-invoice, "
                             "create-ticket, create-customer-ticket, kb-search");
}

int ReportErrors(const LoadResult& result) {
  for (const auto& [code, entry] : result.errors_by_code) {
    std::cerr << fmt::format("karton_load: {} calls failed with status {}: {}\n", entry.first, code,
                             entry.second);
  }
  return result.errors == 0 ? 0 : 1;
}

// IssueInvoice of drafts made beforehand (issue_invoice.h); the line adds
// the setup's figures.
int IssueInvoice(const LoadOptions& options, const CallSettings& settings) {
  const IssueInvoiceRun run = RunIssueInvoice(options, settings.max_id);
  const LoadResult& result = run.issued;
  std::cout << fmt::format(
      "scenario={} concurrency={} connections={} seconds={:.3f} calls={} rate={:.1f} "
      "p50_ms={:.3f} p95_ms={:.3f} p99_ms={:.3f} max_ms={:.3f} errors={} warmup_issued={} "
      "warmup_per_s={:.1f} drafts={} drafts_s={:.3f} ran_out={}\n",
      settings.scenario, options.concurrency, options.connections, result.seconds, result.calls,
      result.rate(), result.p50_ms, result.p95_ms, result.p99_ms, result.max_ms, result.errors,
      run.warmup_issued, run.warmup_rate, run.drafts, run.drafts_seconds, result.ran_out ? 1 : 0);
  return ReportErrors(result);
}

// An interval's line (--interval-seconds), written at once.
void PrintInterval(const IntervalResult& interval) {
  std::cout << fmt::format(
                   "interval={} end_s={:.3f} seconds={:.3f} calls={} rate={:.1f} p50_ms={:.3f} "
                   "p95_ms={:.3f} p99_ms={:.3f} max_ms={:.3f} errors={}\n",
                   interval.number, interval.end_seconds, interval.seconds, interval.calls,
                   interval.rate(), interval.p50_ms, interval.p95_ms, interval.p99_ms,
                   interval.max_ms, interval.errors)
            << std::flush;
}

int Call(LoadOptions options, const CallSettings& settings) {
  if (settings.scenario == "issue-invoice") return IssueInvoice(options, settings);
  const bool by_interval = options.interval.count() > 0;
  if (by_interval) options.on_interval = PrintInterval;
  const LoadResult result = RunClosedLoop(options, FactoryFor(settings));
  std::cout << fmt::format(
      "scenario={} concurrency={} connections={} seconds={:.3f} calls={} rate={:.1f} "
      "p50_ms={:.3f} p95_ms={:.3f} p99_ms={:.3f} max_ms={:.3f} errors={}",
      settings.scenario, options.concurrency, options.connections, result.seconds, result.calls,
      result.rate(), result.p50_ms, result.p95_ms, result.p99_ms, result.max_ms, result.errors);
  if (by_interval) std::cout << fmt::format(" accepted={}", result.succeeded);
  std::cout << "\n";
  return ReportErrors(result);
}

// The events part of bench/soak (event_stream.h).
int Events(EventStreamOptions options) {
  options.on_interval = PrintInterval;
  const EventStreamResult result = RunEventStream(options);
  std::cout << fmt::format(
      "scenario=events seconds={:.3f} events={} rate={:.1f} p50_ms={:.3f} p95_ms={:.3f} "
      "p99_ms={:.3f} max_ms={:.3f} duplicates={} last_event_id={} drain_s={:.3f} errors={}\n",
      result.seconds, result.events,
      result.seconds > 0 ? static_cast<double>(result.events) / result.seconds : 0, result.p50_ms,
      result.p95_ms, result.p99_ms, result.max_ms, result.duplicates, result.last_event_id,
      result.drain_seconds, result.errors);
  for (const auto& [code, entry] : result.errors_by_code) {
    std::cerr << fmt::format("karton_load: the stream ended {} times with status {}: {}\n",
                             entry.first, code, entry.second);
  }
  return result.errors == 0 && result.duplicates == 0 ? 0 : 1;
}

// The raw side of the email scenario: the same emails straight to the SMTP
// server.
int Smtp(const SmtpOptions& options, std::int64_t serial_base) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const LoadResult result = RunSmtpLoop(options, [&](std::int64_t sequence) {
    return BenchMime(serial_base + sequence, options.from);
  });
  curl_global_cleanup();
  std::cout << fmt::format(
      "scenario=smtp concurrency={} seconds={:.3f} calls={} rate={:.1f} p50_ms={:.3f} "
      "p95_ms={:.3f} p99_ms={:.3f} max_ms={:.3f} errors={}\n",
      options.concurrency, result.seconds, result.calls, result.rate(), result.p50_ms,
      result.p95_ms, result.p99_ms, result.max_ms, result.errors);
  for (const auto& [code, entry] : result.errors_by_code) {
    std::cerr << fmt::format("karton_load: {} messages failed with libcurl error {}: {}\n",
                             entry.first, code, entry.second);
  }
  return result.errors == 0 ? 0 : 1;
}

// Creates partners one at a time and times each until its
// partners.partner.created event arrives on a Subscribe stream.
int EventLatency(const LoadOptions& options, int samples, std::int64_t after_event_id,
                 std::int64_t serial_base) {
  auto channel = grpc::CreateChannel(options.server, grpc::InsecureChannelCredentials());
  auto events = kernel::v1::EventService::NewStub(channel);
  auto partners_stub = pv1::PartnerService::NewStub(channel);

  std::mutex mutex;
  std::condition_variable arrived;
  std::map<std::int64_t, std::chrono::steady_clock::time_point> arrivals;  // aggregate id
  grpc::ClientContext stream_context;
  stream_context.AddMetadata("authorization", "Bearer " + options.token);
  kernel::v1::SubscribeRequest subscribe;
  subscribe.add_topics("partners.partner.created");
  subscribe.set_after_event_id(after_event_id);
  auto stream = events->Subscribe(&stream_context, subscribe);
  std::thread reader([&] {
    kernel::v1::Event event;
    while (stream->Read(&event)) {
      const auto now = std::chrono::steady_clock::now();
      std::lock_guard lock(mutex);
      arrivals.emplace(event.aggregate_id(), now);
      arrived.notify_all();
    }
  });

  LoadResult result;
  std::vector<double> millis;
  for (int i = 0; i < samples; ++i) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + options.token);
    pv1::CreatePartnerRequest request;
    *request.mutable_partner() = SyntheticPartner(serial_base + i);
    pv1::Partner created;
    const auto start = std::chrono::steady_clock::now();
    const grpc::Status status = partners_stub->CreatePartner(&context, request, &created);
    if (!status.ok()) {
      ++result.errors;
      auto& entry = result.errors_by_code[static_cast<int>(status.error_code())];
      if (entry.first++ == 0) entry.second = status.error_message();
      continue;
    }
    std::unique_lock lock(mutex);
    if (!arrived.wait_for(lock, std::chrono::seconds(10),
                          [&] { return arrivals.count(created.id()) > 0; })) {
      ++result.errors;
      auto& entry = result.errors_by_code[static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED)];
      if (entry.first++ == 0) entry.second = "no event within 10 s";
      continue;
    }
    millis.push_back(
        std::chrono::duration<double, std::milli>(arrivals[created.id()] - start).count());
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // latency, not throughput
  }
  stream_context.TryCancel();
  reader.join();
  result.calls = static_cast<std::int64_t>(millis.size());
  Summarise(millis, result);
  std::cout << fmt::format(
      "scenario=event_latency samples={} p50_ms={:.3f} p95_ms={:.3f} p99_ms={:.3f} "
      "max_ms={:.3f} errors={}\n",
      result.calls, result.p50_ms, result.p95_ms, result.p99_ms, result.max_ms, result.errors);
  return ReportErrors(result);
}

}  // namespace
}  // namespace karton::bench

int main(int argc, char** argv) {
  using namespace karton::bench;
  CLI::App app("karton_load: the client half of bench/run");
  app.require_subcommand(1);

  std::int64_t rows = 1000000;
  std::int64_t first = 0;
  std::string out = "partners.csv";
  auto* generate = app.add_subcommand("generate", "Write a partner CSV for ImportPartners");
  generate->add_option("--rows", rows)->capture_default_str();
  generate->add_option("--out", out)->capture_default_str();
  generate
      ->add_option("--first", first,
                   "numbers the rows (ERP id, tax number, email) from here, so a second import "
                   "brings new partners")
      ->capture_default_str();

  LoadOptions options;
  CallSettings settings;
  double warmup_seconds = 2, seconds = 10;
  auto add_connection_options = [&](CLI::App* command) {
    command->add_option("--server", options.server)->required();
    command->add_option("--token", options.token)->required();
    command
        ->add_option("--serial-base", settings.serial_base,
                     "numbers new partners from here, so runs do not collide")
        ->capture_default_str();
  };
  auto* call = app.add_subcommand("call", "A closed loop of one kind of call");
  add_connection_options(call);
  call->add_option("--scenario", settings.scenario,
                   "create, get, list, search, send-email, issue-invoice, create-ticket, "
                   "create-customer-ticket or kb-search")
      ->required();
  call->add_option("--concurrency", options.concurrency)->capture_default_str();
  call->add_option("--connections", options.connections)->capture_default_str();
  call->add_option("--warmup-seconds", warmup_seconds)->capture_default_str();
  call->add_option("--seconds", seconds)->capture_default_str();
  call->add_option("--max-id", settings.max_id,
                   "GetPartner (and issue-invoice's drafts) pick partner ids in 1..max-id; "
                   "create-customer-ticket the generated partners 0..max-id - 1")
      ->capture_default_str();
  call->add_option("--calls", options.calls,
                   "Exactly this many calls, all counted, instead of warm-up and duration")
      ->check(CLI::PositiveNumber);
  double interval_seconds = 0;
  call->add_option("--interval-seconds", interval_seconds,
                   "Also a line per interval of this many seconds (bench/soak)")
      ->check(CLI::NonNegativeNumber);

  SmtpOptions smtp_options;
  smtp_options.from = "bench@example.com";
  std::int64_t smtp_serial_base = 10000000;
  auto* smtp = app.add_subcommand("smtp", "The same emails as send-email, straight to SMTP");
  smtp->add_option("--url", smtp_options.url, "smtp://host:port")->required();
  smtp->add_option("--from", smtp_options.from, "The envelope sender")->capture_default_str();
  smtp->add_option("--messages", smtp_options.messages)->check(CLI::PositiveNumber)->required();
  smtp->add_option("--concurrency", smtp_options.concurrency, "Threads, each one connection")
      ->capture_default_str();
  smtp->add_option("--serial-base", smtp_serial_base, "bench<n>@example.com counts from here")
      ->capture_default_str();

  int samples = 200;
  std::int64_t after_event_id = 0;
  auto* latency = app.add_subcommand("event-latency", "CreatePartner to its event on a stream");
  add_connection_options(latency);
  latency->add_option("--samples", samples)->capture_default_str();
  latency->add_option("--after-event-id", after_event_id, "the stream starts after this event")
      ->capture_default_str();

  EventStreamOptions stream_options;
  double stream_seconds = 60, stream_interval = 10, idle_seconds = 5;
  auto* events = app.add_subcommand("events", "One Subscribe stream for a time (bench/soak)");
  events->add_option("--server", stream_options.server)->required();
  events->add_option("--token", stream_options.token)->required();
  events->add_option("--topic", stream_options.topics, "Topic patterns")->required();
  events->add_option("--after-event-id", stream_options.after_event_id)->capture_default_str();
  events->add_option("--seconds", stream_seconds)->capture_default_str();
  events->add_option("--interval-seconds", stream_interval)
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  events->add_option("--idle-seconds", idle_seconds, "After the time, read until this long quiet")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto millis = [](double s) {
    return std::chrono::milliseconds(static_cast<long>(s * 1000));
  };
  options.interval = millis(interval_seconds);
  stream_options.duration = millis(stream_seconds);
  stream_options.interval = millis(stream_interval);
  stream_options.idle = millis(idle_seconds);

  options.warmup = std::chrono::milliseconds(static_cast<long>(warmup_seconds * 1000));
  options.duration = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  try {
    if (generate->parsed()) {
      if (WritePartnerCsv(rows, out, first)) return 0;
      std::cerr << "karton_load: cannot write " << out << "\n";
      return 1;
    }
    if (call->parsed()) return Call(options, settings);
    if (smtp->parsed()) return Smtp(smtp_options, smtp_serial_base);
    if (events->parsed()) return Events(stream_options);
    return EventLatency(options, samples, after_event_id, settings.serial_base);
  } catch (const std::exception& error) {
    std::cerr << "karton_load: " << error.what() << "\n";
    return 1;
  }
}
