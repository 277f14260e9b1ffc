// How a quotation reaches the customer: an email through the messaging
// module, asked over gRPC as the caller (so messaging's own roles, consent
// and address rules apply), with the PDF attached. An interface, so the
// services' database tests see what would be sent without a server.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "documents/quotation_pdf.h"
#include "karton/messaging/v1/messaging_service.pb.h"

namespace grpc {
class Channel;
class ServerContext;
}  // namespace grpc

namespace karton::orders {

class MessageSender {
 public:
  virtual ~MessageSender() = default;
  // Queues the message; its id in `message_id`. Messaging's own errors
  // come back as they are; FAILED_PRECONDITION when no messaging module
  // answers.
  virtual grpc::Status Send(const grpc::ServerContext& from,
                            const messaging::v1::SendMessageRequest& request,
                            std::int64_t& message_id) = 0;
};

class GrpcMessageSender final : public MessageSender {
 public:
  explicit GrpcMessageSender(std::function<std::shared_ptr<grpc::Channel>()> channel)
      : channel_(std::move(channel)) {}
  grpc::Status Send(const grpc::ServerContext& from,
                    const messaging::v1::SendMessageRequest& request,
                    std::int64_t& message_id) override;

 private:
  std::function<std::shared_ptr<grpc::Channel>()> channel_;
};

// What the email says around the attachment.
struct QuotationMail {
  const QuotationPrint& print;
  // Whom the greeting names: the contact, else the customer.
  std::string addressee;
  // The sender's personal note, if any.
  std::string message;
};

// The built-in subject and text ("Árajánlat AJ-2026-000042 – Karton Kft."),
// in the print's language.
void WriteBuiltInText(const QuotationMail& mail, messaging::v1::SendMessageRequest& request);

// A stored template's variables: quotation.number, .valid_until,
// .gross_total, .note; partner.display_name; contact.name; company.name;
// message.
void WriteTemplateVariables(const QuotationMail& mail, messaging::v1::SendMessageRequest& request);

}  // namespace karton::orders
