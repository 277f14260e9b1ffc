#include "nav/nav_api.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <climits>
#include <memory>

#include "nav/libxml.h"

namespace karton::invoicing::nav {
namespace {

using CipherPtr =
    std::unique_ptr<EVP_CIPHER_CTX, xml::Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;

bool Named(const xmlNode* node, const char* name) {
  return node->type == XML_ELEMENT_NODE && xmlStrcmp(node->name, BAD_CAST name) == 0;
}

// The first element called `name` at or under `node`, depth first.
const xmlNode* Find(const xmlNode* node, const char* name) {
  for (; node; node = node->next) {
    if (Named(node, name)) return node;
    if (const xmlNode* found = Find(node->children, name)) return found;
  }
  return nullptr;
}

// The children of `parent` called `name`.
std::vector<const xmlNode*> Children(const xmlNode* parent, const char* name) {
  std::vector<const xmlNode*> found;
  for (const xmlNode* child = parent ? parent->children : nullptr; child; child = child->next) {
    if (Named(child, name)) found.push_back(child);
  }
  return found;
}

std::string TextOf(const xmlNode* node) {
  if (!node) return "";
  xmlChar* content = xmlNodeGetContent(node);
  std::string result = content ? reinterpret_cast<const char*>(content) : "";
  xmlFree(content);
  const auto first = result.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return result.substr(first, result.find_last_not_of(" \t\r\n") - first + 1);
}

std::string ChildText(const xmlNode* parent, const char* name) {
  const auto children = Children(parent, name);
  return children.empty() ? "" : TextOf(children.front());
}

xml::DocPtr Parse(std::string_view body, int http_status) {
  if (body.size() > static_cast<std::size_t>(INT_MAX)) {
    throw NavError("RESPONSE", "the answer is larger than 2 GiB", http_status);
  }
  xml::DocPtr document(xmlReadMemory(body.data(), static_cast<int>(body.size()), nullptr, nullptr,
                                     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!document || !xmlDocGetRootElement(document.get())) {
    std::string start(body.substr(0, 200));
    throw NavError(http_status ? fmt::format("HTTP {}", http_status) : "RESPONSE",
                   start.empty() ? "an empty answer, not NAV's XML" : "not NAV's XML: " + start,
                   http_status);
  }
  return document;
}

// The document's root, after ThrowIfError's checks; `expected` names it.
xml::DocPtr Expect(std::string_view body, const char* expected) {
  auto document = Parse(body, 0);
  const xmlNode* root = xmlDocGetRootElement(document.get());
  const xmlNode* func_code = Find(root->children, "funcCode");
  const xmlNode* result = func_code ? func_code->parent : nullptr;
  if ((func_code && TextOf(func_code) != "OK") || !Named(root, expected)) {
    const std::string code = result ? ChildText(result, "errorCode") : "";
    const std::string message = result ? ChildText(result, "message") : "";
    throw NavError(code.empty() ? "RESPONSE" : code,
                   message.empty()
                       ? fmt::format("NAV answered {} instead of {}",
                                     reinterpret_cast<const char*>(root->name), expected)
                       : message,
                   0);
  }
  return document;
}

std::string Aes128Ecb(std::string_view input, std::string_view key, bool encrypt) {
  if (key.size() != 16) {
    throw NavError("DECRYPT", "the exchange key must be 16 characters (AES-128)");
  }
  CipherPtr context(EVP_CIPHER_CTX_new());
  if (!context) throw std::bad_alloc();
  if (EVP_CipherInit_ex(context.get(), EVP_aes_128_ecb(), nullptr,
                        reinterpret_cast<const unsigned char*>(key.data()), nullptr,
                        encrypt ? 1 : 0) != 1 ||
      input.size() > static_cast<std::size_t>(INT_MAX - 32)) {
    throw NavError("DECRYPT", "OpenSSL refused AES-128-ECB");
  }
  std::string output(input.size() + 32, '\0');
  int written = 0, final_written = 0;
  auto* out = reinterpret_cast<unsigned char*>(output.data());
  if (EVP_CipherUpdate(context.get(), out, &written,
                       reinterpret_cast<const unsigned char*>(input.data()),
                       static_cast<int>(input.size())) != 1 ||
      EVP_CipherFinal_ex(context.get(), out + written, &final_written) != 1) {
    throw NavError("DECRYPT",
                   "the exchange token does not decrypt with the exchange key (a wrong key?)");
  }
  output.resize(static_cast<std::size_t>(written + final_written));
  return output;
}

}  // namespace

NavError::NavError(std::string error_code, std::string message, int http_status)
    : std::runtime_error(http_status != 0 && error_code.rfind("HTTP", 0) != 0
                             ? fmt::format("NAV {} (HTTP {}): {}", error_code, http_status, message)
                             : fmt::format("NAV {}: {}", error_code, message)),
      error_code_(std::move(error_code)),
      message_(std::move(message)),
      http_status_(http_status) {}

bool ProcessingResult::Rejected() const {
  if (status == "ABORTED") return true;
  for (const auto& message : messages) {
    if (message.result_code == "ERROR" || message.result_code == "CRITICAL") return true;
  }
  return false;
}

void ThrowIfError(std::string_view body, int http_status) {
  auto document = Parse(body, http_status);
  const xmlNode* root = xmlDocGetRootElement(document.get());
  const xmlNode* func_code = Named(root, "funcCode") ? root : Find(root->children, "funcCode");
  if (!func_code) {
    if (http_status == 200) return;
    throw NavError(fmt::format("HTTP {}", http_status), "an answer without NAV's result",
                   http_status);
  }
  if (TextOf(func_code) == "OK" && http_status == 200) return;
  const xmlNode* result = func_code->parent;
  std::string code = ChildText(result, "errorCode");
  std::string message = ChildText(result, "message");
  // A GeneralErrorResponse's technical messages say what was wrong.
  for (const xmlNode* technical : Children(root, "technicalValidationMessages")) {
    const std::string text = ChildText(technical, "message");
    if (!text.empty()) message += (message.empty() ? "" : "; ") + text;
  }
  throw NavError(code.empty() ? fmt::format("HTTP {}", http_status) : code,
                 message.empty() ? "NAV gave no message" : message, http_status);
}

std::string ParseTokenExchangeResponse(std::string_view body) {
  const auto document = Expect(body, "TokenExchangeResponse");
  const std::string token = ChildText(xmlDocGetRootElement(document.get()), "encodedExchangeToken");
  if (token.empty()) throw NavError("RESPONSE", "TokenExchangeResponse without a token");
  return token;
}

std::string ParseManageInvoiceResponse(std::string_view body) {
  const auto document = Expect(body, "ManageInvoiceResponse");
  const std::string id = ChildText(xmlDocGetRootElement(document.get()), "transactionId");
  if (id.empty()) throw NavError("RESPONSE", "ManageInvoiceResponse without a transactionId");
  return id;
}

std::vector<ProcessingResult> ParseTransactionStatusResponse(std::string_view body) {
  const auto document = Expect(body, "QueryTransactionStatusResponse");
  std::vector<ProcessingResult> results;
  const xmlNode* list = Find(xmlDocGetRootElement(document.get())->children, "processingResults");
  for (const xmlNode* node : Children(list, "processingResult")) {
    ProcessingResult result;
    try {
      result.index = std::stoi(ChildText(node, "index"));
    } catch (const std::exception&) {
      throw NavError("RESPONSE", "a processingResult without its index");
    }
    result.status = ChildText(node, "invoiceStatus");
    for (const char* kind : {"technicalValidationMessages", "businessValidationMessages"}) {
      for (const xmlNode* message : Children(node, kind)) {
        ValidationMessage read{ChildText(message, "validationResultCode"),
                               ChildText(message, "validationErrorCode"),
                               ChildText(message, "message"), ""};
        if (const auto pointers = Children(message, "pointer"); !pointers.empty()) {
          for (const char* part : {"tag", "value", "line"}) {
            const std::string text = ChildText(pointers.front(), part);
            if (text.empty()) continue;
            read.pointer += (read.pointer.empty() ? "" : ", ") + text;
          }
        }
        result.messages.push_back(std::move(read));
      }
    }
    results.push_back(std::move(result));
  }
  return results;
}

std::string FromBase64(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') clean += c;
  }
  if (clean.size() % 4 != 0 || clean.size() > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument("not base64");
  }
  std::string decoded(clean.size() / 4 * 3, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                     reinterpret_cast<const unsigned char*>(clean.data()),
                                     static_cast<int>(clean.size()));
  if (length < 0) throw std::invalid_argument("not base64");
  std::size_t padding = 0;
  if (!clean.empty() && clean.back() == '=') ++padding;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') ++padding;
  decoded.resize(static_cast<std::size_t>(length) - padding);
  return decoded;
}

std::string DecryptExchangeToken(std::string_view encoded, std::string_view exchange_key) {
  std::string cipher;
  try {
    cipher = FromBase64(encoded);
  } catch (const std::invalid_argument&) {
    throw NavError("DECRYPT", "encodedExchangeToken is not base64");
  }
  return Aes128Ecb(cipher, exchange_key, false);
}

std::string EncryptExchangeToken(std::string_view token, std::string_view exchange_key) {
  const std::string cipher = Aes128Ecb(token, exchange_key, true);
  std::string encoded(4 * ((cipher.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(cipher.data()),
                                     static_cast<int>(cipher.size()));
  encoded.resize(static_cast<std::size_t>(length));
  return encoded;
}

}  // namespace karton::invoicing::nav
