#include "web_app.h"

#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "http_server.h"

namespace karton::kernel {
namespace {

// Smaller files gain too little from compression to be worth a header.
constexpr std::size_t kCompressFrom = 1024;

std::string ContentTypeOf(const std::filesystem::path& path) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  };
  const auto found = kTypes.find(path.extension().string());
  return found == kTypes.end() ? "application/octet-stream" : found->second;
}

// gzip (RFC 1952) at the best level: done once per file at start.
std::string Gzip(const std::string& input) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return "";
  }
  std::string output(deflateBound(&stream, static_cast<uLong>(input.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(output.data());
  stream.avail_out = static_cast<uInt>(output.size());
  const int result = deflate(&stream, Z_FINISH);
  output.resize(stream.total_out);
  deflateEnd(&stream);
  return result == Z_STREAM_END ? output : "";
}

std::string EtagOf(const std::string& body) {
  unsigned char hash[crypto_generichash_BYTES_MIN];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(body.data()),
                     body.size(), nullptr, 0);
  std::string hex(sizeof hash * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), hash, sizeof hash);
  hex.pop_back();
  return "\"" + hex + "\"";
}

bool AcceptsGzip(const HttpRequest& request) {
  const auto found = request.headers.find("accept-encoding");
  return found != request.headers.end() && found->second.find("gzip") != std::string::npos;
}

// The app's pages load only what kartond itself serves: no CDN, no inline
// script, no framing by other sites.
void AddSecurityHeaders(HttpResponse& response) {
  response.headers["content-security-policy"] =
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
      "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
      "form-action 'self'";
  response.headers["x-content-type-options"] = "nosniff";
  response.headers["referrer-policy"] = "same-origin";
  response.headers["x-frame-options"] = "DENY";
}

}  // namespace

std::filesystem::path DefaultWebDirectory() {
  std::error_code error;
  const auto executable = std::filesystem::canonical("/proc/self/exe", error);
  if (error) return {};
  return executable.parent_path().parent_path() / "share" / "karton" / "web";
}

WebApp::WebApp(const std::filesystem::path& directory) : directory_(directory) {
  std::error_code error;
  if (directory.empty() || !std::filesystem::is_directory(directory, error)) {
    spdlog::warn("web client: {} has no build of it; /app/ answers 404 (docs/web.md)",
                 directory.string());
    return;
  }
  std::size_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory, error)) {
    if (!entry.is_regular_file()) continue;
    const auto relative = std::filesystem::relative(entry.path(), directory).generic_string();
    std::ifstream in(entry.path(), std::ios::binary);
    File file;
    file.body.assign(std::istreambuf_iterator<char>(in), {});
    file.content_type = ContentTypeOf(entry.path());
    file.etag = EtagOf(file.body);
    file.immutable = relative.rfind("assets/", 0) == 0;
    if (file.body.size() >= kCompressFrom &&
        file.content_type.find("image/png") == std::string::npos &&
        file.content_type != "font/woff2") {
      file.gzipped = Gzip(file.body);
      if (file.gzipped.size() >= file.body.size()) file.gzipped.clear();
    }
    bytes += file.body.size();
    files_.emplace(relative, std::move(file));
  }
  spdlog::info("web client: {} files ({} bytes) from {}", files_.size(), bytes, directory.string());
}

HttpResponse WebApp::Serve(const HttpRequest& request, const std::string& relative) const {
  const auto found = files_.find(relative);
  if (found == files_.end()) {
    if (files_.empty()) {
      return HttpResponse::Text(404, fmt::format("the web client is not built in {}: build it with "
                                                 "tools/build (it needs npm; docs/web.md)\n",
                                                 directory_.string()));
    }
    return HttpResponse::Text(404, "no such file of the web client: " + relative + "\n");
  }
  const File& file = found->second;
  HttpResponse response{200, file.content_type, "", {}};
  AddSecurityHeaders(response);
  response.headers["etag"] = file.etag;
  response.headers["cache-control"] =
      file.immutable ? "public, max-age=31536000, immutable" : "no-cache";
  if (!file.gzipped.empty()) response.headers["vary"] = "Accept-Encoding";
  const auto if_none_match = request.headers.find("if-none-match");
  if (if_none_match != request.headers.end() && if_none_match->second == file.etag) {
    response.status = 304;
    return response;
  }
  if (!file.gzipped.empty() && AcceptsGzip(request)) {
    response.headers["content-encoding"] = "gzip";
    response.body = file.gzipped;
  } else {
    response.body = file.body;
  }
  return response;
}

void WebApp::AddRoutes(HttpRouter& router) const {
  const HttpRouteLimits no_body{.max_body_bytes = 0, .pool = HttpPool::kPages};
  router.Add(
      HttpMethod::kGet, "/",
      [](const HttpRequest&) {
        HttpResponse response{302, "text/plain; charset=utf-8", "/app/\n", {}};
        response.headers["location"] = "/app/";
        return response;
      },
      no_body);
  router.Add(
      HttpMethod::kGet, "/app",
      [](const HttpRequest&) {
        HttpResponse response{301, "text/plain; charset=utf-8", "/app/\n", {}};
        response.headers["location"] = "/app/";
        return response;
      },
      no_body);
  router.Add(
      HttpMethod::kGet, "/app/",
      [this](const HttpRequest& request) { return Serve(request, "index.html"); }, no_body);
  router.Add(
      HttpMethod::kGet, "/app/{file}",
      [this](const HttpRequest& request) { return Serve(request, request.path_params.at("file")); },
      no_body);
  router.Add(
      HttpMethod::kGet, "/app/assets/{file}",
      [this](const HttpRequest& request) {
        return Serve(request, "assets/" + request.path_params.at("file"));
      },
      no_body);
}

}  // namespace karton::kernel
