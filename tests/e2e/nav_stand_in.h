// A local stand-in for NAV Online Számla 3.0 (tests only): a real HTTP
// server (Boost.Beast) on loopback answering tokenExchange,
// manageInvoice and queryTransactionStatus the way NAV does, and checking
// what it gets as NAV would:
// - every request valid against invoiceApi.xsd, the technical user's
//   login and passwordHash, the requestSignature recomputed here from the
//   request itself (SHA3-512 of the id, the time, the signature key and
//   each invoice's operation and data);
// - manageInvoice's exchangeToken one this server issued (encrypted with
//   the exchange key, AES-128-ECB), used once;
// - each invoiceData decoded and valid against invoiceData.xsd (a report
//   that is not: ABORTED with SCHEMA_VIOLATION).
// A problem with a request is answered as NAV answers it and also kept in
// Problems(), so a test sees what Karton got wrong.
//
//   NavStandIn nav({.login = "karton1234", ...});
//   ... --module-option invoicing.nav_base_url=<nav.BaseUrl()>
//   nav.RejectReports("INVOICE_NUMBER_NOT_UNIQUE", "A számlaszám már létezik");
//   nav.SetOutage(500);  // or SetListening(false)
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace karton::testing {

struct NavStandInUser {
  std::string login;
  std::string password;
  std::string signature_key;
  std::string exchange_key;  // 16 characters
};

// One invoice reported to the stand-in.
struct NavReport {
  std::string transaction_id;
  std::string operation;  // CREATE, MODIFY, STORNO
  std::string invoice_number;
  std::string invoice_data;  // the decoded InvoiceData XML
};

class NavStandIn {
 public:
  explicit NavStandIn(NavStandInUser user);
  ~NavStandIn();
  NavStandIn(const NavStandIn&) = delete;
  NavStandIn& operator=(const NavStandIn&) = delete;

  // "http://127.0.0.1:<port>/invoiceService/v3".
  std::string BaseUrl() const;

  // Reports received from now on are ABORTED with this error (empty code:
  // accepted again).
  void RejectReports(std::string error_code, std::string message);
  // Every request answered with this HTTP status and no NAV document
  // (0: normal service again).
  void SetOutage(int http_status);
  // Off: the port refuses connections, as a NAV that is down; on again
  // on the same port.
  void SetListening(bool listening);
  // queryTransactionStatus answers PROCESSING this many times per
  // transaction before the result.
  void SetProcessingPolls(int polls);

  std::vector<NavReport> Reports() const;
  // How many requests of an operation ("manageInvoice") were answered
  // (outages included).
  int Requests(const std::string& operation) const;
  // What was wrong with Karton's requests; empty when all was as NAV wants.
  std::vector<std::string> Problems() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace karton::testing
