#include "multipart_form.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace karton::kernel {
namespace {

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The parameters after a header value's first ';': name=token or
// name="quoted" (a backslash takes the next character as it is). Names
// lower-case.
std::vector<std::pair<std::string, std::string>> Parameters(std::string_view value) {
  std::vector<std::pair<std::string, std::string>> parameters;
  std::size_t at = value.find(';');
  while (at != std::string_view::npos && at < value.size()) {
    ++at;  // past ';'
    while (at < value.size() && (value[at] == ' ' || value[at] == '\t')) ++at;
    const std::size_t equals = value.find('=', at);
    if (equals == std::string_view::npos) break;
    std::string name = Lower(Trimmed(value.substr(at, equals - at)));
    std::string parameter_value;
    at = equals + 1;
    if (at < value.size() && value[at] == '"') {
      ++at;
      bool closed = false;
      while (at < value.size()) {
        const char c = value[at++];
        if (c == '\\' && at < value.size()) {
          parameter_value += value[at++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          parameter_value += c;
        }
      }
      if (!closed) {
        throw MultipartFormError(fmt::format("the parameter {} has no closing quote", name));
      }
      at = value.find(';', at);
    } else {
      const std::size_t end = value.find(';', at);
      parameter_value = std::string(Trimmed(
          value.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at)));
      at = end;
    }
    parameters.emplace_back(std::move(name), std::move(parameter_value));
  }
  return parameters;
}

}  // namespace

std::string FormBoundaryOf(std::string_view content_type) {
  const std::string media_type = Lower(Trimmed(content_type.substr(0, content_type.find(';'))));
  if (media_type != "multipart/form-data") {
    throw MultipartFormError("the body must be multipart/form-data");
  }
  for (const auto& [name, value] : Parameters(content_type)) {
    if (name != "boundary") continue;
    // RFC 2046: 1 to 70 characters; a space may not end it.
    if (value.empty() || value.size() > 70 || value.back() == ' ') {
      throw MultipartFormError("the boundary must be 1 to 70 characters");
    }
    for (const unsigned char c : value) {
      if (c < 0x20 || c >= 0x7f) {
        throw MultipartFormError("the boundary must be printable ASCII");
      }
    }
    return value;
  }
  throw MultipartFormError("the Content-Type names no boundary");
}

std::vector<FormPart> ParseMultipartForm(std::string_view content_type, std::string_view body,
                                         std::size_t max_parts) {
  const std::string delimiter = "--" + FormBoundaryOf(content_type);
  // The first delimiter may follow a preamble; later ones follow a CRLF
  // that belongs to them, not to the part before.
  std::size_t at = 0;
  if (body.substr(0, delimiter.size()) != delimiter) {
    at = body.find("\r\n" + delimiter);
    if (at == std::string_view::npos) throw MultipartFormError("the body has no boundary line");
    at += 2;
  }
  at += delimiter.size();
  std::vector<FormPart> parts;
  const std::string next_delimiter = "\r\n" + delimiter;
  for (;;) {
    if (body.substr(at, 2) == "--") return parts;  // the closing delimiter
    // Whitespace may trail a boundary line.
    while (at < body.size() && (body[at] == ' ' || body[at] == '\t')) ++at;
    if (body.substr(at, 2) != "\r\n") {
      throw MultipartFormError("a boundary line does not end with CRLF");
    }
    at += 2;
    if (parts.size() == max_parts) {
      throw MultipartFormError(fmt::format("more than {} parts", max_parts));
    }
    const std::size_t headers_end = body.find("\r\n\r\n", at);
    // A part without headers starts its content at once ("\r\n" right
    // after the boundary line's); RFC 7578 requires Content-Disposition,
    // so that is refused below anyway.
    if (headers_end == std::string_view::npos) {
      throw MultipartFormError("a part's headers do not end");
    }
    FormPart part;
    bool form_data = false;
    std::string_view headers = body.substr(at, headers_end - at);
    while (!headers.empty()) {
      const std::size_t line_end = headers.find("\r\n");
      const std::string_view line = headers.substr(0, line_end);
      headers.remove_prefix(line_end == std::string_view::npos ? headers.size() : line_end + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        throw MultipartFormError("a part's header line has no ':'");
      }
      const std::string name = Lower(Trimmed(line.substr(0, colon)));
      const std::string_view value = Trimmed(line.substr(colon + 1));
      if (name == "content-disposition") {
        form_data = Lower(Trimmed(value.substr(0, value.find(';')))) == "form-data";
        for (auto& [parameter, parameter_value] : Parameters(value)) {
          if (parameter == "name") part.name = std::move(parameter_value);
          if (parameter == "filename") part.file_name = std::move(parameter_value);
        }
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    if (!form_data || part.name.empty()) {
      throw MultipartFormError(fmt::format(
          "part {} has no 'Content-Disposition: form-data; name=...'", parts.size() + 1));
    }
    const std::size_t content_begin = headers_end + 4;
    const std::size_t content_end = body.find(next_delimiter, content_begin);
    if (content_end == std::string_view::npos) {
      throw MultipartFormError(
          fmt::format("the part '{}' does not end with a boundary line", part.name));
    }
    part.body = body.substr(content_begin, content_end - content_begin);
    parts.push_back(std::move(part));
    at = content_end + next_delimiter.size();
  }
}

}  // namespace karton::kernel
