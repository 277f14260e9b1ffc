#include "quotations/quotation_mail.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "karton/kernel/calls.h"
#include "karton/kernel/dates.h"
#include "karton/kernel/money.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/pdf/hungarian_text.h"

namespace karton::orders {
namespace {

std::string GrossTotal(const v1::Quotation& quotation) {
  return kernel::FormatMoney(quotation.totals().gross_amount().minor_units(),
                             quotation.currency_code().empty() ? "HUF" : quotation.currency_code());
}

std::string ValidUntil(const QuotationPrint& print) {
  return print.language == DocumentLanguage::kHungarian
             ? pdf::HungarianDate(print.quotation.valid_until())
             : kernel::DateText(print.quotation.valid_until());
}

}  // namespace

grpc::Status GrpcMessageSender::Send(const grpc::ServerContext& from,
                                     const messaging::v1::SendMessageRequest& request,
                                     std::int64_t& message_id) {
  auto call = kernel::CallContextFor(&from);
  messaging::v1::Message message;
  auto status = messaging::v1::MessagingService::NewStub(channel_())
                    ->SendMessage(call.get(), request, &message);
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            "sending a quotation needs the messaging module, which this kartond does not run"};
  }
  if (!status.ok()) return status;
  message_id = message.id();
  return grpc::Status::OK;
}

void WriteBuiltInText(const QuotationMail& mail, messaging::v1::SendMessageRequest& request) {
  const v1::Quotation& quotation = mail.print.quotation;
  const std::string& company = mail.print.company.name;
  const std::string note = mail.message.empty() ? "" : mail.message + "\n\n";
  if (mail.print.language == DocumentLanguage::kEnglish) {
    request.set_subject(fmt::format("Quotation {} – {}", quotation.number(), company));
    request.set_text_body(fmt::format(
        "Dear {},\n\nPlease find attached our quotation {} for {} (gross). The offer is valid "
        "until the end of {}.\n\n{}Kind regards,\n{}\n",
        mail.addressee, quotation.number(), GrossTotal(quotation), ValidUntil(mail.print), note,
        company));
    return;
  }
  request.set_subject(fmt::format("Árajánlat {} – {}", quotation.number(), company));
  request.set_text_body(fmt::format(
      "Tisztelt {}!\n\nMellékelten küldjük {} számú árajánlatunkat, bruttó {} értékben. Az "
      "ajánlat {} végéig érvényes.\n\n{}Üdvözlettel:\n{}\n",
      mail.addressee, quotation.number(), GrossTotal(quotation), ValidUntil(mail.print), note,
      company));
}

void WriteTemplateVariables(const QuotationMail& mail, messaging::v1::SendMessageRequest& request) {
  const v1::Quotation& quotation = mail.print.quotation;
  // Each nested object is built whole and then moved in: a reference into
  // a protobuf map is not kept across inserts.
  const auto text = [](google::protobuf::Struct& object, const char* name,
                       const std::string& value) {
    (*object.mutable_fields())[name].set_string_value(value);
  };
  const auto add = [&](const char* name, google::protobuf::Struct object) {
    *(*request.mutable_variables()->mutable_fields())[name].mutable_struct_value() =
        std::move(object);
  };
  google::protobuf::Struct quote;
  text(quote, "number", quotation.number());
  text(quote, "valid_until", ValidUntil(mail.print));
  text(quote, "gross_total", GrossTotal(quotation));
  text(quote, "note", quotation.note());
  add("quotation", std::move(quote));
  google::protobuf::Struct partner;
  text(partner, "display_name", mail.print.customer.name);
  add("partner", std::move(partner));
  google::protobuf::Struct contact;
  text(contact, "name", mail.print.customer.contact_name);
  add("contact", std::move(contact));
  google::protobuf::Struct company;
  text(company, "name", mail.print.company.name);
  add("company", std::move(company));
  text(*request.mutable_variables(), "message", mail.message);
}

}  // namespace karton::orders
