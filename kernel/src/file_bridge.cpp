#include "file_bridge.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/support/sync_stream.h>

#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <charconv>
#include <optional>
#include <thread>

#include "access_control.h"
#include "json_gateway.h"
#include "karton/kernel/errors.h"
#include "multipart_form.h"

namespace karton::kernel {
namespace {

namespace pb = google::protobuf;

constexpr auto kFileCallDeadline = std::chrono::minutes(5);
constexpr std::size_t kPieceBytes = 64 * 1024;

HttpResponse Refused(grpc::StatusCode code, const std::string& message) {
  return ConnectErrorResponse(grpc::Status(code, message));
}

// Bad input, naming the form field or query parameter at fault.
HttpResponse BadField(const std::string& field, const std::string& description) {
  return ConnectErrorResponse(InvalidField(field, description));
}

// The oneof of a file method's message that carries a file: exactly a
// message field (what the file is) and a bytes field (a piece of it).
struct FileOneof {
  const pb::FieldDescriptor* about = nullptr;
  const pb::FieldDescriptor* piece = nullptr;
};
std::optional<FileOneof> FileOneofOf(const pb::Descriptor& message) {
  for (int i = 0; i < message.oneof_decl_count(); ++i) {
    const pb::OneofDescriptor& oneof = *message.oneof_decl(i);
    if (oneof.field_count() != 2) continue;
    FileOneof found;
    for (int j = 0; j < 2; ++j) {
      const pb::FieldDescriptor* field = oneof.field(j);
      if (field->type() == pb::FieldDescriptor::TYPE_MESSAGE) found.about = field;
      if (field->type() == pb::FieldDescriptor::TYPE_BYTES) found.piece = field;
    }
    if (found.about != nullptr && found.piece != nullptr) return found;
  }
  return std::nullopt;
}

const pb::MethodDescriptor* FindMethod(const HttpRequest& request, std::string& path) {
  const std::string& service_name = request.path_params.at("service");
  const std::string& method_name = request.path_params.at("method");
  path = fmt::format("/{}/{}", service_name, method_name);
  const auto* service = pb::DescriptorPool::generated_pool()->FindServiceByName(service_name);
  return service == nullptr ? nullptr : service->FindMethodByName(method_name);
}

std::unique_ptr<pb::Message> NewMessage(const pb::Descriptor* type) {
  return std::unique_ptr<pb::Message>(
      pb::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

void SetStringIfEmpty(pb::Message& message, const char* field_name, const std::string& value) {
  const pb::FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(field_name);
  if (field == nullptr || value.empty() || field->is_repeated() ||
      field->type() != pb::FieldDescriptor::TYPE_STRING) {
    return;
  }
  if (message.GetReflection()->GetString(message, field).empty()) {
    message.GetReflection()->SetString(&message, field, value);
  }
}

std::string StringField(const pb::Message& message, const char* field_name) {
  const pb::FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(field_name);
  if (field == nullptr || field->is_repeated() ||
      field->type() != pb::FieldDescriptor::TYPE_STRING) {
    return "";
  }
  return message.GetReflection()->GetString(message, field);
}

HttpResponse JsonAnswer(const pb::Message& output) {
  pb::util::JsonPrintOptions print;
  std::string json;
  if (!pb::util::MessageToJsonString(output, &json, print).ok()) {
    return Refused(grpc::StatusCode::INTERNAL, "the answer could not be turned into JSON");
  }
  return HttpResponse::Json(200, json);
}

// A query parameter's text as the value of a scalar field; the message
// names the parameter.
grpc::Status SetFromText(pb::Message& message, const pb::FieldDescriptor& field,
                         const std::string& text) {
  const pb::Reflection& reflection = *message.GetReflection();
  const auto bad = [&](const std::string& what) {
    return InvalidField(field.name(), fmt::format("'{}' is not {}", text, what));
  };
  const auto parse = [&](auto& number) {
    const char* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, number);
    return result.ec == std::errc() && result.ptr == end && !text.empty();
  };
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      std::int64_t number = 0;
      if (!parse(number)) return bad("a whole number");
      reflection.SetInt64(&message, &field, number);
      return grpc::Status::OK;
    }
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      std::int32_t number = 0;
      if (!parse(number)) return bad("a whole number");
      reflection.SetInt32(&message, &field, number);
      return grpc::Status::OK;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      std::uint64_t number = 0;
      if (!parse(number)) return bad("a whole number from 0");
      reflection.SetUInt64(&message, &field, number);
      return grpc::Status::OK;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      std::uint32_t number = 0;
      if (!parse(number)) return bad("a whole number from 0");
      reflection.SetUInt32(&message, &field, number);
      return grpc::Status::OK;
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      if (text != "true" && text != "false") return bad("true or false");
      reflection.SetBool(&message, &field, text == "true");
      return grpc::Status::OK;
    case pb::FieldDescriptor::CPPTYPE_STRING:
      if (field.type() == pb::FieldDescriptor::TYPE_BYTES) break;
      reflection.SetString(&message, &field, text);
      return grpc::Status::OK;
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const pb::EnumValueDescriptor* value = field.enum_type()->FindValueByName(text);
      if (value == nullptr) return bad("a value of " + field.enum_type()->name());
      reflection.SetEnum(&message, &field, value);
      return grpc::Status::OK;
    }
    default:
      break;
  }
  return InvalidField(field.name(), "not a field a query parameter can set");
}

// Media types a browser may show in place: nothing that runs script.
bool ShowableInline(std::string_view content_type) {
  const std::string_view type = content_type.substr(0, content_type.find(';'));
  return type == "application/pdf" || type == "image/png" || type == "image/jpeg" ||
         type == "image/gif" || type == "image/webp" || type == "text/plain" || type == "text/csv";
}

std::string ContentTypeOfName(std::string_view file_name) {
  const auto dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string extension(file_name.substr(dot + 1));
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (extension == "pdf") return "application/pdf";
  if (extension == "csv") return "text/csv; charset=utf-8";
  if (extension == "txt") return "text/plain; charset=utf-8";
  if (extension == "xml") return "application/xml";
  if (extension == "json") return "application/json";
  if (extension == "xlsx")
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  if (extension == "png") return "image/png";
  if (extension == "jpg" || extension == "jpeg") return "image/jpeg";
  return "application/octet-stream";
}

}  // namespace

std::string ContentDisposition(bool inline_display, std::string_view file_name) {
  std::string fallback;
  std::string encoded;
  for (const unsigned char c : file_name) {
    const bool plain = std::isalnum(c) || c == '.' || c == '-' || c == '_';
    fallback += plain || c == ' ' ? static_cast<char>(c) : '_';
    if (plain) {
      encoded += static_cast<char>(c);
    } else {
      encoded += fmt::format("%{:02X}", c);
    }
  }
  if (fallback.empty()) fallback = "file";
  return fmt::format("{}; filename=\"{}\"; filename*=UTF-8''{}",
                     inline_display ? "inline" : "attachment", fallback, encoded);
}

HttpResponse FileBridge::Upload(const HttpRequest& request) const {
  std::string path;
  const pb::MethodDescriptor* method = FindMethod(request, path);
  const std::optional<FileOneof> file =
      method == nullptr ? std::nullopt : FileOneofOf(*method->input_type());
  if (method == nullptr || access_.AllowedRoles(path) == nullptr || !method->client_streaming() ||
      !file) {
    return Refused(grpc::StatusCode::NOT_FOUND,
                   fmt::format("no file upload {}: POST /files serves client-streaming methods "
                               "whose request is a oneof of a message and bytes",
                               path));
  }
  HttpResponse refusal;
  const std::optional<Caller> caller = HttpCallerOf(access_, request, path, true, refusal);
  if (!caller) return refusal;

  // The form: "request" (JSON, optional) and "file" (required), nothing else.
  std::vector<FormPart> parts;
  try {
    const auto content_type = request.headers.find("content-type");
    parts = ParseMultipartForm(
        content_type == request.headers.end() ? std::string_view() : content_type->second,
        request.body, 4);
  } catch (const MultipartFormError& error) {
    return BadField("body", error.what());
  }
  const FormPart* json_part = nullptr;
  const FormPart* file_part = nullptr;
  for (const FormPart& part : parts) {
    const FormPart** slot = part.name == "request" ? &json_part
                            : part.name == "file"  ? &file_part
                                                   : nullptr;
    if (slot == nullptr) {
      return BadField(part.name, "not a field of the form (it takes request and file)");
    }
    if (*slot != nullptr) {
      return BadField(part.name, "given more than once");
    }
    *slot = &part;
  }
  if (file_part == nullptr) {
    return BadField("file", "the form has no file");
  }

  // The first message: what the file is. Its name and media type, when the
  // JSON leaves them out, are the browser's for the file.
  std::unique_ptr<pb::Message> first = NewMessage(method->input_type());
  pb::Message* about = first->GetReflection()->MutableMessage(first.get(), file->about);
  if (json_part != nullptr) {
    if (auto status = ParseGatewayBody(std::string(json_part->body), *about); !status.ok()) {
      return BadField("request", status.error_message());
    }
  }
  SetStringIfEmpty(*about, "name", file_part->file_name);
  SetStringIfEmpty(*about, "content_type", file_part->content_type);

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kFileCallDeadline);
  context.AddMetadata("karton-caller", SerializeCaller(*caller));
  auto channel = channel_();
  std::unique_ptr<pb::Message> output = NewMessage(method->output_type());
  std::unique_ptr<pb::Message> piece = NewMessage(method->input_type());
  const auto write_all = [&](auto& stream) {
    bool open = stream.Write(*first);
    for (std::size_t at = 0; open && at < file_part->body.size(); at += kPieceBytes) {
      piece->GetReflection()->SetString(piece.get(), file->piece,
                                        std::string(file_part->body.substr(at, kPieceBytes)));
      open = stream.Write(*piece);
    }
    stream.WritesDone();
  };
  grpc::Status status;
  if (!method->server_streaming()) {
    const grpc::internal::RpcMethod rpc(path.c_str(), grpc::internal::RpcMethod::CLIENT_STREAMING);
    std::unique_ptr<grpc::ClientWriter<pb::Message>> stream(
        grpc::internal::ClientWriterFactory<pb::Message>::Create(channel.get(), rpc, &context,
                                                                 output.get()));
    write_all(*stream);
    status = stream->Finish();
  } else {
    // Both ways: the answers are read while the file goes up (the
    // in-process transport hands a message over only when it is read, so
    // a handler reporting progress would otherwise wait on this thread
    // forever); the last answer is the outcome (an import's final state).
    const grpc::internal::RpcMethod rpc(path.c_str(), grpc::internal::RpcMethod::BIDI_STREAMING);
    std::unique_ptr<grpc::ClientReaderWriter<pb::Message, pb::Message>> stream(
        grpc::internal::ClientReaderWriterFactory<pb::Message, pb::Message>::Create(channel.get(),
                                                                                    rpc, &context));
    std::thread reader([&stream, &output, method] {
      std::unique_ptr<pb::Message> answer = NewMessage(method->output_type());
      while (stream->Read(answer.get())) output->CopyFrom(*answer);
    });
    write_all(*stream);
    reader.join();
    status = stream->Finish();
  }
  if (!status.ok()) return ConnectErrorResponse(status);
  return JsonAnswer(*output);
}

HttpResponse FileBridge::Download(const HttpRequest& request) const {
  std::string path;
  const pb::MethodDescriptor* method = FindMethod(request, path);
  if (method == nullptr || access_.AllowedRoles(path) == nullptr || !method->server_streaming() ||
      method->client_streaming()) {
    return Refused(
        grpc::StatusCode::NOT_FOUND,
        fmt::format("no file download {}: GET /files serves server-streaming methods", path));
  }
  // A download only reads: the session cookie suffices (a link cannot
  // carry a header), as for any page the browser navigates to.
  HttpResponse refusal;
  const std::optional<Caller> caller = HttpCallerOf(access_, request, path, false, refusal);
  if (!caller) return refusal;

  std::unique_ptr<pb::Message> input = NewMessage(method->input_type());
  std::string file_name;
  bool inline_display = false;
  if (!request.query.empty()) {
    if (!boost::urls::parse_query(request.query)) {
      return BadField("query", "the query string is malformed");
    }
    for (const auto& parameter : boost::urls::params_view(request.query)) {
      if (parameter.key == "filename") {
        file_name = parameter.value;
        continue;
      }
      if (parameter.key == "inline") {
        inline_display = parameter.value == "true" || parameter.value == "1";
        continue;
      }
      const pb::FieldDescriptor* field = input->GetDescriptor()->FindFieldByName(parameter.key);
      if (field == nullptr) {
        field = input->GetDescriptor()->FindFieldByCamelcaseName(parameter.key);
      }
      if (field == nullptr || field->is_repeated()) {
        return BadField(parameter.key,
                        fmt::format("not a field of {}", input->GetDescriptor()->full_name()));
      }
      if (auto status = SetFromText(*input, *field, parameter.value); !status.ok()) {
        return ConnectErrorResponse(status);
      }
    }
  }

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kFileCallDeadline);
  context.AddMetadata("karton-caller", SerializeCaller(*caller));
  auto channel = channel_();
  const grpc::internal::RpcMethod rpc(path.c_str(), grpc::internal::RpcMethod::SERVER_STREAMING);
  std::unique_ptr<grpc::ClientReader<pb::Message>> stream(
      grpc::internal::ClientReaderFactory<pb::Message>::Create(channel.get(), rpc, &context,
                                                               *input));
  // Every bytes field is the file's next piece; a message beside them (or
  // strings of the answer itself) may say what the file is.
  std::string content;
  std::string content_type;
  std::string named;
  const auto learn = [&](const pb::Message& message) {
    if (content_type.empty()) content_type = StringField(message, "content_type");
    if (named.empty()) named = StringField(message, "name");
    if (named.empty()) named = StringField(message, "file_name");
  };
  std::unique_ptr<pb::Message> answer = NewMessage(method->output_type());
  bool too_large = false;
  while (stream->Read(answer.get())) {
    const pb::Reflection& reflection = *answer->GetReflection();
    std::vector<const pb::FieldDescriptor*> fields;
    reflection.ListFields(*answer, &fields);
    learn(*answer);
    for (const pb::FieldDescriptor* field : fields) {
      if (field->is_repeated()) continue;
      if (field->type() == pb::FieldDescriptor::TYPE_BYTES) {
        content += reflection.GetStringReference(*answer, field, nullptr);
      } else if (field->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
        learn(reflection.GetMessage(*answer, field));
      }
    }
    if (content.size() > kMaxFileBytes) {
      too_large = true;
      context.TryCancel();
      break;
    }
    answer->Clear();
  }
  const grpc::Status status = stream->Finish();
  if (too_large) {
    return Refused(grpc::StatusCode::RESOURCE_EXHAUSTED,
                   fmt::format("the file is larger than the {} MiB /files carries; download it "
                               "with {} over gRPC",
                               kMaxFileBytes >> 20, path));
  }
  if (!status.ok()) return ConnectErrorResponse(status);

  if (file_name.empty()) file_name = named.empty() ? method->name() : named;
  if (content_type.empty()) content_type = ContentTypeOfName(file_name);
  HttpResponse response{200, content_type, std::move(content), {}};
  const bool shown_inline = inline_display && ShowableInline(content_type);
  response.headers["content-disposition"] = ContentDisposition(shown_inline, file_name);
  // Whatever the file holds, it never runs as this site's page. (A PDF
  // shown in place is the exception: browsers do not open their PDF viewer
  // in a sandboxed document, and the viewer is isolated from the site.)
  response.headers["x-content-type-options"] = "nosniff";
  if (!(shown_inline && content_type.rfind("application/pdf", 0) == 0)) {
    response.headers["content-security-policy"] = "sandbox; default-src 'none'";
  }
  response.headers["cache-control"] = "private, no-store";
  return response;
}

}  // namespace karton::kernel
