// The partners module's walk (business_walk.h): every write of
// PartnerService publishes its event and audits its record, an update with
// the fields it changed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "business_walk.h"

namespace karton::testing {
namespace {

namespace pv1 = partners::v1;

using PartnersWalkTest = BusinessWalkTest;

TEST_F(PartnersWalkTest, EveryPartnerWritePublishesItsEventAndAuditsItsChangedFields) {
  Start();
  const auto reseller = NewColleague("viszontelado@partner.example", kv1::ROLE_EXTERNAL_PARTNER);
  const auto organization = [&](const std::string& name) {
    pv1::CreatePartnerRequest request;
    request.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
    request.mutable_partner()->set_display_name(name);
    pv1::Partner created;
    EXPECT_TRUE(partners_->CreatePartner(As().get(), request, &created).ok());
    return created;
  };
  auto kept = organization("Duna Logisztika Zrt.");
  auto duplicate = organization("Duna Logisztika");
  pv1::CreatePartnerRequest person_request;
  person_request.mutable_partner()->set_kind(pv1::PARTNER_KIND_PERSON);
  person_request.mutable_partner()->set_display_name("Fekete Anna");
  person_request.mutable_partner()->add_emails("anna@fekete.example");
  pv1::Partner person;
  ASSERT_TRUE(partners_->CreatePartner(As().get(), person_request, &person).ok());

  pv1::Partner partner;
  pv1::Contact contact;
  pv1::Document document;
  pv1::CustomFieldDefinition definition;
  const std::vector<Step> steps = {
      {"karton.partners.v1.PartnerService/CreatePartner",
       "partners.partner.created",
       "partners.partner",
       {},
       [&] {
         pv1::CreatePartnerRequest request;
         request.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
         request.mutable_partner()->set_display_name("Tisza Fém Kft.");
         return partners_->CreatePartner(As().get(), request, &partner);
       }},
      {"karton.partners.v1.PartnerService/UpdatePartner",
       "partners.partner.updated",
       "partners.partner",
       {"display_name"},
       [&] {
         pv1::UpdatePartnerRequest request;
         request.mutable_partner()->set_id(partner.id());
         request.mutable_partner()->set_etag(partner.etag());
         request.mutable_partner()->set_display_name("Tisza Fémfeldolgozó Kft.");
         request.mutable_update_mask()->add_paths("display_name");
         return partners_->UpdatePartner(As().get(), request, &partner);
       }},
      {"karton.partners.v1.PartnerService/ArchivePartner",
       "partners.partner.archived",
       "partners.partner",
       {"archived"},
       [&] {
         pv1::ArchivePartnerRequest request;
         request.set_id(partner.id());
         request.set_etag(partner.etag());
         return partners_->ArchivePartner(As().get(), request, &partner);
       }},
      {"karton.partners.v1.PartnerService/RestorePartner",
       "partners.partner.restored",
       "partners.partner",
       {"archived"},
       [&] {
         pv1::RestorePartnerRequest request;
         request.set_id(partner.id());
         request.set_etag(partner.etag());
         return partners_->RestorePartner(As().get(), request, &partner);
       }},
      {"karton.partners.v1.PartnerService/SharePartner",
       "partners.partner.shared",
       "partners.partner",
       {},
       [&] {
         pv1::SharePartnerRequest request;
         request.set_id(partner.id());
         request.set_user_id(reseller.id);
         return partners_->SharePartner(As().get(), request, &partner);
       }},
      {"karton.partners.v1.PartnerService/UnsharePartner",
       "partners.partner.unshared",
       "partners.partner",
       {},
       [&] {
         pv1::UnsharePartnerRequest request;
         request.set_id(partner.id());
         request.set_user_id(reseller.id);
         return partners_->UnsharePartner(As().get(), request, &partner);
       }},
      {"karton.partners.v1.PartnerService/RecordMarketingConsent",
       "partners.consent.recorded",
       "partners.marketing_consent",
       {},
       [&] {
         pv1::RecordMarketingConsentRequest request;
         request.set_partner_id(person.id());
         request.set_channel(pv1::MARKETING_CHANNEL_EMAIL);
         request.set_granted(true);
         request.set_source(pv1::CONSENT_SOURCE_PHONE);
         request.set_evidence("telefonhívás, 2026-12-04");
         pv1::MarketingConsent consent;
         return partners_->RecordMarketingConsent(As().get(), request, &consent);
       }},
      {"karton.partners.v1.PartnerService/CreateContact",
       "partners.contact.created",
       "partners.contact",
       {},
       [&] {
         pv1::CreateContactRequest request;
         request.set_partner_id(partner.id());
         request.mutable_contact()->set_name("Kiss Anna");
         request.mutable_contact()->set_role("beszerző");
         return partners_->CreateContact(As().get(), request, &contact);
       }},
      {"karton.partners.v1.PartnerService/UpdateContact",
       "partners.contact.updated",
       "partners.contact",
       {"role"},
       [&] {
         pv1::UpdateContactRequest request;
         request.mutable_contact()->set_id(contact.id());
         request.mutable_contact()->set_etag(contact.etag());
         request.mutable_contact()->set_role("ügyvezető");
         request.mutable_update_mask()->add_paths("role");
         return partners_->UpdateContact(As().get(), request, &contact);
       }},
      {"karton.partners.v1.PartnerService/DeleteContact",
       "partners.contact.deleted",
       "partners.contact",
       {},
       [&] {
         pv1::DeleteContactRequest request;
         request.set_id(contact.id());
         request.set_etag(contact.etag());
         pv1::DeleteContactResponse response;
         return partners_->DeleteContact(As().get(), request, &response);
       }},
      {"karton.partners.v1.PartnerService/LogInteraction",
       "partners.interaction.logged",
       "partners.interaction",
       {},
       [&] {
         pv1::LogInteractionRequest request;
         request.mutable_interaction()->set_partner_id(partner.id());
         request.mutable_interaction()->set_channel(pv1::INTERACTION_CHANNEL_CALL);
         request.mutable_interaction()->set_direction(pv1::INTERACTION_DIRECTION_INBOUND);
         request.mutable_interaction()->set_subject("Árajánlatot kért");
         pv1::Interaction logged;
         return partners_->LogInteraction(As().get(), request, &logged);
       }},
      {"karton.partners.v1.PartnerService/BatchLogInteractions",
       "partners.interaction.logged",
       "partners.interaction",
       {},
       [&] {
         // One entry: the step's event is published exactly once.
         pv1::BatchLogInteractionsRequest request;
         auto* interaction = request.add_requests()->mutable_interaction();
         interaction->set_partner_id(partner.id());
         interaction->set_channel(pv1::INTERACTION_CHANNEL_CALL);
         interaction->set_direction(pv1::INTERACTION_DIRECTION_OUTBOUND);
         interaction->set_subject("Visszahívást kért");
         pv1::BatchLogInteractionsResponse logged;
         return partners_->BatchLogInteractions(As().get(), request, &logged);
       }},
      {"karton.partners.v1.PartnerService/UploadDocument",
       "partners.document.uploaded",
       "partners.document",
       {},
       [&] {
         document = UploadPartnerDocument(partner.id());
         return document.id() > 0 ? grpc::Status::OK
                                  : grpc::Status(grpc::StatusCode::UNKNOWN, "no document");
       }},
      {"karton.partners.v1.PartnerService/DeleteDocument",
       "partners.document.deleted",
       "partners.document",
       {},
       [&] {
         pv1::DeleteDocumentRequest request;
         request.set_id(document.id());
         pv1::DeleteDocumentResponse response;
         return partners_->DeleteDocument(As().get(), request, &response);
       }},
      {"karton.partners.v1.PartnerService/ImportPartners",
       "partners.partner.created",
       "partners.partner",
       {},
       [&] {
         auto context = As();
         auto stream = partners_->ImportPartners(context.get());
         pv1::ImportPartnersRequest message;
         message.mutable_settings();
         if (stream->Write(message)) {
           message.Clear();
           message.set_csv_chunk("display_name,email\nMátra Építő Kft.,iroda@matra.example\n");
           stream->Write(message);
         }
         stream->WritesDone();
         pv1::ImportPartnersResponse response;
         while (stream->Read(&response)) {
         }
         return stream->Finish();
       }},
      {"karton.partners.v1.PartnerService/CreateCustomFieldDefinition",
       "partners.custom_field_definition.created",
       "partners.custom_field_definition",
       {},
       [&] {
         pv1::CreateCustomFieldDefinitionRequest request;
         request.mutable_definition()->set_key("kazan_tipus");
         request.mutable_definition()->set_label("Kazán típusa");
         request.mutable_definition()->set_type(pv1::CUSTOM_FIELD_TYPE_TEXT);
         return partners_->CreateCustomFieldDefinition(As().get(), request, &definition);
       }},
      {"karton.partners.v1.PartnerService/UpdateCustomFieldDefinition",
       "partners.custom_field_definition.updated",
       "partners.custom_field_definition",
       {"label"},
       [&] {
         pv1::UpdateCustomFieldDefinitionRequest request;
         request.mutable_definition()->set_key("kazan_tipus");
         request.mutable_definition()->set_etag(definition.etag());
         request.mutable_definition()->set_label("A kazán típusa");
         request.mutable_update_mask()->add_paths("label");
         return partners_->UpdateCustomFieldDefinition(As().get(), request, &definition);
       }},
      {"karton.partners.v1.PartnerService/MergePartners",
       "partners.partner.merged",
       "partners.partner",
       {"merged_into_id", "archived"},
       [&] {
         pv1::MergePartnersRequest request;
         request.set_keep_partner_id(kept.id());
         request.set_merge_partner_id(duplicate.id());
         request.set_keep_etag(kept.etag());
         request.set_merge_etag(duplicate.etag());
         return partners_->MergePartners(As().get(), request, &kept);
       }},
      {"karton.partners.v1.PartnerService/ErasePersonalData",
       "partners.partner.erased",
       "partners.partner",
       {},
       [&] {
         pv1::ErasePersonalDataRequest request;
         request.set_partner_id(person.id());
         request.set_reason("GDPR-2026-17");
         pv1::ErasePersonalDataResponse response;
         return partners_->ErasePersonalData(As().get(), request, &response);
       }},
      {"karton.partners.v1.PartnerService/DeletePartner",
       "partners.partner.deleted",
       "partners.partner",
       {},
       [&] {
         pv1::DeletePartnerRequest request;
         request.set_id(partner.id());
         request.set_etag(partner.etag());
         pv1::DeletePartnerResponse response;
         return partners_->DeletePartner(As().get(), request, &response);
       }},
  };
  Walk("partners", steps);
}

}  // namespace
}  // namespace karton::testing
