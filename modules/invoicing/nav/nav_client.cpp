#include "nav/nav_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <memory>
#include <stdexcept>

#include "nav/nav_schemas.h"

namespace karton::invoicing::nav {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::size_t Append(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// libcurl's global state, once per process (thread-safe since 7.84).
void InitCurl() {
  static const bool initialized = [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("libcurl did not initialize");
    }
    return true;
  }();
  (void)initialized;
}

void CheckValid(const std::string& xml, const char* what) {
  if (auto problems = ValidateInvoiceApi(xml); !problems.empty()) {
    throw std::logic_error(fmt::format("the {} Karton built is not valid: {}", what, problems[0]));
  }
}

}  // namespace

std::string NavClient::Post(const char* operation, const std::string& body) const {
  InitCurl();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) throw std::bad_alloc();
  const std::string url = connection_.base_url + "/" + operation;
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/xml");
  std::unique_ptr<curl_slist, SlistDeleter> headers(list);
  if (!list || !curl_slist_append(list, "Accept: application/xml")) throw std::bad_alloc();
  std::string answer;
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, static_cast<long>(connection_.timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 20L);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    throw NavError("CONNECT", fmt::format("{} {}: {}", operation, connection_.base_url,
                                          error[0] ? error : curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  ThrowIfError(answer, static_cast<int>(status));
  return answer;
}

std::string NavClient::TokenExchange(const BasicRequest& request) const {
  const std::string xml = TokenExchangeXml(request, connection_.user, connection_.software);
  CheckValid(xml, "TokenExchangeRequest");
  return DecryptExchangeToken(ParseTokenExchangeResponse(Post("tokenExchange", xml)),
                              connection_.exchange_key);
}

std::string NavClient::ManageInvoice(const BasicRequest& token_request, const BasicRequest& request,
                                     std::vector<InvoiceReport> invoices) const {
  ManageInvoiceRequest manage{.request_id = request.request_id,
                              .timestamp = request.timestamp,
                              .exchange_token = TokenExchange(token_request),
                              .invoices = std::move(invoices)};
  const std::string xml = ManageInvoiceXml(manage, connection_.user, connection_.software);
  CheckValid(xml, "ManageInvoiceRequest");
  return ParseManageInvoiceResponse(Post("manageInvoice", xml));
}

std::vector<ProcessingResult> NavClient::QueryTransactionStatus(
    const BasicRequest& request, const std::string& transaction_id) const {
  const std::string xml =
      QueryTransactionStatusXml(request, transaction_id, connection_.user, connection_.software);
  CheckValid(xml, "QueryTransactionStatusRequest");
  return ParseTransactionStatusResponse(Post("queryTransactionStatus", xml));
}

}  // namespace karton::invoicing::nav
