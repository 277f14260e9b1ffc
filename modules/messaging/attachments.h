// What an email attachment may be called and typed as (SendMessage).
// Names and types end up in MIME headers and in the partners module's
// document store, so they are checked strictly and refused, never
// silently changed: the caller learns which field was wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace karton::messaging {

// At most so many attachments and Cc recipients on one email.
inline constexpr int kMaxAttachments = 10;
inline constexpr int kMaxCc = 20;

// Why `name` cannot be an attachment's file name, or nullopt when it can:
// 1 to 255 bytes of valid UTF-8, without '/' or '\', control characters,
// line or paragraph separators or bidirectional controls (which can make
// "invoice\u202Efdp.exe" show as "invoiceexe.pdf"), and not "." or "..".
std::optional<std::string> FileNameProblem(std::string_view name);

// The media type an attachment is sent with, in lower case: type/subtype
// (RFC 6838 names, no parameters); empty gives application/octet-stream.
// multipart/* and message/* are refused: their bodies are MIME structure,
// not a file. nullopt with `problem` set when refused.
std::optional<std::string> AttachmentMediaType(std::string_view type, std::string& problem);

// "1.5 MiB", "300 KiB", "12 bytes": a size for people.
std::string SizeText(std::int64_t bytes);

}  // namespace karton::messaging
