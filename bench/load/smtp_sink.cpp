// karton_smtp_sink: a small, fast SMTP server that accepts every message and
// keeps none, for bench/run's email scenario (docs/performance.md).
//
//   karton_smtp_sink [--listen 127.0.0.1] [--port 0] [--count-file PATH] [--threads 1]
//
// Once it accepts connections it prints "port=<n>" on a line of its own to
// stdout (port 0, the default, picks a free one). It runs until SIGTERM or
// SIGINT.
//
// The count: with --count-file, the file is replaced (written beside it,
// then renamed, so a reader never sees half a line) every 100 ms and once
// more on exit with one line of key=value pairs:
//
//   messages=<accepted> connections=<accepted> bytes=<DATA bytes> first=<s> last=<s>
//   unique_ids=<distinct Message-IDs> repeated_ids=<messages whose Message-ID came before>
//
// `first` and `last` are the Unix times (seconds, microsecond decimals) the
// first and the latest message were accepted, 0 before any. A message
// delivered twice has the same Message-ID both times, so `repeated_ids`
// counts duplicate deliveries (messages without the header are not counted
// in either).
//
// The dialogue: 220 greeting; EHLO (multi-line 250: PIPELINING, 8BITMIME)
// or HELO 250; MAIL, RCPT, RSET, NOOP 250; DATA 354, then everything up to
// the line holding a single "." (a stuffed ".." line is data), then 250 and
// the message counts; QUIT 221 and the connection closes. MAIL before RCPT
// before DATA is enforced (503 otherwise); anything else is 502. A
// connection carries any number of messages, and pipelined commands are
// answered in order (replies are sent when the input runs dry). Lines are
// split on LF with an optional CR before it, across reads.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <thread>
#include <vector>

namespace karton::bench {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);

// A line longer than this is not SMTP: the connection is dropped.
constexpr std::size_t kMaxPendingBytes = 4 << 20;

struct Counters {
  std::atomic<std::int64_t> messages{0};
  // Message-IDs seen: a message delivered twice shows as `repeated`
  // (bench/soak tells a duplicate delivery from one still in flight).
  std::mutex ids_mutex;
  std::unordered_set<std::string> ids;
  std::int64_t repeated = 0;  // under ids_mutex
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::int64_t> bytes{0};
  std::atomic<std::int64_t> first_us{0};  // Unix time in microseconds
  std::atomic<std::int64_t> last_us{0};

  void Accepted(std::int64_t message_bytes, const std::string& message_id) {
    if (!message_id.empty()) {
      std::lock_guard lock(ids_mutex);
      if (!ids.insert(message_id).second) ++repeated;
    }
    const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    std::int64_t unset = 0;
    first_us.compare_exchange_strong(unset, now);
    std::int64_t last = last_us.load();
    while (last < now && !last_us.compare_exchange_weak(last, now)) {
    }
    bytes += message_bytes;
    ++messages;  // last, so a reader that sees the count sees its time too
  }

  std::string Line() {
    const std::int64_t count = messages.load();
    std::size_t unique = 0;
    std::int64_t repeats = 0;
    {
      std::lock_guard lock(ids_mutex);
      unique = ids.size();
      repeats = repeated;
    }
    return fmt::format(
        "messages={} connections={} bytes={} first={:.6f} last={:.6f} unique_ids={} "
        "repeated_ids={}\n",
        count, connections.load(), bytes.load(), static_cast<double>(first_us.load()) / 1e6,
        static_cast<double>(last_us.load()) / 1e6, unique, repeats);
  }
};

void WriteCount(const std::string& path, Counters& counters) {
  if (path.empty()) return;
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << counters.Line();
    if (!out) return;  // a full disk: the previous count stays
  }
  std::rename(temporary.c_str(), path.c_str());
}

bool StartsWithCommand(std::string_view line, std::string_view verb) {
  if (line.size() < verb.size()) return false;
  for (std::size_t i = 0; i < verb.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(line[i])) != verb[i]) return false;
  }
  return line.size() == verb.size() || line[verb.size()] == ' ' || line[verb.size()] == ':';
}

// One SMTP session's state between lines.
class Dialogue {
 public:
  explicit Dialogue(Counters& counters) : counters_(counters) {}

  // Handles one line (without its line end), appending replies to `out`.
  // False once the client said QUIT.
  bool Line(std::string_view line, std::string& out) {
    if (in_data_) {
      if (line == ".") {
        in_data_ = false;
        counters_.Accepted(data_bytes_, message_id_);
        Reset();
        out += "250 2.0.0 Ok: queued\r\n";
      } else {
        data_bytes_ += static_cast<std::int64_t>(line.size()) + 2;
        if (line.empty()) in_headers_ = false;
        if (in_headers_ && StartsWithCommand(line, "MESSAGE-ID")) {
          std::string_view value = line.substr(std::string_view("Message-ID:").size());
          while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
          message_id_ = std::string(value);
        }
      }
      return true;
    }
    if (StartsWithCommand(line, "EHLO")) {
      Reset();
      out += "250-karton-smtp-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n";
    } else if (StartsWithCommand(line, "HELO")) {
      Reset();
      out += "250 karton-smtp-sink\r\n";
    } else if (StartsWithCommand(line, "MAIL")) {
      Reset();
      have_sender_ = true;
      out += "250 2.1.0 Ok\r\n";
    } else if (StartsWithCommand(line, "RCPT")) {
      if (!have_sender_) {
        out += "503 5.5.1 MAIL first\r\n";
      } else {
        ++recipients_;
        out += "250 2.1.5 Ok\r\n";
      }
    } else if (StartsWithCommand(line, "DATA")) {
      if (recipients_ == 0) {
        out += "503 5.5.1 RCPT first\r\n";
      } else {
        in_data_ = true;
        in_headers_ = true;
        message_id_.clear();
        data_bytes_ = 0;
        out += "354 End data with <CR><LF>.<CR><LF>\r\n";
      }
    } else if (StartsWithCommand(line, "RSET")) {
      Reset();
      out += "250 2.0.0 Ok\r\n";
    } else if (StartsWithCommand(line, "NOOP")) {
      out += "250 2.0.0 Ok\r\n";
    } else if (StartsWithCommand(line, "QUIT")) {
      out += "221 2.0.0 Bye\r\n";
      return false;
    } else {
      out += "502 5.5.2 Command not recognised\r\n";
    }
    return true;
  }

 private:
  void Reset() {
    have_sender_ = false;
    recipients_ = 0;
  }

  Counters& counters_;
  bool in_data_ = false;
  bool in_headers_ = false;
  std::string message_id_;
  bool have_sender_ = false;
  int recipients_ = 0;
  std::int64_t data_bytes_ = 0;
};

asio::awaitable<void> Session(tcp::socket socket, Counters& counters) {
  Dialogue dialogue(counters);
  std::string in;  // received, not yet handled: at most one partial line
  std::string out = "220 karton-smtp-sink ESMTP\r\n";
  std::vector<char> chunk(64 * 1024);
  for (;;) {
    bool open = true;
    std::size_t consumed = 0;
    while (open) {
      const std::size_t end = in.find('\n', consumed);
      if (end == std::string::npos) break;
      std::string_view line(in.data() + consumed, end - consumed);
      consumed = end + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      open = dialogue.Line(line, out);
    }
    in.erase(0, consumed);
    // Replies go when the input runs dry: pipelined commands get theirs in
    // one write, and a client waiting for one always gets it.
    if (!out.empty()) {
      auto [error, written] = co_await asio::async_write(socket, asio::buffer(out), kAwaitable);
      if (error) co_return;
      out.clear();
    }
    if (!open || in.size() > kMaxPendingBytes) break;
    auto [error, n] = co_await socket.async_read_some(asio::buffer(chunk), kAwaitable);
    if (error) co_return;  // the client hung up (or reset)
    in.append(chunk.data(), n);
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

asio::awaitable<void> AcceptLoop(tcp::acceptor& acceptor, Counters& counters) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(kAwaitable);
    if (error == asio::error::operation_aborted) co_return;
    if (error) {
      // EMFILE and the like: wait instead of spinning.
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(10));
      co_await pause.async_wait(kAwaitable);
      continue;
    }
    ++counters.connections;
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const auto executor = socket.get_executor();
    asio::co_spawn(executor, Session(std::move(socket), counters), asio::detached);
  }
}

asio::awaitable<void> CountLoop(const std::string& path, Counters& counters) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    WriteCount(path, counters);
    timer.expires_after(std::chrono::milliseconds(100));
    auto [error] = co_await timer.async_wait(kAwaitable);
    if (error) co_return;
  }
}

}  // namespace
}  // namespace karton::bench

int main(int argc, char** argv) {
  using namespace karton::bench;
  CLI::App app("karton_smtp_sink: accepts and counts every message (bench/run)");
  std::string listen = "127.0.0.1", count_file;
  unsigned short port = 0;
  int threads = 1;
  app.add_option("--listen", listen, "Address to listen on")->capture_default_str();
  app.add_option("--port", port, "Port to listen on; 0 picks a free one")->capture_default_str();
  app.add_option("--count-file", count_file,
                 "Rewritten every 100 ms with messages=... connections=... bytes=... first=... "
                 "last=...");
  app.add_option("--threads", threads, "Event-loop threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    Counters counters;  // outlives the coroutines the io_context may still hold
    asio::io_context io(threads);
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(listen), port));
    acceptor.listen(asio::socket_base::max_listen_connections);
    asio::co_spawn(io, AcceptLoop(acceptor, counters), asio::detached);
    asio::co_spawn(io, CountLoop(count_file, counters), asio::detached);
    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    std::cout << "port=" << acceptor.local_endpoint().port() << std::endl;

    std::vector<std::thread> workers;
    for (int i = 1; i < threads; ++i) workers.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& worker : workers) worker.join();
    WriteCount(count_file, counters);
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "karton_smtp_sink: " << error.what() << "\n";
    return 1;
  }
}
