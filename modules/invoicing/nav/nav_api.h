// NAV Online Számla 3.0's answers, read with libxml2, and the exchange
// token's AES-128-ECB: the pure parts of talking to NAV (nav/nav_client.h
// does the HTTP). Elements are matched by local name under NAV's
// namespaces, so a prefix NAV chooses (ns2:, common:) does not matter.
//
//   const auto token = nav::DecryptExchangeToken(
//       nav::ParseTokenExchangeResponse(body), exchange_key);
//   const std::string transaction_id = nav::ParseManageInvoiceResponse(body);
//   for (const auto& result : nav::ParseTransactionStatusResponse(body)) ...
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace karton::invoicing::nav {

// NAV said no (funcCode ERROR, a GeneralErrorResponse or
// GeneralExceptionResponse), or its answer could not be read. what() is
// "NAV <error_code>: <message>" (or "NAV HTTP <status>: ..." when there
// was no NAV document).
class NavError : public std::runtime_error {
 public:
  NavError(std::string error_code, std::string message, int http_status = 0);
  const std::string& error_code() const { return error_code_; }
  const std::string& message() const { return message_; }
  // 0 when the error came in an HTTP 200 answer or none at all.
  int http_status() const { return http_status_; }

 private:
  std::string error_code_;
  std::string message_;
  int http_status_;
};

// One of NAV's validation messages on a reported invoice.
struct ValidationMessage {
  // ERROR, WARN or INFO (business); ERROR, WARN (technical: CRITICAL too).
  std::string result_code;
  std::string error_code;
  std::string message;
  // Where in the InvoiceData: "tag, value, line" as NAV's pointer gives them.
  std::string pointer;
};

// One invoice of a manageInvoice transaction (processingResult).
struct ProcessingResult {
  int index = 0;
  // RECEIVED, PROCESSING, SAVED, DONE or ABORTED.
  std::string status;
  std::vector<ValidationMessage> messages;

  bool Finished() const { return status == "DONE" || status == "ABORTED"; }
  // ABORTED, or DONE with a business or technical ERROR.
  bool Rejected() const;
};

// Throws NavError when the document is an error answer (any root whose
// result/funcCode is ERROR, GeneralErrorResponse, GeneralExceptionResponse)
// or is not the expected one. `http_status` goes into the error.
void ThrowIfError(std::string_view body, int http_status);

// encodedExchangeToken of a TokenExchangeResponse (still base64).
std::string ParseTokenExchangeResponse(std::string_view body);
// transactionId of a ManageInvoiceResponse.
std::string ParseManageInvoiceResponse(std::string_view body);
// processingResults of a QueryTransactionStatusResponse, by index; empty
// when NAV has none yet.
std::vector<ProcessingResult> ParseTransactionStatusResponse(std::string_view body);

// The exchange token: base64 `encoded` decoded, AES-128-ECB decrypted with
// the technical user's 16-character exchange key (cserekulcs), PKCS#7
// padding removed. Throws NavError("DECRYPT", ...) when the key is not 16
// bytes or the data does not decrypt.
std::string DecryptExchangeToken(std::string_view encoded, std::string_view exchange_key);
// The reverse, as NAV makes it (and the tests' stand-in).
std::string EncryptExchangeToken(std::string_view token, std::string_view exchange_key);

// base64 decoded; throws std::invalid_argument for text that is not base64.
std::string FromBase64(std::string_view text);

}  // namespace karton::invoicing::nav
