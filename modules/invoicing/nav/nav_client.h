// NAV Online Számla 3.0 over HTTP(S) with libcurl: tokenExchange,
// manageInvoice and queryTransactionStatus. Each call builds its request
// (nav/manage_invoice.h), validates it against invoiceApi.xsd, POSTs it to
// <base_url>/<operation> and reads the answer (nav/nav_api.h). Blocking:
// call it from a job, never from a gRPC or Asio thread.
//
//   nav::NavClient client(connection);
//   const std::string id = client.ManageInvoice("KRT7R1A1", now, {{op, xml}});
//   const auto results = client.QueryTransactionStatus("KRT7R1P1", now, id);
//
// A refusal (funcCode ERROR, a GeneralErrorResponse), an HTTP error or a
// connection that fails throws NavError with NAV's errorCode and message
// (or "HTTP 500", "CONNECT"); a request that does not validate throws
// std::logic_error (a bug here, never sent).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "nav/manage_invoice.h"
#include "nav/nav_api.h"

namespace karton::invoicing::nav {

struct NavConnection {
  // "https://api-test.onlineszamla.nav.gov.hu/invoiceService/v3", no
  // trailing slash.
  std::string base_url;
  NavUser user;
  // The exchange key (cserekulcs), 16 characters: decrypts the token.
  std::string exchange_key;
  NavSoftware software;
  std::chrono::seconds timeout{60};
};

class NavClient {
 public:
  explicit NavClient(NavConnection connection) : connection_(std::move(connection)) {}

  // A data reporting token, decrypted.
  std::string TokenExchange(const BasicRequest& request) const;
  // Takes a token itself, then reports `invoices`; NAV's transactionId.
  std::string ManageInvoice(const BasicRequest& token_request, const BasicRequest& request,
                            std::vector<InvoiceReport> invoices) const;
  std::vector<ProcessingResult> QueryTransactionStatus(const BasicRequest& request,
                                                       const std::string& transaction_id) const;

 private:
  // The answer's body, after ThrowIfError.
  std::string Post(const char* operation, const std::string& body) const;

  NavConnection connection_;
};

}  // namespace karton::invoicing::nav
