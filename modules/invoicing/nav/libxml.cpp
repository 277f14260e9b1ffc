#include "nav/libxml.h"

#include <stdexcept>

namespace karton::invoicing::nav::xml {
namespace {

const xmlChar* Chars(const char* text) { return reinterpret_cast<const xmlChar*>(text); }

void Check(int result, const char* what) {
  if (result < 0) throw std::runtime_error(std::string("libxml2 could not write ") + what);
}

}  // namespace

Writer::Writer() : buffer_(xmlBufferCreate()) {
  if (!buffer_) throw std::runtime_error("libxml2 could not allocate a buffer");
  writer_.reset(xmlNewTextWriterMemory(buffer_.get(), 0));
  if (!writer_) throw std::runtime_error("libxml2 could not create a writer");
  Check(xmlTextWriterSetIndent(writer_.get(), 1), "the indentation");
  Check(xmlTextWriterSetIndentString(writer_.get(), Chars("  ")), "the indentation");
  Check(xmlTextWriterStartDocument(writer_.get(), nullptr, "UTF-8", nullptr), "the declaration");
}

void Writer::Start(const char* name) {
  Check(xmlTextWriterStartElement(writer_.get(), Chars(name)), name);
}

void Writer::End() { Check(xmlTextWriterEndElement(writer_.get()), "an end tag"); }

void Writer::Attribute(const char* name, std::string_view value) {
  const std::string text(value);
  Check(xmlTextWriterWriteAttribute(writer_.get(), Chars(name), Chars(text.c_str())), name);
}

void Writer::Element(const char* name, std::string_view text) {
  const std::string value(text);
  Check(xmlTextWriterWriteElement(writer_.get(), Chars(name), Chars(value.c_str())), name);
}

void Writer::Text(std::string_view text) {
  const std::string value(text);
  Check(xmlTextWriterWriteString(writer_.get(), Chars(value.c_str())), "a text");
}

std::string Writer::Finish() && {
  Check(xmlTextWriterEndDocument(writer_.get()), "the end of the document");
  writer_.reset();  // flushes into the buffer
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buffer_.get())),
                     static_cast<std::size_t>(xmlBufferLength(buffer_.get())));
}

}  // namespace karton::invoicing::nav::xml
