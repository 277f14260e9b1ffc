// The web client (web/, docs/web.md), served by kartond itself at /app/.
//
// The built files (index.html and content-hashed assets) are read into
// memory once at start, gzip-compressed once where that pays, and answered
// from there: no disk access, no compression per request. Assets are
// cacheable for good (their names change with their content); index.html is
// revalidated with its ETag every time, so a new build reaches browsers at
// once. The app is addressed by the URL's hash (#/partners/42), so these
// few routes serve all of it.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "karton/kernel/http.h"

namespace karton::kernel {

class HttpRouter;

class WebApp {
 public:
  // Reads every file under `directory`. A missing directory (a build
  // without npm) is not an error: /app/ then answers 404 saying how to
  // build the client.
  explicit WebApp(const std::filesystem::path& directory);

  // GET / (a redirect to /app/), /app/, /app/{file}, /app/assets/{file}.
  void AddRoutes(HttpRouter& router) const;

  std::size_t FileCount() const { return files_.size(); }

 private:
  struct File {
    std::string content_type;
    std::string body;
    std::string gzipped;  // empty: not worth compressing
    std::string etag;
    bool immutable = false;  // under assets/: named by its content
  };

  HttpResponse Serve(const HttpRequest& request, const std::string& relative) const;

  std::filesystem::path directory_;
  std::map<std::string, File> files_;  // by path relative to the directory
};

// The directory kartond serves the web client from by default: the build's
// web output or the installed one, beside the modules
// (<kartond dir>/../share/karton/web).
std::filesystem::path DefaultWebDirectory();

}  // namespace karton::kernel
