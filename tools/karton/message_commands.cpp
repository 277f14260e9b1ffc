// karton messages ...: templates, sending, letters and consent (docs/messaging.md).
#include <fmt/format.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "client.h"
#include "command_support.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

namespace mv1 = messaging::v1;
using google::protobuf::util::TimeUtil;
using Stub = mv1::MessagingService::Stub;

// Bad usage found after parsing (a missing choice, a file that does not
// read): Run prints it and the command exits with 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A command's body; its result becomes the exit code.
std::function<void()> Run(int& exit_code, std::function<int()> body) {
  return [&exit_code, body = std::move(body)] {
    try {
      exit_code = body();
    } catch (const UsageError& error) {
      std::cerr << "karton: " << error.what() << "\n";
      exit_code = 2;
    }
  };
}

template <typename Request, typename Response>
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

template <typename Request, typename Response>
grpc::Status Invoke(const GlobalOptions& options, Method<Request, Response> method,
                    const Request& request, Response& response) {
  auto stub = mv1::MessagingService::NewStub(ChannelFor(options));
  return ((*stub).*method)(MakeContext(options).get(), request, &response);
}

// Every page of a list gathered into one answer (templates and
// suppressions: short lists).
template <typename Request, typename Response>
grpc::Status InvokeAllPages(const GlobalOptions& options, Method<Request, Response> method,
                            Request request, Response& all) {
  request.set_page_size(1000);
  do {
    Response page;
    if (auto status = Invoke(options, method, request, page); !status.ok()) return status;
    request.set_page_token(page.next_page_token());
    all.MergeFrom(page);
  } while (!request.page_token().empty());
  all.clear_next_page_token();
  return grpc::Status::OK;
}

// The answer as JSON (--output json) or through `print`; errors reported.
template <typename Response, typename Print>
int Show(const GlobalOptions& options, const grpc::Status& status, const Response& response,
         Print print) {
  if (!status.ok()) return ReportError(status, options);
  if (options.output == "json") {
    std::cout << ToJson(response);
  } else {
    print(response);
  }
  return 0;
}

template <typename Request, typename Response, typename Print>
int Call(const GlobalOptions& options, Method<Request, Response> method, const Request& request,
         Print print) {
  Response response;
  const auto status = Invoke(options, method, request, response);
  return Show(options, status, response, print);
}

constexpr std::array kChannels{"email", "sms", "letter"};
constexpr std::array kCategories{"transactional", "marketing"};
constexpr std::array kStatuses{"queued", "sending", "sent", "failed", "suppressed"};
constexpr std::array kFormats{"pdf", "csv"};

std::string Time(const google::protobuf::Timestamp& time, std::size_t length = 19) {
  return ShortTime(time, length);
}

// --since and --until: RFC 3339 times (2026-11-02T08:00:00Z) into a
// request's start_time and end_time; unset when not given.
struct TimeRange {
  std::string since, until;
};

void AddTimeRange(CLI::App* command, TimeRange& range) {
  command->add_option("--since", range.since, "Queued at or after (RFC 3339)");
  command->add_option("--until", range.until, "Queued before (RFC 3339)");
}

void ParseTime(const std::string& text, const char* option, google::protobuf::Timestamp* time) {
  if (!TimeUtil::FromString(text, time)) {
    throw UsageError(fmt::format("{} takes an RFC 3339 time such as 2026-11-02T08:00:00Z, not '{}'",
                                 option, text));
  }
}

template <typename Request>
void SetTimeRange(const TimeRange& range, Request& request) {
  if (!range.since.empty()) ParseTime(range.since, "--since", request.mutable_start_time());
  if (!range.until.empty()) ParseTime(range.until, "--until", request.mutable_end_time());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read " + path);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// The media type of a file to attach, by its extension: the common office
// formats; the server takes anything else as application/octet-stream.
std::string MediaTypeOf(const std::filesystem::path& path) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".pdf", "application/pdf"},
      {".txt", "text/plain"},
      {".csv", "text/csv"},
      {".html", "text/html"},
      {".htm", "text/html"},
      {".xml", "application/xml"},
      {".json", "application/json"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".zip", "application/zip"},
      {".ics", "text/calendar"},
      {".odt", "application/vnd.oasis.opendocument.text"},
      {".ods", "application/vnd.oasis.opendocument.spreadsheet"},
      {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}};
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [suffix, type] : kTypes) {
    if (extension == suffix) return type;
  }
  return "application/octet-stream";
}

// One line of at most `width` characters (code points), "…" where cut.
std::string Shorten(std::string text, std::size_t width) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  auto starts_character = [&](std::size_t at) {
    return (static_cast<unsigned char>(text[at]) & 0xC0) != 0x80;
  };
  std::size_t characters = 0;
  for (std::size_t at = 0; at < text.size(); ++at) {
    if (!starts_character(at) || ++characters < width) continue;
    std::size_t next = at + 1;  // the last character fits only when nothing follows it
    while (next < text.size() && !starts_character(next)) ++next;
    return next == text.size() ? text : text.substr(0, at) + "…";
  }
  return text;
}

void Line(const char* label, const std::string& value) {
  if (!value.empty()) std::cout << fmt::format("  {:<12} {}\n", label, value);
}

std::string Id(std::int64_t id) { return id == 0 ? "" : std::to_string(id); }

void Block(const char* title, const std::string& text) {
  if (!text.empty())
    std::cout << fmt::format("--- {}\n{}{}", title, text, text.back() == '\n' ? "" : "\n");
}

// --- recipients and template variables, shared by send and render

struct RecipientOptions {
  std::int64_t partner_id = 0, contact_id = 0;
  std::string address;
};

void AddRecipient(CLI::App* command, RecipientOptions& recipient, bool raw_address) {
  auto* partner = command->add_option("--partner", recipient.partner_id, "A partner's id");
  auto* contact = command->add_option("--contact", recipient.contact_id, "A contact's id");
  partner->excludes(contact);
  if (raw_address) {
    auto* to = command->add_option("--to", recipient.address, "An email address or phone number");
    to->excludes(partner)->excludes(contact);
  }
}

mv1::Recipient ToRecipient(const RecipientOptions& options) {
  mv1::Recipient recipient;
  recipient.set_partner_id(options.partner_id);
  recipient.set_contact_id(options.contact_id);
  recipient.set_address(options.address);
  return recipient;
}

struct VariableOptions {
  std::vector<std::string> pairs;
  std::string json;
};

std::vector<CLI::Option*> AddVariables(CLI::App* command, VariableOptions& variables) {
  return {command->add_option("--var", variables.pairs, "key=value (a string), repeatable"),
          command->add_option("--vars-json", variables.json,
                              R"(a JSON object, e.g. '{"order":{"number":"A1"}}')")};
}

// --vars-json, then each --var over it.
google::protobuf::Struct ToStruct(const VariableOptions& variables) {
  google::protobuf::Struct result;
  if (!variables.json.empty()) {
    const auto status = google::protobuf::util::JsonStringToMessage(variables.json, &result);
    if (!status.ok()) {
      throw UsageError("--vars-json is not a JSON object: " + std::string(status.message()));
    }
  }
  for (const auto& pair : variables.pairs) {
    const auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw UsageError("--var takes key=value, not '" + pair + "'");
    }
    (*result.mutable_fields())[pair.substr(0, equals)].set_string_value(pair.substr(equals + 1));
  }
  return result;
}

// --- output

void PrintMessage(const mv1::Message& message) {
  std::cout << fmt::format("message {}: {}\n", message.id(),
                           Word(message.status(), "MESSAGE_STATUS_"));
  Line("channel", fmt::format("{} ({})", Word(message.channel(), "CHANNEL_"),
                              Word(message.category(), "CATEGORY_")));
  Line("address", Shorten(message.address(), 200));
  Line("name", message.recipient_name());
  Line("partner", Id(message.recipient().partner_id()));
  Line("contact", Id(message.recipient().contact_id()));
  if (!message.template_name().empty()) {
    Line("template", fmt::format("{} ({})", message.template_name(), message.language()));
  }
  Line("subject", message.subject());
  Line("attempts", std::to_string(message.attempts()));
  Line("last error", message.last_error());
  Line("queued", Time(message.create_time()));
  if (message.has_sent_time()) Line("sent", Time(message.sent_time()));
  Line("provider id", message.provider_message_id());
  Line("document", Id(message.document_id()));
  for (const auto& cc : message.cc()) Line("cc", cc);
  Line("reply to", message.reply_to());
  for (const auto& attachment : message.attachments()) {
    Line("attachment", fmt::format("{} ({}, {} bytes{})", attachment.file_name(),
                                   attachment.media_type(), attachment.size_bytes(),
                                   attachment.document_id() == 0
                                       ? ""
                                       : fmt::format(", document {}", attachment.document_id())));
  }
}

void PrintMessages(const mv1::ListMessagesResponse& response) {
  constexpr auto kRow = "{:>6}  {:<7} {:<10} {:<32} {:<40} {}\n";
  std::cout << fmt::format(kRow, "ID", "CHANNEL", "STATUS", "ADDRESS", "SUBJECT", "QUEUED");
  for (const auto& message : response.messages()) {
    std::cout << fmt::format(kRow, message.id(), Word(message.channel(), "CHANNEL_"),
                             Word(message.status(), "MESSAGE_STATUS_"),
                             Shorten(message.address(), 32), Shorten(message.subject(), 40),
                             Time(message.create_time(), 16));
  }
  if (!response.next_page_token().empty()) {
    std::cout << "more: --page-token " << response.next_page_token() << "\n";
  }
}

void PrintTemplate(const mv1::Template& tmpl) {
  std::cout << fmt::format("template {}: {} ({}, {})\n", tmpl.id(), tmpl.name(), tmpl.language(),
                           Word(tmpl.channel(), "CHANNEL_"));
  Line("subject", tmpl.subject());
  Line("updated", Time(tmpl.update_time()));
  Line("etag", tmpl.etag());
  Block("text", tmpl.text_body());
  Block("html", tmpl.html_body());
}

void PrintTemplates(const mv1::ListTemplatesResponse& response) {
  constexpr auto kRow = "{:>5}  {:<28} {:<5} {:<7} {:<40} {}\n";
  std::cout << fmt::format(kRow, "ID", "NAME", "LANG", "CHANNEL", "SUBJECT", "UPDATED");
  for (const auto& tmpl : response.templates()) {
    std::cout << fmt::format(kRow, tmpl.id(), tmpl.name(), tmpl.language(),
                             Word(tmpl.channel(), "CHANNEL_"), Shorten(tmpl.subject(), 40),
                             Time(tmpl.update_time(), 16));
  }
}

void PrintRendered(const mv1::RenderTemplateResponse& rendered) {
  Line("subject", rendered.subject());
  Block("text", rendered.text_body());
  Block("html", rendered.html_body());
}

void PrintSuppressions(const mv1::ListSuppressionsResponse& response) {
  constexpr auto kRow = "{:<7} {:<36} {:<17} {:<16} {}\n";
  std::cout << fmt::format(kRow, "CHANNEL", "ADDRESS", "SOURCE", "SINCE", "REASON");
  for (const auto& suppression : response.suppressions()) {
    std::cout << fmt::format(
        kRow, Word(suppression.channel(), "CHANNEL_"), suppression.address(),
        Word(suppression.source(), "SUPPRESSION_SOURCE_"), Time(suppression.create_time(), 16),
        suppression.message_id() != 0 ? fmt::format("message {}", suppression.message_id())
                                      : suppression.reason());
  }
}

// Polls GetMessage until the message is sent, failed or suppressed, for
// at most --timeout. Returns the exit code: 1 when it failed or is still
// on its way.
int AwaitDelivery(const GlobalOptions& options, mv1::Message& message) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(options.timeout_seconds);
  mv1::GetMessageRequest request;
  request.set_id(message.id());
  while (message.status() == mv1::MESSAGE_STATUS_QUEUED ||
         message.status() == mv1::MESSAGE_STATUS_SENDING) {
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << fmt::format("karton: message {} is still {} after {} s{}\n", message.id(),
                               Word(message.status(), "MESSAGE_STATUS_"), options.timeout_seconds,
                               message.last_error().empty() ? "" : ": " + message.last_error());
      return kExitServerError;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (auto status = Invoke(options, &Stub::GetMessage, request, message); !status.ok()) {
      return ReportError(status, options);
    }
  }
  if (message.status() != mv1::MESSAGE_STATUS_FAILED) return 0;
  std::cerr << fmt::format("karton: message {} failed: {}\n", message.id(), message.last_error());
  return kExitServerError;
}

}  // namespace

void AddMessageCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* messages = app.add_subcommand("messages", "Email, SMS and letters: send, follow, consent");
  messages->require_subcommand(1);

  struct SendOptions {
    std::string channel, category, template_name, language, subject, body, html, body_file, key;
    RecipientOptions recipient;
    VariableOptions variables;
    std::vector<std::string> cc, attach;
    std::vector<std::int64_t> attach_documents;
    std::string reply_to;
    bool wait = false;
  };
  auto send = std::make_shared<SendOptions>();
  auto* send_command =
      Rpcs(messages->add_subcommand(
               "send", "Queue a message from a template or inline content; prints it as queued"),
           {"karton.messaging.v1.MessagingService/SendMessage",
            "karton.messaging.v1.MessagingService/GetMessage"});
  AddChoice(send_command, "--channel", send->channel, kChannels)->required();
  AddChoice(send_command, "--category", send->category, kCategories)->required();
  AddRecipient(send_command, send->recipient, /*raw_address=*/true);
  auto* template_option =
      send_command->add_option("--template", send->template_name, "A stored template's name");
  auto variables = AddVariables(send_command, send->variables);
  for (auto* option : {variables[0], variables[1],
                       send_command->add_option("--language", send->language, "e.g. hu")}) {
    option->needs(template_option);
  }
  auto* body = send_command->add_option("--body", send->body, "The text, used as is");
  auto* body_file = send_command->add_option("--body-file", send->body_file, "The text from a file")
                        ->check(CLI::ExistingFile)
                        ->excludes(body);
  for (auto* inline_option :
       {body, body_file,
        send_command->add_option("--subject", send->subject, "Inline content: the subject"),
        send_command->add_option("--html", send->html, "An HTML alternative (email)")}) {
    inline_option->excludes(template_option);
  }
  send_command->add_option("--cc", send->cc, "Email: a Cc recipient, repeatable");
  send_command->add_option("--reply-to", send->reply_to, "Email: where replies go");
  send_command->add_option("--attach", send->attach, "Email: attach this file, repeatable")
      ->check(CLI::ExistingFile);
  send_command->add_option("--attach-document", send->attach_documents,
                           "Email: attach a stored document by its id, repeatable");
  send_command->add_option("--key", send->key, "Idempotency key: the same key sends once");
  send_command->add_flag("--wait", send->wait,
                         "Wait (at most --timeout) until it is sent; exit 1 when it failed");
  send_command->callback(Run(exit_code, [&options, send] {
    if (send->recipient.partner_id == 0 && send->recipient.contact_id == 0 &&
        send->recipient.address.empty()) {
      throw UsageError("name the recipient: --partner ID, --contact ID or --to ADDRESS");
    }
    if (send->template_name.empty() && send->body.empty() && send->body_file.empty()) {
      throw UsageError("give the content: --template NAME, --body TEXT or --body-file FILE");
    }
    mv1::SendMessageRequest request;
    request.set_channel(FromWord<mv1::Channel>(send->channel, "CHANNEL_"));
    request.set_category(FromWord<mv1::Category>(send->category, "CATEGORY_"));
    *request.mutable_recipient() = ToRecipient(send->recipient);
    request.set_template_name(send->template_name);
    request.set_language(send->language);
    if (!send->template_name.empty()) *request.mutable_variables() = ToStruct(send->variables);
    request.set_subject(send->subject);
    request.set_text_body(send->body_file.empty() ? send->body : ReadFile(send->body_file));
    request.set_html_body(send->html);
    request.set_idempotency_key(send->key);
    for (const auto& cc : send->cc) request.add_cc(cc);
    request.set_reply_to(send->reply_to);
    for (const auto& file : send->attach) {
      auto* attachment = request.add_attachments();
      const std::filesystem::path path(file);
      attachment->set_file_name(path.filename().string());
      attachment->set_media_type(MediaTypeOf(path));
      attachment->set_content(ReadFile(file));
    }
    for (const auto document_id : send->attach_documents) {
      request.add_attachments()->set_document_id(document_id);
    }
    mv1::Message message;
    if (auto status = Invoke(options, &Stub::SendMessage, request, message); !status.ok()) {
      return ReportError(status, options);
    }
    const int result = send->wait ? AwaitDelivery(options, message) : 0;
    Show(options, grpc::Status::OK, message, PrintMessage);
    return result;
  }));

  auto id = std::make_shared<std::int64_t>(0);
  auto* get = Rpcs(messages->add_subcommand("get", "One message with its delivery status"),
                   {"karton.messaging.v1.MessagingService/GetMessage"});
  get->add_option("id", *id)->required();
  get->callback(Run(exit_code, [&options, id] {
    mv1::GetMessageRequest request;
    request.set_id(*id);
    return Call(options, &Stub::GetMessage, request, PrintMessage);
  }));

  struct ListOptions {
    std::int64_t partner_id = 0, contact_id = 0;
    std::string channel, status, category, page_token;
    TimeRange range;
    int limit = 50;
  };
  auto list_options = std::make_shared<ListOptions>();
  auto* list = Rpcs(messages->add_subcommand("list", "Messages, newest first"),
                    {"karton.messaging.v1.MessagingService/ListMessages"});
  list->add_option("--partner", list_options->partner_id, "To this partner");
  list->add_option("--contact", list_options->contact_id, "To this contact");
  AddChoice(list, "--channel", list_options->channel, kChannels);
  AddChoice(list, "--status", list_options->status, kStatuses);
  AddChoice(list, "--category", list_options->category, kCategories);
  AddTimeRange(list, list_options->range);
  list->add_option("--limit", list_options->limit, "At most 1000")->capture_default_str();
  list->add_option("--page-token", list_options->page_token, "From the previous page");
  list->callback(Run(exit_code, [&options, list_options] {
    mv1::ListMessagesRequest request;
    request.set_partner_id(list_options->partner_id);
    request.set_contact_id(list_options->contact_id);
    request.set_channel(FromWord<mv1::Channel>(list_options->channel, "CHANNEL_"));
    request.set_status(FromWord<mv1::MessageStatus>(list_options->status, "MESSAGE_STATUS_"));
    request.set_category(FromWord<mv1::Category>(list_options->category, "CATEGORY_"));
    SetTimeRange(list_options->range, request);
    request.set_page_size(list_options->limit);
    request.set_page_token(list_options->page_token);
    return Call(options, &Stub::ListMessages, request, PrintMessages);
  }));

  auto batch_file = std::make_shared<std::string>();
  auto* send_batch =
      Rpcs(messages->add_subcommand(
               "send-batch",
               "Queue up to 1000 messages from a JSON file ({\"requests\": [SendMessageRequest, "
               "...]}); one line per request: its message or why it was refused (exit 1 if any "
               "was)"),
           {"karton.messaging.v1.MessagingService/SendMessages"});
  send_batch->add_option("file", *batch_file)->required()->check(CLI::ExistingFile);
  send_batch->callback(Run(exit_code, [&options, batch_file] {
    std::ifstream in(*batch_file, std::ios::binary);
    const std::string json{std::istreambuf_iterator<char>(in), {}};
    mv1::SendMessagesRequest request;
    if (const auto parsed = google::protobuf::util::JsonStringToMessage(json, &request);
        !parsed.ok()) {
      throw UsageError(fmt::format("{} is not a SendMessagesRequest in JSON: {}", *batch_file,
                                   std::string(parsed.message())));
    }
    mv1::SendMessagesResponse response;
    if (auto status = Invoke(options, &Stub::SendMessages, request, response); !status.ok()) {
      return ReportError(status, options);
    }
    int refused = 0;
    for (const auto& result : response.results()) refused += result.has_message() ? 0 : 1;
    if (options.output == "json") {
      std::cout << ToJson(response);
    } else {
      for (int i = 0; i < response.results_size(); ++i) {
        const auto& result = response.results(i);
        if (result.has_message()) {
          std::cout << fmt::format("{}\tmessage {}\t{}\n", i, result.message().id(),
                                   result.message().address());
        } else {
          std::cout << fmt::format("{}\trefused\t{}\n", i, result.error().message());
        }
      }
    }
    return refused > 0 ? 1 : 0;
  }));

  // --- templates
  auto* templates = messages->add_subcommand("templates", "Mustache templates per language");
  templates->require_subcommand(1);
  struct TemplateOptions {
    std::string name, language, channel, subject, body, body_file, html_file, etag;
    RecipientOptions recipient;
    VariableOptions variables;
  };
  auto tmpl = std::make_shared<TemplateOptions>();
  auto* list_templates = Rpcs(templates->add_subcommand("list", "Templates by name, then language"),
                              {"karton.messaging.v1.MessagingService/ListTemplates"});
  list_templates->add_option("--name", tmpl->name, "Only this template (every language)");
  list_templates->callback(Run(exit_code, [&options, tmpl] {
    mv1::ListTemplatesRequest request;
    request.set_name(tmpl->name);
    mv1::ListTemplatesResponse response;
    const auto status = InvokeAllPages(options, &Stub::ListTemplates, request, response);
    return Show(options, status, response, PrintTemplates);
  }));

  auto* get_template =
      Rpcs(templates->add_subcommand("get", "One template with its bodies and etag"),
           {"karton.messaging.v1.MessagingService/GetTemplate"});
  get_template->add_option("id", *id)->required();
  get_template->callback(Run(exit_code, [&options, id] {
    mv1::GetTemplateRequest request;
    request.set_id(*id);
    return Call(options, &Stub::GetTemplate, request, PrintTemplate);
  }));

  // The content options of create and update; the text body from --body or --body-file.
  struct ContentOptions {
    CLI::Option *subject, *body, *body_file, *html_file;
  };
  auto add_content = [tmpl](CLI::App* command) {
    ContentOptions content{command->add_option("--subject", tmpl->subject, "Mustache"),
                           command->add_option("--body", tmpl->body, "The text body"),
                           command->add_option("--body-file", tmpl->body_file, "The text body"),
                           command->add_option("--html-file", tmpl->html_file, "The HTML body")};
    content.body_file->check(CLI::ExistingFile)->excludes(content.body);
    content.html_file->check(CLI::ExistingFile);
    return content;
  };
  auto set_content = [tmpl](mv1::Template& target) {
    target.set_subject(tmpl->subject);
    target.set_text_body(tmpl->body_file.empty() ? tmpl->body : ReadFile(tmpl->body_file));
    if (!tmpl->html_file.empty()) target.set_html_body(ReadFile(tmpl->html_file));
  };

  auto* create_template = Rpcs(templates->add_subcommand("create", "A template in one language"),
                               {"karton.messaging.v1.MessagingService/CreateTemplate"});
  create_template->add_option("--name", tmpl->name, "e.g. order_confirmation")->required();
  create_template->add_option("--language", tmpl->language, "BCP 47, e.g. hu")->required();
  AddChoice(create_template, "--channel", tmpl->channel, kChannels)->required();
  add_content(create_template);
  create_template->callback(Run(exit_code, [&options, tmpl, set_content] {
    if (tmpl->body.empty() && tmpl->body_file.empty()) {
      throw UsageError("give the text body: --body TEXT or --body-file FILE");
    }
    mv1::CreateTemplateRequest request;
    auto& created = *request.mutable_template_();
    created.set_name(tmpl->name);
    created.set_language(tmpl->language);
    created.set_channel(FromWord<mv1::Channel>(tmpl->channel, "CHANNEL_"));
    set_content(created);
    return Call(options, &Stub::CreateTemplate, request, PrintTemplate);
  }));

  auto* update_template = Rpcs(
      templates->add_subcommand(
          "update", "Change the subject or bodies of a template (the etag from `templates get`)"),
      {"karton.messaging.v1.MessagingService/UpdateTemplate"});
  update_template->add_option("id", *id)->required();
  update_template->add_option("--etag", tmpl->etag, "Refused when the template changed since")
      ->required();
  const ContentOptions update_content = add_content(update_template);
  update_template->callback(Run(exit_code, [&options, id, tmpl, set_content, update_content] {
    mv1::UpdateTemplateRequest request;
    auto& changed = *request.mutable_template_();
    changed.set_id(*id);
    changed.set_etag(tmpl->etag);
    set_content(changed);
    auto* mask = request.mutable_update_mask();
    if (update_content.subject->count() > 0) mask->add_paths("subject");
    if (update_content.body->count() + update_content.body_file->count())
      mask->add_paths("text_body");
    if (update_content.html_file->count() > 0) mask->add_paths("html_body");
    if (mask->paths().empty()) {
      throw UsageError("nothing to change: give --subject, --body, --body-file or --html-file");
    }
    return Call(options, &Stub::UpdateTemplate, request, PrintTemplate);
  }));

  auto* render =
      Rpcs(templates->add_subcommand(
               "render", "Preview a stored template for a recipient (stores and sends nothing)"),
           {"karton.messaging.v1.MessagingService/RenderTemplate"});
  auto* by_id = render->add_option("--id", *id, "The template's id");
  auto* by_name = render->add_option("--name", tmpl->name, "The template's name")->excludes(by_id);
  render->add_option("--language", tmpl->language, "e.g. hu")->needs(by_name);
  AddChoice(render, "--channel", tmpl->channel, kChannels)->needs(by_name);
  AddRecipient(render, tmpl->recipient, /*raw_address=*/false);
  AddVariables(render, tmpl->variables);
  render->callback(Run(exit_code, [&options, id, tmpl] {
    if (*id == 0 && tmpl->name.empty()) throw UsageError("name the template: --id ID or --name N");
    mv1::RenderTemplateRequest request;
    request.set_template_id(*id);
    request.set_template_name(tmpl->name);
    request.set_language(tmpl->language);
    request.set_channel(FromWord<mv1::Channel>(tmpl->channel, "CHANNEL_"));
    *request.mutable_recipient() = ToRecipient(tmpl->recipient);
    *request.mutable_variables() = ToStruct(tmpl->variables);
    return Call(options, &Stub::RenderTemplate, request, PrintRendered);
  }));

  // --- letters
  auto* letters = messages->add_subcommand("letters", "Rendered letters for the print shop");
  letters->require_subcommand(1);
  struct ExportOptions {
    std::string format, out, category;
    TimeRange range;
    bool duplex = false;
  };
  auto export_options = std::make_shared<ExportOptions>();
  auto* export_letters =
      Rpcs(letters->add_subcommand(
               "export", "One PDF of the sent letters, or their address list as CSV, into a file"),
           {"karton.messaging.v1.MessagingService/ExportLetters"});
  AddChoice(export_letters, "--format", export_options->format, kFormats)->required();
  export_letters->add_option("--out", export_options->out, "The file to write")->required();
  export_letters->add_flag("--duplex", export_options->duplex,
                           "PDF: a blank back page after letters of an odd page count");
  AddTimeRange(export_letters, export_options->range);
  AddChoice(export_letters, "--category", export_options->category, kCategories);
  export_letters->callback(Run(exit_code, [&options, export_options] {
    mv1::ExportLettersRequest request;
    request.set_format(export_options->format == "pdf" ? mv1::LETTER_EXPORT_FORMAT_PDF
                                                       : mv1::LETTER_EXPORT_FORMAT_CSV);
    SetTimeRange(export_options->range, request);
    request.set_category(FromWord<mv1::Category>(export_options->category, "CATEGORY_"));
    request.set_duplex(export_options->duplex);
    // Before the call: a file that cannot be written is bad usage (exit 2).
    if (!std::ofstream(export_options->out, std::ios::binary | std::ios::trunc)) {
      throw UsageError("cannot write " + export_options->out);
    }
    auto context = MakeContext(options, /*streaming=*/true);
    auto reader =
        mv1::MessagingService::NewStub(ChannelFor(options))->ExportLetters(context.get(), request);
    mv1::ExportLettersResponse part;
    return SaveLetterExport(*reader, part, export_options->out, options);
  }));

  // --- consent
  auto* suppressions = messages->add_subcommand(
      "suppressions", "Opt-outs: addresses that get no marketing messages");
  suppressions->require_subcommand(1);
  auto suppression = std::make_shared<mv1::Suppression>();
  auto channel = std::make_shared<std::string>();
  // --channel and --address: filters of list, required by add and remove.
  auto add_entry = [channel, suppression](CLI::App* command, bool required) {
    AddChoice(command, "--channel", *channel, kChannels)->required(required);
    command
        ->add_option("--address", *suppression->mutable_address(),
                     "lower-case email, E.164 phone, or partners/ID for letters")
        ->required(required);
  };
  auto* list_suppressions = Rpcs(suppressions->add_subcommand("list", "The suppression list"),
                                 {"karton.messaging.v1.MessagingService/ListSuppressions"});
  add_entry(list_suppressions, false);
  list_suppressions->callback(Run(exit_code, [&options, channel, suppression] {
    mv1::ListSuppressionsRequest request;
    request.set_channel(FromWord<mv1::Channel>(*channel, "CHANNEL_"));
    request.set_address(suppression->address());
    mv1::ListSuppressionsResponse response;
    const auto status = InvokeAllPages(options, &Stub::ListSuppressions, request, response);
    return Show(options, status, response, PrintSuppressions);
  }));

  auto* add_suppression = Rpcs(
      suppressions->add_subcommand("add", "Record an opt-out given by phone, letter or in person"),
      {"karton.messaging.v1.MessagingService/CreateSuppression"});
  add_entry(add_suppression, true);
  add_suppression->add_option("--reason", *suppression->mutable_reason(), "Kept for the record");
  add_suppression->callback(Run(exit_code, [&options, channel, suppression] {
    mv1::CreateSuppressionRequest request;
    *request.mutable_suppression() = *suppression;
    request.mutable_suppression()->set_channel(FromWord<mv1::Channel>(*channel, "CHANNEL_"));
    return Call(options, &Stub::CreateSuppression, request, [](const mv1::Suppression& added) {
      mv1::ListSuppressionsResponse one;
      *one.add_suppressions() = added;
      PrintSuppressions(one);
    });
  }));

  auto* remove_suppression =
      Rpcs(suppressions->add_subcommand("remove",
                                        "Take an address off the list again (renewed consent)"),
           {"karton.messaging.v1.MessagingService/DeleteSuppression"});
  add_entry(remove_suppression, true);
  remove_suppression->callback(Run(exit_code, [&options, channel, suppression] {
    mv1::DeleteSuppressionRequest request;
    request.set_channel(FromWord<mv1::Channel>(*channel, "CHANNEL_"));
    request.set_address(suppression->address());
    return Call(options, &Stub::DeleteSuppression, request,
                [](const mv1::DeleteSuppressionResponse&) { std::cout << "removed\n"; });
  }));
}

}  // namespace karton::cli
