// The manageInvoice request (invoiceApi.xsd, ManageInvoiceRequest) that
// reports up to 100 invoices to NAV Online Számla 3.0: the header, the
// technical user with the password hash and the request signature, the
// software, the data reporting token and each invoice's InvoiceData in
// base64; and the tokenExchange and queryTransactionStatus requests. Only
// the documents: nav/nav_client.h sends them.
//
//   nav::ManageInvoiceRequest request{
//       .request_id = "KRT20260115T101500042",
//       .timestamp = now,
//       .exchange_token = decoded_token,
//       .invoices = {{nav::OperationOf(invoice), nav::InvoiceDataXml(invoice)}}};
//   const std::string xml = nav::ManageInvoiceXml(request, user, software);
//   // nav::ValidateInvoiceApi(xml) is empty
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "karton/invoicing/v1/invoicing.pb.h"

namespace karton::invoicing::nav {

// NAV's technical user (technikai felhasználó) of the taxpayer.
struct NavUser {
  // 6 to 15 letters and digits, as NAV generated it.
  std::string login;
  // The password in clear: the request carries its SHA-512.
  std::string password;
  // The signature key (aláírókulcs) the request signature is made with.
  std::string signature_key;
  // The taxpayer's tax number, "12345676-2-42" (the first 8 digits are sent).
  std::string tax_number;
};

// The invoicing software, as registered with NAV.
struct NavSoftware {
  // 18 capitals, digits and dashes: by NAV's convention the developer's
  // country code and tax number and the product's own characters.
  std::string id;
  std::string name;
  // "ONLINE_SERVICE" (Karton) or "LOCAL_SOFTWARE".
  std::string operation = "ONLINE_SERVICE";
  std::string main_version;
  std::string dev_name;
  std::string dev_contact;
  // Optional.
  std::string dev_country_code;
  std::string dev_tax_number;
};

enum class InvoiceOperation { kCreate, kModify, kStorno };

// CREATE for an invoice, MODIFY for a modification, STORNO for a storno.
InvoiceOperation OperationOf(const v1::Invoice& invoice);
std::string_view OperationName(InvoiceOperation operation);

// One invoice of the request (its index is its place, from 1).
struct InvoiceReport {
  InvoiceOperation operation = InvoiceOperation::kCreate;
  // The InvoiceData XML (InvoiceDataXml), sent base64-encoded.
  std::string invoice_data;
};

struct ManageInvoiceRequest {
  // Unique for the taxpayer: 1 to 30 letters, digits, '+' and '_'.
  std::string request_id;
  // When the request is made; written in UTC to the millisecond. NAV
  // accepts a day either way of its clock.
  std::chrono::system_clock::time_point timestamp;
  // The data reporting token from tokenExchange, decoded.
  std::string exchange_token;
  // 1 to 100.
  std::vector<InvoiceReport> invoices;
};

// The request document, UTF-8. Throws std::invalid_argument naming the
// field ("request.request_id: ...", "user.login: ...") when a value is
// not what NAV's schema takes.
std::string ManageInvoiceXml(const ManageInvoiceRequest& request, const NavUser& user,
                             const NavSoftware& software);

// requestSignature (the specification's 1.5): the upper-case hex SHA3-512
// of the request id, the timestamp as yyyyMMddHHmmss in UTC, the signature
// key and, for each invoice in index order, the upper-case hex SHA3-512 of
// its operation and its base64 invoice data. Without invoices, the
// signature of every other operation (tokenExchange, queries).
std::string RequestSignature(std::string_view request_id,
                             std::chrono::system_clock::time_point timestamp,
                             std::string_view signature_key,
                             std::span<const InvoiceReport> invoices);

// What every other request names: its id and time.
struct BasicRequest {
  // As ManageInvoiceRequest's.
  std::string request_id;
  std::chrono::system_clock::time_point timestamp;
};

// <TokenExchangeRequest>: asks for a data reporting token (valid for five
// minutes, for one manageInvoice). Throws std::invalid_argument as
// ManageInvoiceXml does.
std::string TokenExchangeXml(const BasicRequest& request, const NavUser& user,
                             const NavSoftware& software);

// <QueryTransactionStatusRequest> of the manageInvoice transaction
// `transaction_id` (what ManageInvoiceResponse returned).
std::string QueryTransactionStatusXml(const BasicRequest& request, std::string_view transaction_id,
                                      const NavUser& user, const NavSoftware& software);

// passwordHash: the upper-case hex SHA-512 of the password.
std::string PasswordHash(std::string_view password);

// The hashes and the encoding the request is made of.
std::string Sha3_512Hex(std::string_view bytes);
std::string Base64(std::string_view bytes);

}  // namespace karton::invoicing::nav
