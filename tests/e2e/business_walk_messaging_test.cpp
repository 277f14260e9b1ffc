// The messaging module's walk (business_walk.h): templates, the
// suppression list and messages sent each publish their event and audit
// their record, an update with the fields it changed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "business_walk.h"

namespace karton::testing {
namespace {

namespace mv1 = messaging::v1;

using MessagingWalkTest = BusinessWalkTest;

TEST_F(MessagingWalkTest, EveryMessagingWritePublishesItsEventAndAuditsItsChangedFields) {
  modules_ = "messaging";
  Start();
  mv1::Template stored_template;
  const std::vector<Step> steps = {
      {"karton.messaging.v1.MessagingService/CreateTemplate",
       "messaging.template.created",
       "messaging.template",
       {},
       [&] {
         mv1::CreateTemplateRequest request;
         request.mutable_template_()->set_name("arajanlat");
         request.mutable_template_()->set_language("hu");
         request.mutable_template_()->set_channel(mv1::CHANNEL_EMAIL);
         request.mutable_template_()->set_subject("Árajánlat");
         request.mutable_template_()->set_text_body("Tisztelt {{partner.display_name}}!");
         return messaging_->CreateTemplate(As().get(), request, &stored_template);
       }},
      {"karton.messaging.v1.MessagingService/UpdateTemplate",
       "messaging.template.updated",
       "messaging.template",
       {"subject"},
       [&] {
         mv1::UpdateTemplateRequest request;
         request.mutable_template_()->set_id(stored_template.id());
         request.mutable_template_()->set_subject("Árajánlatunk");
         request.mutable_update_mask()->add_paths("subject");
         return messaging_->UpdateTemplate(As().get(), request, &stored_template);
       }},
      {"karton.messaging.v1.MessagingService/SendMessage",
       "messaging.message.queued",
       "messaging.message",
       {},
       [&] {
         mv1::SendMessageRequest request;
         request.set_channel(mv1::CHANNEL_EMAIL);
         request.set_category(mv1::CATEGORY_TRANSACTIONAL);
         request.mutable_recipient()->set_address("bela@kiss.example");
         request.set_subject("Visszaigazolás");
         request.set_text_body("Megkaptuk a megrendelését.");
         request.set_idempotency_key("walk-confirmation-1");
         mv1::Message message;
         return messaging_->SendMessage(As().get(), request, &message);
       }},
      {"karton.messaging.v1.MessagingService/SendMessages",
       "messaging.message.queued",
       "messaging.message",
       {},
       [&] {
         mv1::SendMessagesRequest request;
         auto* one = request.add_requests();
         one->set_channel(mv1::CHANNEL_EMAIL);
         one->set_category(mv1::CATEGORY_TRANSACTIONAL);
         one->mutable_recipient()->set_address("cecil@kiss.example");
         one->set_subject("Szállítás");
         one->set_text_body("A csomag holnap érkezik.");
         one->set_idempotency_key("walk-batch-1");
         mv1::SendMessagesResponse response;
         auto status = messaging_->SendMessages(As().get(), request, &response);
         if (status.ok() && (response.results_size() != 1 || !response.results(0).has_message())) {
           return grpc::Status(grpc::StatusCode::INTERNAL, "the batch's message was not queued");
         }
         return status;
       }},
      {"karton.messaging.v1.MessagingService/CreateSuppression",
       "messaging.consent.withdrawn",
       "messaging.suppression",
       {},
       [&] {
         mv1::CreateSuppressionRequest request;
         request.mutable_suppression()->set_channel(mv1::CHANNEL_EMAIL);
         request.mutable_suppression()->set_address("bela@kiss.example");
         request.mutable_suppression()->set_reason("telefonon kérte");
         mv1::Suppression suppression;
         return messaging_->CreateSuppression(As().get(), request, &suppression);
       }},
      {"karton.messaging.v1.MessagingService/DeleteSuppression",
       "messaging.consent.restored",
       "messaging.suppression",
       {},
       [&] {
         mv1::DeleteSuppressionRequest request;
         request.set_channel(mv1::CHANNEL_EMAIL);
         request.set_address("bela@kiss.example");
         mv1::DeleteSuppressionResponse response;
         return messaging_->DeleteSuppression(As().get(), request, &response);
       }},
  };
  Walk("messaging", steps);
}

}  // namespace
}  // namespace karton::testing
