#include "inbound/inbound_mime.h"

#include <gmime/gmime.h>
#include <re2/re2.h>

#include <memory>
#include <mutex>
#include <utility>

namespace karton::messaging {
namespace {

struct GObjectUnref {
  void operator()(gpointer object) const {
    if (object != nullptr) g_object_unref(object);
  }
};
template <class T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

struct GFree {
  void operator()(gpointer memory) const { g_free(memory); }
};
using GString = std::unique_ptr<char, GFree>;

struct ReferencesFree {
  void operator()(GMimeReferences* references) const { g_mime_references_free(references); }
};

std::string Text(const char* text) { return text != nullptr ? text : ""; }

std::string LowerAscii(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

std::string Trimmed(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// The ids of a References or In-Reply-To header, in order.
std::vector<std::string> MessageIds(GMimeObject* object, const char* header) {
  std::vector<std::string> ids;
  const char* value = g_mime_object_get_header(object, header);
  if (value == nullptr) return ids;
  std::unique_ptr<GMimeReferences, ReferencesFree> references(
      g_mime_references_parse(nullptr, value));
  if (!references) return ids;
  for (int i = 0; i < g_mime_references_length(references.get()); ++i) {
    ids.push_back(Text(g_mime_references_get_message_id(references.get(), i)));
  }
  return ids;
}

// A part's body, decoded from its transfer encoding (not its charset).
std::string DecodedContent(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return "";
  GObjectPtr<GMimeStream> out(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, out.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::string MediaType(GMimeObject* object) {
  GString type(g_mime_content_type_get_mime_type(g_mime_object_get_content_type(object)));
  return LowerAscii(Text(type.get()));
}

// Text for people from HTML: tags and the contents of style and script
// dropped, the common entities read. An excerpt, not a rendering.
std::string TextOfHtml(std::string html) {
  static const RE2 kInvisible(R"((?is)<(style|script)[^>]*>.*?</(style|script)\s*>)");
  static const RE2 kBreak(R"((?i)<(br|/p|/div|/tr|/li|/h[1-6])[^>]*>)");
  static const RE2 kTag(R"(<[^>]*>)");
  RE2::GlobalReplace(&html, kInvisible, "");
  RE2::GlobalReplace(&html, kBreak, "\n");
  RE2::GlobalReplace(&html, kTag, "");
  for (const auto& [entity, text] :
       std::initializer_list<std::pair<const char*, const char*>>{{"&nbsp;", " "},
                                                                  {"&lt;", "<"},
                                                                  {"&gt;", ">"},
                                                                  {"&quot;", "\""},
                                                                  {"&#39;", "'"},
                                                                  {"&amp;", "&"}}) {
    std::string::size_type at = 0;
    const std::string needle = entity;
    while ((at = html.find(needle, at)) != std::string::npos) {
      html.replace(at, needle.size(), text);
      at += std::string(text).size();
    }
  }
  return Trimmed(html);
}

// The groups of header fields in a message/delivery-status body (RFC 3464,
// section 2.1): read with GMime's own header parser, one group at a time.
std::vector<GObjectPtr<GMimeObject>> FieldGroups(const std::string& body) {
  std::vector<GObjectPtr<GMimeObject>> groups;
  std::string rest = body;
  for (int guard = 0; guard < 1000; ++guard) {
    const auto start = rest.find_first_not_of("\r\n");
    if (start == std::string::npos) break;
    rest.erase(0, start);
    // Ends the fields with a blank line, so that what follows is the body.
    if (rest.find("\n\n") == std::string::npos && rest.find("\r\n\r\n") == std::string::npos) {
      rest += "\n\n";
    }
    GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(rest.data(), rest.size()));
    GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    GObjectPtr<GMimeObject> group(g_mime_parser_construct_part(parser.get(), nullptr));
    if (!group || !GMIME_IS_PART(group.get())) break;
    rest = DecodedContent(GMIME_PART(group.get()));
    groups.push_back(std::move(group));
  }
  return groups;
}

// "rfc822; anna@example.hu" -> "anna@example.hu".
std::string TypedValue(const char* field) {
  std::string value = Text(field);
  const auto semicolon = value.find(';');
  if (semicolon != std::string::npos) value.erase(0, semicolon + 1);
  return Trimmed(value);
}

std::string WithoutBrackets(std::string id) {
  id = Trimmed(std::move(id));
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  return id;
}

// The Message-ID in returned headers (text/rfc822-headers).
std::string MessageIdOfHeaders(const std::string& headers) {
  std::string text = headers;
  text += "\n\n";
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(text.data(), text.size()));
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GObjectPtr<GMimeObject> part(g_mime_parser_construct_part(parser.get(), nullptr));
  if (!part) return "";
  return WithoutBrackets(Text(g_mime_object_get_header(part.get(), "Message-ID")));
}

// The mailboxes of an address list, groups opened, lower case.
void AddMailboxes(InternetAddressList* list, std::vector<std::string>& into, int depth = 0) {
  if (list == nullptr || depth > 4) return;
  for (int i = 0; i < internet_address_list_length(list); ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
      std::string mailbox = LowerAscii(
          Trimmed(Text(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address)))));
      if (!mailbox.empty()) into.push_back(std::move(mailbox));
    } else if (INTERNET_ADDRESS_IS_GROUP(address)) {
      AddMailboxes(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), into,
                   depth + 1);
    }
  }
}

struct Walk {
  ReceivedEmail* email = nullptr;
  std::string html;
  std::string delivery_status;
  std::string returned_message_id;
  bool have_text = false;
};

void VisitPart(GMimeObject* /*parent*/, GMimeObject* part, gpointer data) {
  auto& walk = *static_cast<Walk*>(data);
  const std::string type = MediaType(part);
  if (GMIME_IS_MESSAGE_PART(part)) {
    // A returned or forwarded email: in a report, whose Message-ID it had;
    // otherwise an attachment like any other file.
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
    if (walk.email->is_delivery_report) {
      if (inner != nullptr && walk.returned_message_id.empty()) {
        walk.returned_message_id = Text(g_mime_message_get_message_id(inner));
      }
      return;
    }
    if (inner == nullptr) return;
    GObjectPtr<GMimeStream> out(g_mime_stream_mem_new());
    g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, out.get());
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
    walk.email->attachments.push_back(
        {.file_name = "message-" + std::to_string(walk.email->attachments.size() + 1) + ".eml",
         .media_type = type,
         .content = std::string(reinterpret_cast<const char*>(bytes->data), bytes->len)});
    return;
  }
  if (!GMIME_IS_PART(part)) return;  // multiparts: foreach goes into them itself
  GMimePart* leaf = GMIME_PART(part);
  if (walk.email->is_delivery_report) {
    if (type == "message/delivery-status" || type == "message/global-delivery-status") {
      walk.delivery_status = DecodedContent(leaf);
      return;
    }
    if (type == "text/rfc822-headers" || type == "text/global-headers") {
      if (walk.returned_message_id.empty()) {
        walk.returned_message_id = MessageIdOfHeaders(DecodedContent(leaf));
      }
      return;
    }
  }
  const bool named = g_mime_part_get_filename(leaf) != nullptr;
  if (!g_mime_part_is_attachment(leaf) && !named && GMIME_IS_TEXT_PART(part)) {
    if (type == "text/plain" && !walk.have_text) {
      GString text(g_mime_text_part_get_text(GMIME_TEXT_PART(part)));
      walk.email->text = Text(text.get());
      walk.have_text = true;
      return;
    }
    if (type == "text/html" && walk.html.empty()) {
      GString text(g_mime_text_part_get_text(GMIME_TEXT_PART(part)));
      walk.html = Text(text.get());
      return;
    }
    if (type == "text/plain" || type == "text/html") return;  // a second alternative
  }
  std::string name = Text(g_mime_part_get_filename(leaf));
  if (name.empty()) name = "attachment-" + std::to_string(walk.email->attachments.size() + 1);
  walk.email->attachments.push_back(
      {.file_name = std::move(name), .media_type = type, .content = DecodedContent(leaf)});
}

// `text` as UTF-8. GMime converts declared charsets, but a part without
// one (or a header with raw 8-bit bytes it passes through) can hold any
// bytes, and what messaging keeps goes into protobuf strings and
// PostgreSQL text, which take only UTF-8 (found by fuzzing). Such text is
// read as GMime guesses its charset, and whatever still is not UTF-8
// becomes U+FFFD.
std::string Utf8(std::string text) {
  if (g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) return text;
  GString decoded(g_mime_utils_decode_8bit(nullptr, text.data(), text.size()));
  if (decoded && g_utf8_validate(decoded.get(), -1, nullptr)) return Text(decoded.get());
  GString valid(g_utf8_make_valid(text.data(), static_cast<gssize>(text.size())));
  return Text(valid.get());
}

void MakeUtf8(ReceivedEmail& email) {
  for (std::string* text :
       {&email.message_id, &email.from_address, &email.from_name, &email.subject, &email.text}) {
    *text = Utf8(std::move(*text));
  }
  for (auto* ids :
       {&email.in_reply_to, &email.references, &email.to_addresses, &email.cc_addresses}) {
    for (auto& id : *ids) id = Utf8(std::move(id));
  }
  for (auto& attachment : email.attachments) {
    attachment.file_name = Utf8(std::move(attachment.file_name));
    attachment.media_type = Utf8(std::move(attachment.media_type));
  }
  for (auto& report : email.delivery_reports) {
    for (std::string* text : {&report.recipient, &report.action, &report.status, &report.diagnostic,
                              &report.original_message_id}) {
      *text = Utf8(std::move(*text));
    }
  }
}

}  // namespace

// GMime cannot be initialised again after g_mime_shutdown() (its charset
// tables stay gone), so it is initialised once per process and left to
// the process's end (or the unloading of libgmime with the module).
GMimeLibrary::GMimeLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}
GMimeLibrary::~GMimeLibrary() = default;

std::string ReceivedEmail::ThreadId() const {
  if (!references.empty()) return references.front();
  if (!in_reply_to.empty()) return in_reply_to.front();
  return message_id;
}

std::string Utf8Cut(const std::string& text, std::size_t bytes) {
  if (text.size() <= bytes) return text;
  while (bytes > 0 && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) --bytes;
  return text.substr(0, bytes);
}

std::optional<ReceivedEmail> ParseEmail(std::string_view raw, std::string& problem) {
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GObjectPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!message) {
    problem = "not an email (no header block GMime could read)";
    return std::nullopt;
  }
  ReceivedEmail email;
  auto* object = GMIME_OBJECT(message.get());
  email.message_id = Text(g_mime_message_get_message_id(message.get()));
  email.subject = Trimmed(Text(g_mime_message_get_subject(message.get())));
  if (InternetAddressList* from = g_mime_message_get_from(message.get()); from != nullptr) {
    for (int i = 0; i < internet_address_list_length(from); ++i) {
      InternetAddress* address = internet_address_list_get_address(from, i);
      if (!INTERNET_ADDRESS_IS_MAILBOX(address)) continue;
      email.from_address = LowerAscii(
          Trimmed(Text(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address)))));
      email.from_name = Trimmed(Text(internet_address_get_name(address)));
      break;
    }
  }
  AddMailboxes(g_mime_message_get_to(message.get()), email.to_addresses);
  AddMailboxes(g_mime_message_get_cc(message.get()), email.cc_addresses);
  if (GDateTime* date = g_mime_message_get_date(message.get()); date != nullptr) {
    // A Date the clock cannot hold (before 1678 or after 2262, in
    // nanoseconds) is as good as none: converting it overflowed (found by
    // fuzzing).
    constexpr auto kLimit =
        std::chrono::duration_cast<std::chrono::seconds>(kernel::TimePoint::duration::max())
            .count();
    const gint64 seconds = g_date_time_to_unix(date);
    if (seconds > -kLimit && seconds < kLimit) {
      email.date = kernel::TimePoint(std::chrono::seconds(seconds));
    }
  }
  const std::string auto_submitted =
      LowerAscii(Trimmed(Text(g_mime_object_get_header(object, "Auto-Submitted"))));
  const std::string local_part = email.from_address.substr(0, email.from_address.find('@'));
  email.automatic = (!auto_submitted.empty() && auto_submitted.rfind("no", 0) != 0) ||
                    local_part == "mailer-daemon" || local_part == "postmaster";
  email.in_reply_to = MessageIds(object, "In-Reply-To");
  email.references = MessageIds(object, "References");

  GMimeObject* body = g_mime_message_get_mime_part(message.get());
  if (body != nullptr &&
      g_mime_content_type_is_type(g_mime_object_get_content_type(body), "multipart", "report")) {
    const std::string report_type =
        LowerAscii(Text(g_mime_object_get_content_type_parameter(body, "report-type")));
    email.is_delivery_report =
        report_type == "delivery-status" || report_type == "global-delivery-status";
  }
  Walk walk{.email = &email};
  g_mime_message_foreach(message.get(), VisitPart, &walk);
  if (!walk.have_text && !walk.html.empty()) email.text = TextOfHtml(walk.html);

  if (email.is_delivery_report) {
    const auto groups = FieldGroups(walk.delivery_status);
    // The first group is about the message, the others each about one recipient.
    std::string original_id;
    if (!groups.empty()) {
      original_id =
          WithoutBrackets(Text(g_mime_object_get_header(groups[0].get(), "Original-Message-ID")));
    }
    if (original_id.empty()) original_id = WithoutBrackets(walk.returned_message_id);
    for (std::size_t i = 1; i < groups.size(); ++i) {
      GMimeObject* group = groups[i].get();
      DeliveryReport report;
      report.recipient = LowerAscii(TypedValue(g_mime_object_get_header(group, "Final-Recipient")));
      if (report.recipient.empty()) {
        report.recipient =
            LowerAscii(TypedValue(g_mime_object_get_header(group, "Original-Recipient")));
      }
      report.action = LowerAscii(Trimmed(Text(g_mime_object_get_header(group, "Action"))));
      report.status = Trimmed(Text(g_mime_object_get_header(group, "Status")));
      // "5.1.1 (user unknown)": the code only.
      report.status = report.status.substr(0, report.status.find_first_of(" \t("));
      report.diagnostic = TypedValue(g_mime_object_get_header(group, "Diagnostic-Code"));
      report.original_message_id = original_id;
      if (!report.action.empty() || !report.status.empty()) {
        email.delivery_reports.push_back(std::move(report));
      }
    }
  }
  MakeUtf8(email);
  return email;
}

}  // namespace karton::messaging
