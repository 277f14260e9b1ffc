#include "nav_stand_in.h"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "nav/libxml.h"
#include "nav/manage_invoice.h"
#include "nav/nav_api.h"
#include "nav/nav_schemas.h"

namespace karton::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
namespace nav = invoicing::nav;
namespace xml = invoicing::nav::xml;

constexpr char kApiNamespace[] = "http://schemas.nav.gov.hu/OSA/3.0/api";
constexpr char kCommonNamespace[] = "http://schemas.nav.gov.hu/NTCA/1.0/common";
constexpr char kPrefix[] = "/invoiceService/v3/";

bool Named(const xmlNode* node, const char* name) {
  return node->type == XML_ELEMENT_NODE && xmlStrcmp(node->name, BAD_CAST name) == 0;
}

const xmlNode* Find(const xmlNode* node, const char* name) {
  for (; node; node = node->next) {
    if (Named(node, name)) return node;
    if (const xmlNode* found = Find(node->children, name)) return found;
  }
  return nullptr;
}

std::vector<const xmlNode*> FindAll(const xmlNode* node, const char* name) {
  std::vector<const xmlNode*> found;
  for (; node; node = node->next) {
    if (Named(node, name)) found.push_back(node);
    auto below = FindAll(node->children, name);
    found.insert(found.end(), below.begin(), below.end());
  }
  return found;
}

std::string TextOf(const xmlNode* node) {
  if (!node) return "";
  xmlChar* content = xmlNodeGetContent(node);
  std::string text = content ? reinterpret_cast<const char*>(content) : "";
  xmlFree(content);
  return text;
}

std::string Text(const xmlNode* root, const char* name) { return TextOf(Find(root, name)); }

std::string Now() {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.000Z", now);
}

// An answer of NAV's shape: header, result, software, then `body`.
struct Answer {
  int status = 200;
  std::string xml;
};

class ResponseWriter {
 public:
  ResponseWriter(const char* root, const std::string& request_id, const char* func_code,
                 const std::string& error_code = "", const std::string& message = "") {
    writer_.Start(root);
    writer_.Attribute("xmlns", kApiNamespace);
    writer_.Attribute("xmlns:common", kCommonNamespace);
    writer_.Start("common:header");
    writer_.Element("common:requestId", request_id.empty() ? "UNKNOWN" : request_id);
    writer_.Element("common:timestamp", Now());
    writer_.Element("common:requestVersion", "3.0");
    writer_.Element("common:headerVersion", "1.0");
    writer_.End();
    writer_.Start("common:result");
    writer_.Element("common:funcCode", func_code);
    if (!error_code.empty()) writer_.Element("common:errorCode", error_code);
    if (!message.empty()) writer_.Element("common:message", message);
    writer_.End();
    writer_.Start("software");
    writer_.Element("softwareId", "HU00000000NAVSTAND");
    writer_.Element("softwareName", "NAV stand-in");
    writer_.Element("softwareOperation", "ONLINE_SERVICE");
    writer_.Element("softwareMainVersion", "3.0");
    writer_.Element("softwareDevName", "Karton tests");
    writer_.Element("softwareDevContact", "tests@karton.example");
    writer_.End();
  }
  xml::Writer& writer() { return writer_; }
  std::string Finish() && {
    writer_.End();
    return std::move(writer_).Finish();
  }

 private:
  xml::Writer writer_;
};

Answer Error(int status, const std::string& request_id, const std::string& code,
             const std::string& message) {
  ResponseWriter writer("GeneralErrorResponse", request_id, "ERROR", code, message);
  return {status, std::move(writer).Finish()};
}

struct Transaction {
  std::vector<std::size_t> reports;  // indexes into State::reports
  // Per report: empty when accepted, else the error code and message.
  std::vector<std::pair<std::string, std::string>> rejections;
  int polls = 0;
};

}  // namespace

struct NavStandIn::State {
  NavStandInUser user;
  asio::io_context io;
  std::optional<tcp::acceptor> acceptor;
  unsigned short port = 0;
  std::thread thread;

  mutable std::mutex mutex;
  std::string reject_code, reject_message;
  int outage = 0;
  int processing_polls = 0;
  std::set<std::string> tokens;
  std::vector<NavReport> reports;
  std::map<std::string, Transaction> transactions;
  std::map<std::string, int> requests;
  std::vector<std::string> problems;
  int next_id = 1;

  void Listen() {
    acceptor.emplace(io);
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    acceptor->open(endpoint.protocol());
    // Not inherited by the kartond the test starts later: a listening
    // socket it held open would keep accepting (and never answering)
    // while the stand-in is "down".
    ::fcntl(acceptor->native_handle(), F_SETFD, FD_CLOEXEC);
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(endpoint);
    acceptor->listen();
    port = acceptor->local_endpoint().port();
    Accept();
  }

  void Accept() {
    acceptor->async_accept([this](beast::error_code error, tcp::socket socket) {
      if (error) return;  // closed
      Serve(std::move(socket));
      if (acceptor && acceptor->is_open()) Accept();
    });
  }

  void Serve(tcp::socket socket) {
    beast::error_code error;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(socket, buffer, parser, error);
    if (error) return;
    request = parser.release();
    const Answer answer = Handle(std::string(request.target()), request.body());
    http::response<http::string_body> response{static_cast<http::status>(answer.status), 11};
    response.set(http::field::content_type, answer.xml.empty() || answer.xml[0] != '<'
                                                ? "text/plain"
                                                : "application/xml;charset=UTF-8");
    response.body() = answer.xml;
    response.keep_alive(false);
    response.prepare_payload();
    http::write(socket, response, error);
    socket.shutdown(tcp::socket::shutdown_both, error);
  }

  Answer Handle(const std::string& target, const std::string& body) {
    std::lock_guard lock(mutex);
    const std::string operation =
        target.rfind(kPrefix, 0) == 0 ? target.substr(std::string(kPrefix).size()) : target;
    ++requests[operation];
    if (outage != 0) return {outage, "Service Unavailable"};
    if (operation != "tokenExchange" && operation != "manageInvoice" &&
        operation != "queryTransactionStatus") {
      problems.push_back("unknown operation " + target);
      return {404, "Not Found"};
    }
    xml::DocPtr document(xmlReadMemory(body.data(), static_cast<int>(body.size()), nullptr, nullptr,
                                       XML_PARSE_NONET | XML_PARSE_NOERROR));
    if (!document) {
      problems.push_back(operation + ": not XML");
      return Error(400, "", "INVALID_REQUEST", "not XML");
    }
    const xmlNode* root = xmlDocGetRootElement(document.get());
    const std::string request_id = Text(root, "requestId");
    if (const auto invalid = nav::ValidateInvoiceApi(body); !invalid.empty()) {
      problems.push_back(operation + ": " + invalid.front());
      return Error(400, request_id, "INVALID_REQUEST", invalid.front().substr(0, 1000));
    }
    // The technical user, as NAV checks it.
    if (Text(root, "login") != user.login ||
        Text(root, "passwordHash") != nav::PasswordHash(user.password)) {
      problems.push_back(operation + ": wrong login or passwordHash");
      return Error(401, request_id, "INVALID_SECURITY_USER", "Helytelen authentikációs adatok");
    }
    std::string digits;
    for (char c : Text(root, "timestamp").substr(0, 19)) {
      if (c >= '0' && c <= '9') digits += c;
    }
    std::string base = request_id + digits + user.signature_key;
    const auto operations = FindAll(root, "invoiceOperation");
    for (const xmlNode* one : operations) {
      if (one->children == nullptr || Find(one->children, "invoiceData") == nullptr) continue;
      base += nav::Sha3_512Hex(Text(one->children, "invoiceOperation") +
                               Text(one->children, "invoiceData"));
    }
    if (Text(root, "requestSignature") != nav::Sha3_512Hex(base)) {
      problems.push_back(operation + ": wrong requestSignature");
      return Error(400, request_id, "INVALID_REQUEST_SIGNATURE", "Hibás kérés aláírás");
    }
    if (operation == "tokenExchange") return TokenExchange(request_id);
    if (operation == "manageInvoice") return ManageInvoice(root, request_id);
    return QueryTransactionStatus(root, request_id);
  }

  Answer TokenExchange(const std::string& request_id) {
    const std::string token = fmt::format("STANDIN-TOKEN-{:06}-5f3c", next_id++);
    tokens.insert(token);
    ResponseWriter writer("TokenExchangeResponse", request_id, "OK");
    writer.writer().Element("encodedExchangeToken",
                            nav::EncryptExchangeToken(token, user.exchange_key));
    writer.writer().Element("tokenValidityFrom", Now());
    writer.writer().Element("tokenValidityTo", Now());
    return {200, std::move(writer).Finish()};
  }

  Answer ManageInvoice(const xmlNode* root, const std::string& request_id) {
    const std::string token = Text(root, "exchangeToken");
    if (tokens.erase(token) == 0) {
      problems.push_back("manageInvoice: an exchangeToken not issued, or used before: " + token);
      return Error(400, request_id, "INVALID_EXCHANGE_TOKEN", "Érvénytelen token");
    }
    const std::string id = fmt::format("STANDIN{:09}", next_id++);
    Transaction transaction;
    for (const xmlNode* one : FindAll(root, "invoiceOperation")) {
      if (one->children == nullptr || Find(one->children, "invoiceData") == nullptr) continue;
      NavReport report;
      report.transaction_id = id;
      report.operation = Text(one->children, "invoiceOperation");
      std::pair<std::string, std::string> rejection{reject_code, reject_message};
      try {
        report.invoice_data = nav::FromBase64(Text(one->children, "invoiceData"));
      } catch (const std::exception&) {
        problems.push_back("manageInvoice: invoiceData is not base64");
      }
      if (const auto invalid = nav::ValidateInvoiceData(report.invoice_data); !invalid.empty()) {
        problems.push_back("invoiceData: " + invalid.front());
        rejection = {"SCHEMA_VIOLATION", invalid.front().substr(0, 500)};
      }
      xml::DocPtr data(xmlReadMemory(report.invoice_data.data(),
                                     static_cast<int>(report.invoice_data.size()), nullptr, nullptr,
                                     XML_PARSE_NONET | XML_PARSE_NOERROR));
      if (data) report.invoice_number = Text(xmlDocGetRootElement(data.get()), "invoiceNumber");
      transaction.reports.push_back(reports.size());
      transaction.rejections.push_back(std::move(rejection));
      reports.push_back(std::move(report));
    }
    transactions[id] = std::move(transaction);
    ResponseWriter writer("ManageInvoiceResponse", request_id, "OK");
    writer.writer().Element("transactionId", id);
    return {200, std::move(writer).Finish()};
  }

  Answer QueryTransactionStatus(const xmlNode* root, const std::string& request_id) {
    const auto found = transactions.find(Text(root, "transactionId"));
    ResponseWriter writer("QueryTransactionStatusResponse", request_id, "OK");
    if (found == transactions.end()) {
      problems.push_back("queryTransactionStatus: an unknown transaction");
      return {200, std::move(writer).Finish()};
    }
    auto& transaction = found->second;
    const bool processing = transaction.polls++ < processing_polls;
    auto& out = writer.writer();
    out.Start("processingResults");
    for (std::size_t i = 0; i < transaction.reports.size(); ++i) {
      const auto& [code, message] = transaction.rejections[i];
      out.Start("processingResult");
      out.Element("index", std::to_string(i + 1));
      out.Element("invoiceStatus", processing ? "PROCESSING" : code.empty() ? "DONE" : "ABORTED");
      if (!processing && !code.empty()) {
        out.Start("technicalValidationMessages");
        out.Element("common:validationResultCode", "ERROR");
        out.Element("common:validationErrorCode", code);
        out.Element("common:message", message);
        out.End();
      }
      out.Element("compressedContentIndicator", "false");
      out.End();
    }
    out.Element("originalRequestVersion", "3.0");
    out.End();
    return {200, std::move(writer).Finish()};
  }
};

NavStandIn::NavStandIn(NavStandInUser user) : state_(std::make_unique<State>()) {
  state_->user = std::move(user);
  state_->Listen();
  state_->thread = std::thread([state = state_.get()] {
    auto guard = asio::make_work_guard(state->io);
    state->io.run();
  });
}

NavStandIn::~NavStandIn() {
  state_->io.stop();
  state_->thread.join();
}

std::string NavStandIn::BaseUrl() const {
  return fmt::format("http://127.0.0.1:{}/invoiceService/v3", state_->port);
}

void NavStandIn::RejectReports(std::string error_code, std::string message) {
  std::lock_guard lock(state_->mutex);
  state_->reject_code = std::move(error_code);
  state_->reject_message = std::move(message);
}

void NavStandIn::SetOutage(int http_status) {
  std::lock_guard lock(state_->mutex);
  state_->outage = http_status;
}

void NavStandIn::SetProcessingPolls(int polls) {
  std::lock_guard lock(state_->mutex);
  state_->processing_polls = polls;
}

void NavStandIn::SetListening(bool listening) {
  std::promise<void> done;
  asio::post(state_->io, [this, listening, &done] {
    try {
      if (listening) {
        state_->Listen();
      } else if (state_->acceptor) {
        state_->acceptor->close();
        state_->acceptor.reset();
      }
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  done.get_future().get();
}

std::vector<NavReport> NavStandIn::Reports() const {
  std::lock_guard lock(state_->mutex);
  return state_->reports;
}

int NavStandIn::Requests(const std::string& operation) const {
  std::lock_guard lock(state_->mutex);
  const auto found = state_->requests.find(operation);
  return found == state_->requests.end() ? 0 : found->second;
}

std::vector<std::string> NavStandIn::Problems() const {
  std::lock_guard lock(state_->mutex);
  return state_->problems;
}

}  // namespace karton::testing
