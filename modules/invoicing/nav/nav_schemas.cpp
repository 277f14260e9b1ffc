#include "nav/nav_schemas.h"

#include <fmt/format.h>
#include <libxml/xmlIO.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <new>
#include <stdexcept>

#include "nav/embedded_file.h"
#include "nav/libxml.h"

namespace karton::invoicing::nav {
namespace {

// The URI the compiled-in XSDs are read from: "karton-nav-schema:/common.xsd".
// A relative schemaLocation resolves against it, so the imports find their
// siblings the same way.
constexpr std::string_view kSchemeBase = "karton-nav-schema:/";
// More problems than this in one document add nothing but memory.
constexpr std::size_t kMaxProblems = 50;

const EmbeddedFile* FindSchema(std::string_view uri) {
  if (!uri.starts_with(kSchemeBase)) return nullptr;
  uri.remove_prefix(kSchemeBase.size());
  for (const auto& file : NavSchemaFiles()) {
    if (uri == file.name) return &file;
  }
  return nullptr;
}

// libxml2's input callbacks for the compiled-in schemas.
struct Reading {
  std::string_view bytes;
  std::size_t at = 0;
};

int MatchSchema(const char* uri) { return uri != nullptr && FindSchema(uri) != nullptr; }

void* OpenSchema(const char* uri) {
  const EmbeddedFile* file = FindSchema(uri);
  return file == nullptr ? nullptr : new Reading{file->Bytes()};
}

int ReadSchema(void* context, char* buffer, int length) {
  auto& reading = *static_cast<Reading*>(context);
  const std::size_t count =
      std::min(static_cast<std::size_t>(length), reading.bytes.size() - reading.at);
  std::memcpy(buffer, reading.bytes.data() + reading.at, count);
  reading.at += count;
  return static_cast<int>(count);
}

int CloseSchema(void* context) {
  delete static_cast<Reading*>(context);
  return 0;
}

// libxml2's structured error handler: `problems` is a std::vector<std::string>.
void Collect(void* problems, xmlErrorPtr error) {
  auto& list = *static_cast<std::vector<std::string>*>(problems);
  if (error == nullptr || error->level == XML_ERR_WARNING || list.size() >= kMaxProblems) return;
  std::string message = error->message == nullptr ? "unknown error" : error->message;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  list.push_back(fmt::format("line {}: {}", error->line, message));
}

void CollectParserError(void* parser, xmlErrorPtr error) {
  Collect(static_cast<xmlParserCtxt*>(parser)->_private, error);
}

xml::SchemaPtr Compile(const char* name) {
  const std::string uri = std::string(kSchemeBase) + name;
  xml::SchemaParserCtxtPtr context(xmlSchemaNewParserCtxt(uri.c_str()));
  if (!context) throw std::bad_alloc();
  std::vector<std::string> problems;
  xmlSchemaSetParserStructuredErrors(context.get(), Collect, &problems);
  xml::SchemaPtr schema(xmlSchemaParse(context.get()));
  if (!schema) {
    throw std::runtime_error(fmt::format("the built-in NAV schema {} does not compile: {}", name,
                                         problems.empty() ? "" : problems.front()));
  }
  return schema;
}

struct CompiledSchemas {
  xml::SchemaPtr invoice_data;
  xml::SchemaPtr invoice_api;
};

// Compiled on first use (a function-local static: once, whatever the
// threads); read-only afterwards, each validation with its own context.
const CompiledSchemas& Schemas() {
  static const CompiledSchemas schemas = [] {
    // Before the callback: xmlInitParser registers libxml2's default input
    // callbacks, which must stay below ours for the pop to remove ours.
    xmlInitParser();
    if (xmlRegisterInputCallbacks(MatchSchema, OpenSchema, ReadSchema, CloseSchema) < 0) {
      throw std::runtime_error("libxml2 refused the NAV schemas' input callback");
    }
    struct Unregister {
      ~Unregister() { xmlPopInputCallbacks(); }
    } unregister;
    return CompiledSchemas{Compile("invoiceData.xsd"), Compile("invoiceApi.xsd")};
  }();
  return schemas;
}

std::vector<std::string> Validate(xmlSchema* schema, std::string_view text) {
  std::vector<std::string> problems;
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    problems.push_back("line 0: the document is larger than 2 GiB");
    return problems;
  }
  xml::ParserCtxtPtr parser(xmlNewParserCtxt());
  if (!parser) throw std::bad_alloc();
  parser->_private = &problems;
  parser->sax->serror = CollectParserError;
  // No network, no external DTD, entities left unexpanded.
  xml::DocPtr document(xmlCtxtReadMemory(parser.get(), text.data(), static_cast<int>(text.size()),
                                         nullptr, nullptr, XML_PARSE_NONET));
  if (!document) {
    if (problems.empty()) problems.push_back("line 0: not well-formed XML");
    return problems;
  }
  xml::SchemaValidCtxtPtr validation(xmlSchemaNewValidCtxt(schema));
  if (!validation) throw std::bad_alloc();
  xmlSchemaSetValidStructuredErrors(validation.get(), Collect, &problems);
  const int result = xmlSchemaValidateDoc(validation.get(), document.get());
  if (result != 0 && problems.empty()) {
    problems.push_back(result < 0 ? "line 0: libxml2 could not validate the document"
                                  : "line 0: the document is not valid");
  }
  return problems;
}

}  // namespace

std::vector<std::string> ValidateInvoiceData(std::string_view xml) {
  return Validate(Schemas().invoice_data.get(), xml);
}

std::vector<std::string> ValidateInvoiceApi(std::string_view xml) {
  return Validate(Schemas().invoice_api.get(), xml);
}

}  // namespace karton::invoicing::nav
