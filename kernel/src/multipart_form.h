// multipart/form-data bodies (RFC 7578), as browsers send a form with a
// file: the web client's uploads to /files (file_bridge.h). A small strict
// parser of our own rather than GMime: the kernel does not link GLib, and
// form data needs only boundaries, two headers and their parameters.
// Outside input: fuzzed (tests/fuzz/multipart_form_fuzz.cpp).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace karton::kernel {

// Why a body is not the form data it claims to be; the message says what
// is wrong for the caller's 400.
class MultipartFormError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct FormPart {
  std::string name;          // Content-Disposition's name
  std::string file_name;     // its filename, empty for a plain field
  std::string content_type;  // the part's Content-Type; empty if none was given
  std::string_view body;     // points into the parsed body
};

// The boundary of a "multipart/form-data; boundary=..." Content-Type.
std::string FormBoundaryOf(std::string_view content_type);

// The parts of `body`, in order. At most `max_parts`; each part needs a
// Content-Disposition of form-data with a name. Throws MultipartFormError.
std::vector<FormPart> ParseMultipartForm(std::string_view content_type, std::string_view body,
                                         std::size_t max_parts = 16);

}  // namespace karton::kernel
