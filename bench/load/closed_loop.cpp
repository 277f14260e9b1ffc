#include "closed_loop.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

namespace karton::bench {

using Clock = std::chrono::steady_clock;

namespace {

template <class Result>
void SummariseInto(std::vector<double>& millis, Result& result) {
  if (millis.empty()) return;
  std::sort(millis.begin(), millis.end());
  auto at = [&](double q) {
    return millis[std::min(millis.size() - 1, static_cast<std::size_t>(q * millis.size()))];
  };
  result.p50_ms = at(0.50);
  result.p95_ms = at(0.95);
  result.p99_ms = at(0.99);
  result.max_ms = millis.back();
}

}  // namespace

void Summarise(std::vector<double>& millis, LoadResult& result) { SummariseInto(millis, result); }
void Summarise(std::vector<double>& millis, IntervalResult& result) {
  SummariseInto(millis, result);
}

LoadResult RunClosedLoop(const LoadOptions& options, const CallFactory& make_call) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < std::max(1, options.connections); ++i) {
    grpc::ChannelArguments arguments;
    // Without this, channels with equal arguments share one connection.
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    arguments.SetInt("karton.bench.connection", i);
    channels.push_back(
        grpc::CreateCustomChannel(options.server, grpc::InsecureChannelCredentials(), arguments));
  }
  for (const auto& channel : channels) {
    channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  struct Slot {
    std::unique_ptr<PendingCall> call;
    Clock::time_point start;
  };
  const bool by_count = options.calls > 0;
  const bool limited = !by_count && options.most_calls > 0;
  std::int64_t in_parallel = std::max(1, options.concurrency);
  if (by_count) in_parallel = std::min(in_parallel, options.calls);
  if (limited) in_parallel = std::min(in_parallel, options.most_calls);
  std::vector<Slot> slots(static_cast<std::size_t>(in_parallel));
  grpc::CompletionQueue queue;
  std::int64_t sequence = 0;
  auto start_call = [&](std::size_t index) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + options.token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    Slot& slot = slots[index];
    slot.call = make_call(channels[index % channels.size()], std::move(context), sequence++);
    slot.start = Clock::now();
    slot.call->Start(queue, reinterpret_cast<void*>(index));
  };

  const Clock::time_point begin = Clock::now();
  const Clock::time_point counted_from = by_count ? begin : begin + options.warmup;
  const Clock::time_point end =
      by_count ? Clock::time_point::max() : counted_from + options.duration;
  Clock::time_point last_end = begin;

  // Intervals (options.interval > 0, by time): the one being filled, closed
  // and reported once a call ends past it (empty ones too) and at the end.
  const bool by_interval = !by_count && options.interval.count() > 0 && options.on_interval;
  IntervalResult interval;
  interval.number = 1;
  std::vector<double> interval_millis;
  auto interval_end = [&] {
    return std::min(end, counted_from + interval.number * options.interval);
  };
  auto close_interval = [&] {
    const Clock::time_point closes = interval_end();
    interval.end_seconds = std::chrono::duration<double>(closes - counted_from).count();
    interval.seconds =
        interval.end_seconds -
        std::chrono::duration<double>((interval.number - 1) * options.interval).count();
    interval.calls = static_cast<std::int64_t>(interval_millis.size());
    Summarise(interval_millis, interval);
    options.on_interval(interval);
    interval = IntervalResult{.number = interval.number + 1};
    interval_millis.clear();
  };

  for (std::size_t i = 0; i < slots.size(); ++i) start_call(i);
  std::size_t in_flight = slots.size();

  LoadResult result;
  std::vector<double> millis;
  void* tag = nullptr;
  bool ok = false;
  while (in_flight > 0 && queue.Next(&tag, &ok)) {
    const auto index = reinterpret_cast<std::size_t>(tag);
    const Clock::time_point now = Clock::now();
    last_end = now;
    Slot& slot = slots[index];
    const bool counted = slot.start >= counted_from && now <= end;
    const grpc::Status& status = slot.call->status();
    if (by_interval) {
      while (interval_end() < end && now >= interval_end()) close_interval();
    }
    const bool in_an_interval = by_interval && now >= counted_from && now <= end;
    if (!ok || !status.ok()) {
      // Errors count wherever they happen, warm-up included.
      ++result.errors;
      auto& entry = result.errors_by_code[static_cast<int>(status.error_code())];
      if (entry.first++ == 0) entry.second = status.error_message();
      if (in_an_interval) ++interval.errors;
    } else {
      slot.call->Succeeded();
      ++result.succeeded;
      const double ms = std::chrono::duration<double, std::milli>(now - slot.start).count();
      if (counted) millis.push_back(ms);
      if (in_an_interval) interval_millis.push_back(ms);
    }
    if (by_count ? sequence < options.calls
                 : now < end && (!limited || sequence < options.most_calls)) {
      start_call(index);
    } else {
      slot.call.reset();
      --in_flight;
    }
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (by_interval) {
    // The rest of the intervals up to the end, empty ones included.
    for (;;) {
      const bool last = interval_end() >= end;
      close_interval();
      if (last) break;
    }
  }
  result.calls = static_cast<std::int64_t>(millis.size());
  result.seconds = by_count ? std::chrono::duration<double>(last_end - begin).count()
                            : std::chrono::duration<double>(options.duration).count();
  if (limited && last_end < end) {
    // Every call there was to make has been made before the time was up.
    result.ran_out = true;
    result.seconds = std::max(0.0, std::chrono::duration<double>(last_end - counted_from).count());
  }
  Summarise(millis, result);
  return result;
}

namespace {

struct Upload {
  const std::string* data = nullptr;
  std::size_t sent = 0;
};

std::size_t ReadUpload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->data->size() - upload->sent);
  std::memcpy(buffer, upload->data->data() + upload->sent, n);
  upload->sent += n;
  return n;
}

}  // namespace

LoadResult RunSmtpLoop(const SmtpOptions& options,
                       const std::function<SmtpMessage(std::int64_t)>& message_for) {
  std::atomic<std::int64_t> next{0};
  std::mutex mutex;  // guards result and millis
  LoadResult result;
  std::vector<double> millis;
  const std::string envelope_from = fmt::format("<{}>", options.from);

  auto sender = [&] {
    // One easy handle per thread: libcurl keeps its connection open between
    // transfers to the same server, so each thread is one SMTP session.
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(),
                                                               &curl_easy_cleanup);
    char error_buffer[CURL_ERROR_SIZE] = {};
    CURL* curl = handle.get();
    curl_easy_setopt(curl, CURLOPT_URL, options.url.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, envelope_from.c_str());
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadUpload);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    std::vector<double> mine;
    for (;;) {
      const std::int64_t sequence = next++;
      if (sequence >= options.messages) break;
      const SmtpMessage message = message_for(sequence);
      std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(
          curl_slist_append(nullptr, fmt::format("<{}>", message.to).c_str()),
          &curl_slist_free_all);
      Upload upload{&message.mime};
      curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients.get());
      curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(message.mime.size()));
      error_buffer[0] = '\0';
      const Clock::time_point start = Clock::now();
      const CURLcode code = curl_easy_perform(curl);
      if (code == CURLE_OK) {
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        continue;
      }
      long reply = 0;
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
      std::lock_guard lock(mutex);
      ++result.errors;
      auto& entry = result.errors_by_code[static_cast<int>(code)];
      if (entry.first++ == 0) {
        entry.second = fmt::format("{} (SMTP reply {}): {}", curl_easy_strerror(code), reply,
                                   error_buffer[0] != '\0' ? error_buffer : "no detail");
      }
    }
    std::lock_guard lock(mutex);
    millis.insert(millis.end(), mine.begin(), mine.end());
  };

  const Clock::time_point begin = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, options.concurrency); ++i) threads.emplace_back(sender);
  for (auto& thread : threads) thread.join();
  // Each thread's QUIT is part of the time: the sink has every message once
  // the threads are through.
  result.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  result.calls = static_cast<std::int64_t>(millis.size());
  Summarise(millis, result);
  return result;
}

}  // namespace karton::bench
