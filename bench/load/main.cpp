// karton_load: the client half of bench/run (docs/performance.md).
//
//   karton_load generate --rows 1000000 --out partners.csv
//   karton_load call --scenario get --concurrency 16 --seconds 10 --max-id 1000000 ...
//       a closed loop of CreatePartner, GetPartner, ListPartners (first page)
//       or SearchPartners (3-letter fragments) over async gRPC
//   karton_load event-latency --samples 200 --after-event-id N ...
//       CreatePartner, one at a time, to the partner's event arriving on a
//       Subscribe stream
//
// Results go to stdout as one line of key=value pairs for the script; errors
// go to stderr, by status code, and make the exit status 1.
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
#include "karton/kernel/v1/event_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "partner_data.h"

namespace karton::bench {
namespace {

namespace pv1 = partners::v1;

struct CallSettings {
  std::string scenario;
  std::int64_t max_id = 1;
  std::int64_t serial_base = 10000000;
};

// A factory of unary calls: `request_for(sequence)` builds each request,
// `method` is the stub's PrepareAsync<Method>.
template <class Request, class Response>
CallFactory UnaryFactory(std::function<Request(std::int64_t)> request_for,
                         std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> (
                             pv1::PartnerService::Stub::*method)(grpc::ClientContext*,
                                                                 const Request&,
                                                                 grpc::CompletionQueue*)) {
  return [request_for, method](const std::shared_ptr<grpc::Channel>& channel,
                               std::unique_ptr<grpc::ClientContext> context,
                               std::int64_t sequence) -> std::unique_ptr<PendingCall> {
    // Stubs are cheap; the channel (the connection) is what is shared.
    std::shared_ptr<pv1::PartnerService::Stub> stub = pv1::PartnerService::NewStub(channel);
    return std::make_unique<UnaryCall<Response>>(
        std::move(context), [stub, method, request = request_for(sequence)](
                                grpc::ClientContext* c, grpc::CompletionQueue* q) {
          return ((*stub).*method)(c, request, q);
        });
  };
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
  throw CLI::ValidationError("--scenario", "one of create, get, list, search");
}

int ReportErrors(const LoadResult& result) {
  for (const auto& [code, entry] : result.errors_by_code) {
    std::cerr << fmt::format("karton_load: {} calls failed with status {}: {}\n", entry.first, code,
                             entry.second);
  }
  return result.errors == 0 ? 0 : 1;
}

int Call(const LoadOptions& options, const CallSettings& settings) {
  const LoadResult result = RunClosedLoop(options, FactoryFor(settings));
  std::cout << fmt::format(
      "scenario={} concurrency={} connections={} seconds={:.1f} calls={} rate={:.1f} "
      "p50_ms={:.3f} p95_ms={:.3f} p99_ms={:.3f} max_ms={:.3f} errors={}\n",
      settings.scenario, options.concurrency, options.connections, result.seconds, result.calls,
      result.rate(), result.p50_ms, result.p95_ms, result.p99_ms, result.max_ms, result.errors);
  return ReportErrors(result);
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
  std::string out = "partners.csv";
  auto* generate = app.add_subcommand("generate", "Write a partner CSV for ImportPartners");
  generate->add_option("--rows", rows)->capture_default_str();
  generate->add_option("--out", out)->capture_default_str();

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
  call->add_option("--scenario", settings.scenario, "create, get, list or search")->required();
  call->add_option("--concurrency", options.concurrency)->capture_default_str();
  call->add_option("--connections", options.connections)->capture_default_str();
  call->add_option("--warmup-seconds", warmup_seconds)->capture_default_str();
  call->add_option("--seconds", seconds)->capture_default_str();
  call->add_option("--max-id", settings.max_id, "GetPartner picks ids in 1..max-id")
      ->capture_default_str();

  int samples = 200;
  std::int64_t after_event_id = 0;
  auto* latency = app.add_subcommand("event-latency", "CreatePartner to its event on a stream");
  add_connection_options(latency);
  latency->add_option("--samples", samples)->capture_default_str();
  latency->add_option("--after-event-id", after_event_id, "the stream starts after this event")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  options.warmup = std::chrono::milliseconds(static_cast<long>(warmup_seconds * 1000));
  options.duration = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  try {
    if (generate->parsed()) {
      if (WritePartnerCsv(rows, out)) return 0;
      std::cerr << "karton_load: cannot write " << out << "\n";
      return 1;
    }
    if (call->parsed()) return Call(options, settings);
    return EventLatency(options, samples, after_event_id, settings.serial_base);
  } catch (const std::exception& error) {
    std::cerr << "karton_load: " << error.what() << "\n";
    return 1;
  }
}
