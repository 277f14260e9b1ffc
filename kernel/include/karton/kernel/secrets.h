// Passwords and keys kartond is given, kept out of command lines and logs.
//
// A secret on the command line is visible to every local user in `ps` and
// /proc, and ends up in shell history and unit files; a file readable only
// by kartond's user is not. So every password option has a *_file twin
// (--database-password-file, --smtp-password-file), read with
// ReadSecretFile. URLs that may carry credentials are logged and put into
// error messages only through RedactedUrl.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace karton::kernel {

// The file's content without its trailing line break. Throws
// std::runtime_error naming the file (never its content) when it cannot be
// read, is empty, or is larger than 4 KiB (a secret, not a document).
std::string ReadSecretFile(const std::filesystem::path& file);

// `url` with the password of its user-info replaced by "***":
// "smtp://mailer:hunter2@mail.example:587" -> "smtp://mailer:***@mail.example:587".
// A libpq conninfo ("host=... password=...") has its password value
// replaced the same way. Anything else comes back unchanged.
std::string RedactedUrl(std::string_view url);

}  // namespace karton::kernel
