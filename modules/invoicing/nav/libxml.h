// libxml2 for the NAV export: owners for its objects, and a writer that
// builds a document in memory with xmlTextWriter, so every text is escaped
// by libxml2 and never by hand. Internal to nav/.
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlwriter.h>

#include <memory>
#include <string>
#include <string_view>

namespace karton::invoicing::nav::xml {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* object) const { Free(object); }
};

using BufferPtr = std::unique_ptr<xmlBuffer, Deleter<xmlBuffer, xmlBufferFree>>;
using TextWriterPtr = std::unique_ptr<xmlTextWriter, Deleter<xmlTextWriter, xmlFreeTextWriter>>;
using DocPtr = std::unique_ptr<xmlDoc, Deleter<xmlDoc, xmlFreeDoc>>;
using ParserCtxtPtr = std::unique_ptr<xmlParserCtxt, Deleter<xmlParserCtxt, xmlFreeParserCtxt>>;
using SchemaParserCtxtPtr =
    std::unique_ptr<xmlSchemaParserCtxt, Deleter<xmlSchemaParserCtxt, xmlSchemaFreeParserCtxt>>;
using SchemaPtr = std::unique_ptr<xmlSchema, Deleter<xmlSchema, xmlSchemaFree>>;
using SchemaValidCtxtPtr =
    std::unique_ptr<xmlSchemaValidCtxt, Deleter<xmlSchemaValidCtxt, xmlSchemaFreeValidCtxt>>;

// A UTF-8 document written element by element, indented by two spaces:
//
//   Writer writer;
//   writer.Start("InvoiceData");
//   writer.Attribute("xmlns", kDataNamespace);
//   writer.Element("invoiceNumber", "KRT-2026-000123");
//   writer.End();
//   std::string xml = std::move(writer).Finish();
//
// Names are the caller's constants ("base:city"); texts are anything and
// escaped by libxml2. Throws std::runtime_error when libxml2 fails (out of
// memory).
class Writer {
 public:
  Writer();

  void Start(const char* name);
  void End();
  void Attribute(const char* name, std::string_view value);
  // <name>text</name>
  void Element(const char* name, std::string_view text);
  // Text in the element started last, after its attributes.
  void Text(std::string_view text);
  // The document, every element closed.
  std::string Finish() &&;

 private:
  BufferPtr buffer_;
  TextWriterPtr writer_;
};

}  // namespace karton::invoicing::nav::xml
