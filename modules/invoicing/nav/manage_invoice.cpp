#include "nav/manage_invoice.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <stdexcept>

#include "nav/libxml.h"

namespace karton::invoicing::nav {
namespace {

constexpr char kApiNamespace[] = "http://schemas.nav.gov.hu/OSA/3.0/api";
constexpr char kCommonNamespace[] = "http://schemas.nav.gov.hu/NTCA/1.0/common";
constexpr std::size_t kMaxInvoices = 100;

[[noreturn]] void Refuse(std::string_view field, std::string_view why) {
  throw std::invalid_argument(fmt::format("{}: {}", field, why));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string Hash(std::string_view bytes, const EVP_MD* algorithm) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, algorithm, nullptr) != 1) {
    throw std::runtime_error("OpenSSL could not compute a hash");
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0F];
  }
  return hex;
}

// yyyy-MM-ddTHH:mm:ss.SSSZ (the header) and yyyyMMddHHmmss (the
// signature), both in UTC.
struct Timestamps {
  std::string header;
  std::string signature;
};

Timestamps TimestampsOf(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto milliseconds = floor<std::chrono::milliseconds>(time);
  const auto day = floor<days>(milliseconds);
  const year_month_day date(day);
  const hh_mm_ss clock(milliseconds - day);
  const int year = static_cast<int>(date.year());
  const unsigned month = static_cast<unsigned>(date.month());
  const unsigned day_of_month = static_cast<unsigned>(date.day());
  const auto hours = clock.hours().count();
  const auto minutes = clock.minutes().count();
  const auto seconds = clock.seconds().count();
  return {fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", year, month, day_of_month,
                      hours, minutes, seconds, clock.subseconds().count()),
          fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}", year, month, day_of_month, hours, minutes,
                      seconds)};
}

void CheckRequestId(std::string_view id) {
  const bool valid =
      !id.empty() && id.size() <= 30 && std::all_of(id.begin(), id.end(), [](char c) {
        return IsDigit(c) || IsLetter(c) || c == '+' || c == '_';
      });
  if (!valid) Refuse("request.request_id", "must be 1 to 30 letters, digits, '+' and '_'");
}

std::string TaxpayerId(std::string_view tax_number) {
  std::string digits;
  for (char c : tax_number) {
    if (IsDigit(c)) {
      digits += c;
    } else if (c != '-' && c != ' ') {
      digits.clear();
      break;
    }
  }
  if (digits.size() != 8 && digits.size() != 11) {
    Refuse("user.tax_number", "must be a Hungarian tax number, 12345676-2-42");
  }
  return digits.substr(0, 8);
}

std::string Required(std::string_view field, std::string_view text, std::size_t max_length) {
  const bool blank = std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  });
  if (blank) Refuse(field, "is required");
  if (text.size() > max_length) Refuse(field, fmt::format("is longer than {}", max_length));
  return std::string(text);
}

void WriteSoftware(xml::Writer& writer, const NavSoftware& software) {
  const bool valid_id =
      software.id.size() == 18 && std::all_of(software.id.begin(), software.id.end(), [](char c) {
        return IsDigit(c) || (c >= 'A' && c <= 'Z') || c == '-';
      });
  if (!valid_id) Refuse("software.id", "must be 18 capitals, digits and dashes");
  if (software.operation != "ONLINE_SERVICE" && software.operation != "LOCAL_SOFTWARE") {
    Refuse("software.operation", "must be ONLINE_SERVICE or LOCAL_SOFTWARE");
  }
  writer.Start("software");
  writer.Element("softwareId", software.id);
  writer.Element("softwareName", Required("software.name", software.name, 50));
  writer.Element("softwareOperation", software.operation);
  writer.Element("softwareMainVersion",
                 Required("software.main_version", software.main_version, 15));
  writer.Element("softwareDevName", Required("software.dev_name", software.dev_name, 512));
  writer.Element("softwareDevContact", Required("software.dev_contact", software.dev_contact, 200));
  if (!software.dev_country_code.empty()) {
    const auto& code = software.dev_country_code;
    if (code.size() != 2 ||
        !std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      Refuse("software.dev_country_code", "must be two capitals");
    }
    writer.Element("softwareDevCountryCode", code);
  }
  if (!software.dev_tax_number.empty()) {
    writer.Element("softwareDevTaxNumber",
                   Required("software.dev_tax_number", software.dev_tax_number, 50));
  }
  writer.End();
}

}  // namespace

InvoiceOperation OperationOf(const v1::Invoice& invoice) {
  switch (invoice.kind()) {
    case v1::INVOICE_KIND_MODIFICATION:
      return InvoiceOperation::kModify;
    case v1::INVOICE_KIND_STORNO:
      return InvoiceOperation::kStorno;
    default:
      return InvoiceOperation::kCreate;
  }
}

std::string_view OperationName(InvoiceOperation operation) {
  switch (operation) {
    case InvoiceOperation::kModify:
      return "MODIFY";
    case InvoiceOperation::kStorno:
      return "STORNO";
    case InvoiceOperation::kCreate:
      break;
  }
  return "CREATE";
}

std::string Sha3_512Hex(std::string_view bytes) { return Hash(bytes, EVP_sha3_512()); }

std::string PasswordHash(std::string_view password) { return Hash(password, EVP_sha512()); }

std::string Base64(std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX / 4 * 3)) {
    throw std::length_error("too large to encode in base64");
  }
  std::string encoded(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  encoded.resize(static_cast<std::size_t>(length));
  return encoded;
}

std::string RequestSignature(std::string_view request_id,
                             std::chrono::system_clock::time_point timestamp,
                             std::string_view signature_key,
                             std::span<const InvoiceReport> invoices) {
  std::string base(request_id);
  base += TimestampsOf(timestamp).signature;
  base += signature_key;
  for (const auto& invoice : invoices) {
    base +=
        Sha3_512Hex(std::string(OperationName(invoice.operation)) + Base64(invoice.invoice_data));
  }
  return Sha3_512Hex(base);
}

namespace {

void CheckUser(const NavUser& user) {
  const bool valid_login = user.login.size() >= 6 && user.login.size() <= 15 &&
                           std::all_of(user.login.begin(), user.login.end(),
                                       [](char c) { return IsDigit(c) || IsLetter(c); });
  if (!valid_login) Refuse("user.login", "must be 6 to 15 letters and digits");
  if (user.password.empty()) Refuse("user.password", "is required");
  if (user.signature_key.empty()) Refuse("user.signature_key", "is required");
}

// The root element opened, with the header, the user and the software
// every request carries (BasicOnlineInvoiceRequestType).
void StartRequest(xml::Writer& writer, const char* root, std::string_view request_id,
                  std::chrono::system_clock::time_point timestamp, std::string_view signature,
                  const NavUser& user, const NavSoftware& software) {
  const std::string taxpayer_id = TaxpayerId(user.tax_number);
  writer.Start(root);
  writer.Attribute("xmlns", kApiNamespace);
  writer.Attribute("xmlns:common", kCommonNamespace);
  writer.Start("common:header");
  writer.Element("common:requestId", request_id);
  writer.Element("common:timestamp", TimestampsOf(timestamp).header);
  writer.Element("common:requestVersion", "3.0");
  writer.Element("common:headerVersion", "1.0");
  writer.End();
  writer.Start("common:user");
  writer.Element("common:login", user.login);
  writer.Start("common:passwordHash");
  writer.Attribute("cryptoType", "SHA-512");
  writer.Text(PasswordHash(user.password));
  writer.End();
  writer.Element("common:taxNumber", taxpayer_id);
  writer.Start("common:requestSignature");
  writer.Attribute("cryptoType", "SHA3-512");
  writer.Text(signature);
  writer.End();
  writer.End();  // user
  WriteSoftware(writer, software);
}

}  // namespace

std::string ManageInvoiceXml(const ManageInvoiceRequest& request, const NavUser& user,
                             const NavSoftware& software) {
  CheckRequestId(request.request_id);
  if (request.invoices.empty() || request.invoices.size() > kMaxInvoices) {
    Refuse("request.invoices", "1 to 100 invoices in one request");
  }
  CheckUser(user);
  const std::string exchange_token = Required("request.exchange_token", request.exchange_token, 50);
  for (std::size_t i = 0; i < request.invoices.size(); ++i) {
    if (request.invoices[i].invoice_data.empty()) {
      Refuse(fmt::format("request.invoices[{}].invoice_data", i), "is required");
    }
  }

  xml::Writer writer;
  StartRequest(
      writer, "ManageInvoiceRequest", request.request_id, request.timestamp,
      RequestSignature(request.request_id, request.timestamp, user.signature_key, request.invoices),
      user, software);
  writer.Element("exchangeToken", exchange_token);
  writer.Start("invoiceOperations");
  writer.Element("compressedContent", "false");
  for (std::size_t i = 0; i < request.invoices.size(); ++i) {
    const auto& invoice = request.invoices[i];
    writer.Start("invoiceOperation");
    writer.Element("index", std::to_string(i + 1));
    writer.Element("invoiceOperation", OperationName(invoice.operation));
    writer.Element("invoiceData", Base64(invoice.invoice_data));
    writer.End();
  }
  writer.End();  // invoiceOperations
  writer.End();  // ManageInvoiceRequest
  return std::move(writer).Finish();
}

std::string TokenExchangeXml(const BasicRequest& request, const NavUser& user,
                             const NavSoftware& software) {
  CheckRequestId(request.request_id);
  CheckUser(user);
  xml::Writer writer;
  StartRequest(writer, "TokenExchangeRequest", request.request_id, request.timestamp,
               RequestSignature(request.request_id, request.timestamp, user.signature_key, {}),
               user, software);
  writer.End();
  return std::move(writer).Finish();
}

std::string QueryTransactionStatusXml(const BasicRequest& request, std::string_view transaction_id,
                                      const NavUser& user, const NavSoftware& software) {
  CheckRequestId(request.request_id);
  CheckUser(user);
  const std::string id = Required("transaction_id", transaction_id, 30);
  xml::Writer writer;
  StartRequest(writer, "QueryTransactionStatusRequest", request.request_id, request.timestamp,
               RequestSignature(request.request_id, request.timestamp, user.signature_key, {}),
               user, software);
  writer.Element("transactionId", id);
  writer.End();
  return std::move(writer).Finish();
}

}  // namespace karton::invoicing::nav
