// Files for browsers: the streaming gRPC methods that carry a file, as plain
// HTTP (docs/api.md, "Files over HTTP"). Browsers cannot make
// client-streaming calls, and a download the browser saves or opens needs
// a URL, so:
//
//   POST /files/<package>.<Service>/<Method>   multipart/form-data
//     for a client-streaming method whose request is a oneof of a message
//     (the first message: its fields as JSON in the form field "request")
//     and bytes (every later message: the form field "file", sent in
//     pieces). The answer is the method's response as JSON (the last one,
//     if the method streams answers too).
//   GET /files/<package>.<Service>/<Method>?<field>=<value>&...
//     for a server-streaming method: the request's scalar fields from the
//     query; the answer's bytes fields, concatenated, are the body. A
//     message in the answer gives the Content-Type and the file name when
//     it has content_type and name (or file_name) fields. The query
//     parameters `filename` (the saved file's name) and `inline` (open in
//     the browser: PDFs, images, plain text only) are the bridge's own.
//
// Generic over the descriptors like the JSON gateway: a module's file
// method needs no bridge code. The caller is authenticated and authorized
// as on the gRPC port (bearer token, or the web session's cookie, with the
// CSRF token on uploads), and the call goes to the module's handler over
// the in-process channel, so roles, record sharing, call budgets and the
// module's own limits apply unchanged.
#pragma once

#include <functional>
#include <memory>

#include "karton/kernel/http.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace karton::kernel {

class AccessControl;

class FileBridge {
 public:
  FileBridge(AccessControl& access, std::function<std::shared_ptr<grpc::Channel>()> channel)
      : access_(access), channel_(std::move(channel)) {}

  HttpResponse Upload(const HttpRequest& request) const;    // POST /files/{service}/{method}
  HttpResponse Download(const HttpRequest& request) const;  // GET /files/{service}/{method}

  // The largest upload body and download the bridge carries: it holds a
  // file in memory. Larger files go through gRPC, which streams them.
  static constexpr std::size_t kMaxFileBytes = 64 * 1024 * 1024;

 private:
  AccessControl& access_;
  std::function<std::shared_ptr<grpc::Channel>()> channel_;
};

// The Content-Disposition header for a file named `file_name` (UTF-8):
// an ASCII fallback and the exact name in RFC 5987's filename*.
std::string ContentDisposition(bool inline_display, std::string_view file_name);

}  // namespace karton::kernel
