#include "karton/kernel/secrets.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace karton::kernel {

std::string ReadSecretFile(const std::filesystem::path& file) {
  constexpr std::size_t kMaxSecretBytes = 4096;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw std::runtime_error(
        fmt::format("cannot read the secret file {}: {}", file.string(), std::strerror(errno)));
  }
  std::string secret;
  secret.resize(kMaxSecretBytes + 1);
  in.read(secret.data(), static_cast<std::streamsize>(secret.size()));
  secret.resize(static_cast<std::size_t>(in.gcount()));
  if (secret.size() > kMaxSecretBytes) {
    throw std::runtime_error(
        fmt::format("the secret file {} is larger than {} bytes", file.string(), kMaxSecretBytes));
  }
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) {
    throw std::runtime_error(fmt::format("the secret file {} is empty", file.string()));
  }
  return secret;
}

std::string RedactedUrl(std::string_view url) {
  std::string redacted(url);
  const std::size_t scheme_end = redacted.find("://");
  if (scheme_end != std::string::npos) {
    const std::size_t authority = scheme_end + 3;
    const std::size_t authority_end = redacted.find_first_of("/?#", authority);
    // The last '@' of the authority ends the user-info (a password may hold '@').
    const std::size_t at =
        redacted.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end);
    if (at == std::string::npos || at < authority) return redacted;
    const std::size_t colon = redacted.find(':', authority);
    if (colon == std::string::npos || colon > at) return redacted;
    return redacted.replace(colon + 1, at - colon - 1, "***");
  }
  // A conninfo: password=value or password='quoted value'.
  for (std::size_t at = redacted.find("password"); at != std::string::npos;
       at = redacted.find("password", at + 1)) {
    if (at > 0 && redacted[at - 1] != ' ' && redacted[at - 1] != '\t') continue;
    std::size_t value = at + 8;
    while (value < redacted.size() && redacted[value] == ' ') ++value;
    if (value >= redacted.size() || redacted[value] != '=') continue;
    ++value;
    while (value < redacted.size() && redacted[value] == ' ') ++value;
    std::size_t end = value;
    if (end < redacted.size() && redacted[end] == '\'') {
      ++end;
      while (end < redacted.size() && redacted[end] != '\'') end += redacted[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, redacted.size());
    } else {
      while (end < redacted.size() && redacted[end] != ' ') ++end;
    }
    redacted.replace(value, end - value, "***");
  }
  return redacted;
}

}  // namespace karton::kernel
