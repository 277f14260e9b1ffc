// karton.partners.v1.PartnerService: the partner card (docs/partners.md).
// It takes what it uses (kernel::ServiceParts) rather than the ModuleContext, so
// a test builds it from a throwaway database and a FakeModuleContext's parts.
#pragma once

#include <cstdint>
#include <utility>

#include "imports/receiving_imports.h"
#include "karton/kernel/access.h"
#include "karton/kernel/events.h"
#include "karton/kernel/service_parts.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "known_definitions.h"
#include "stream_gate.h"

namespace karton::kernel {
enum class Sharing;
}  // namespace karton::kernel

namespace karton::partners {

// The module's settings (--module-option partners.<key>=<value>).
struct PartnerServiceOptions {
  // partners.document_max_mib: the largest document an upload may carry.
  std::int64_t document_max_bytes = 50LL * 1024 * 1024;
  // partners.search_ranked_matches: SearchPartners ranks at most this many
  // matches by similarity; a broader query lists its matches most recently
  // changed first. Ranking costs a few microseconds per match, so this
  // bounds a search's time (docs/partners.md, Search).
  std::int64_t search_ranked_matches = 2000;
  // partners.streams_per_user: document uploads, downloads and imports one
  // user may have open at once (RESOURCE_EXHAUSTED beyond).
  int streams_per_user = 4;
  // partners.import_max_mib: the largest CSV file an import takes.
  std::int64_t import_max_bytes = 512LL * 1024 * 1024;
};

// GetPartner, the hottest read, is answered through gRPC's callback API on
// the thread that read the request (kernel/callback_calls.h); every other
// method is a synchronous handler.
class PartnerServiceImpl final
    : public v1::PartnerService::WithCallbackMethod_GetPartner<v1::PartnerService::Service> {
 public:
  PartnerServiceImpl(kernel::ServiceParts services, PartnerServiceOptions options)
      : services_(std::move(services)), options_(options) {}
  // Every role reads (external partners only what is shared with them);
  // sales, sales_manager, accounting and admin write; admins define fields.
  static kernel::MethodRoles Roles();
  // The topics this service publishes, declared in Register().
  static void DeclareTopics(kernel::DomainEvents& events);

  grpc::Status CreatePartner(grpc::ServerContext*, const v1::CreatePartnerRequest*,
                             v1::Partner*) override;
  grpc::ServerUnaryReactor* GetPartner(grpc::CallbackServerContext*, const v1::GetPartnerRequest*,
                                       v1::Partner*) override;
  // GetPartner's work for `caller`, whichever way the call arrived.
  grpc::Status GetPartnerFor(const kernel::Caller& caller, const v1::GetPartnerRequest& request,
                             v1::Partner* response);
  grpc::Status BatchGetPartners(grpc::ServerContext*, const v1::BatchGetPartnersRequest*,
                                v1::BatchGetPartnersResponse*) override;
  grpc::Status UpdatePartner(grpc::ServerContext*, const v1::UpdatePartnerRequest*,
                             v1::Partner*) override;
  grpc::Status ArchivePartner(grpc::ServerContext*, const v1::ArchivePartnerRequest*,
                              v1::Partner*) override;
  grpc::Status RestorePartner(grpc::ServerContext*, const v1::RestorePartnerRequest*,
                              v1::Partner*) override;
  grpc::Status DeletePartner(grpc::ServerContext*, const v1::DeletePartnerRequest*,
                             v1::DeletePartnerResponse*) override;
  grpc::Status ListPartners(grpc::ServerContext*, const v1::ListPartnersRequest*,
                            v1::ListPartnersResponse*) override;
  grpc::Status SearchPartners(grpc::ServerContext*, const v1::SearchPartnersRequest*,
                              v1::SearchPartnersResponse*) override;
  grpc::Status CreateCustomFieldDefinition(grpc::ServerContext*,
                                           const v1::CreateCustomFieldDefinitionRequest*,
                                           v1::CustomFieldDefinition*) override;
  grpc::Status ListCustomFieldDefinitions(grpc::ServerContext*,
                                          const v1::ListCustomFieldDefinitionsRequest*,
                                          v1::ListCustomFieldDefinitionsResponse*) override;
  grpc::Status UpdateCustomFieldDefinition(grpc::ServerContext*,
                                           const v1::UpdateCustomFieldDefinitionRequest*,
                                           v1::CustomFieldDefinition*) override;

  // contact_service.cpp
  grpc::Status CreateContact(grpc::ServerContext*, const v1::CreateContactRequest*,
                             v1::Contact*) override;
  grpc::Status GetContact(grpc::ServerContext*, const v1::GetContactRequest*,
                          v1::Contact*) override;
  grpc::Status BatchGetContacts(grpc::ServerContext*, const v1::BatchGetContactsRequest*,
                                v1::BatchGetContactsResponse*) override;
  grpc::Status UpdateContact(grpc::ServerContext*, const v1::UpdateContactRequest*,
                             v1::Contact*) override;
  grpc::Status DeleteContact(grpc::ServerContext*, const v1::DeleteContactRequest*,
                             v1::DeleteContactResponse*) override;
  grpc::Status ListContacts(grpc::ServerContext*, const v1::ListContactsRequest*,
                            v1::ListContactsResponse*) override;

  // timeline_service.cpp
  grpc::Status LogInteraction(grpc::ServerContext*, const v1::LogInteractionRequest*,
                              v1::Interaction*) override;
  grpc::Status BatchLogInteractions(grpc::ServerContext*, const v1::BatchLogInteractionsRequest*,
                                    v1::BatchLogInteractionsResponse*) override;
  grpc::Status ListTimeline(grpc::ServerContext*, const v1::ListTimelineRequest*,
                            v1::ListTimelineResponse*) override;

  // document_service.cpp
  grpc::Status UploadDocument(grpc::ServerContext*, grpc::ServerReader<v1::UploadDocumentRequest>*,
                              v1::Document*) override;
  grpc::Status DownloadDocument(grpc::ServerContext*, const v1::DownloadDocumentRequest*,
                                grpc::ServerWriter<v1::DownloadDocumentResponse>*) override;
  grpc::Status ListDocuments(grpc::ServerContext*, const v1::ListDocumentsRequest*,
                             v1::ListDocumentsResponse*) override;
  grpc::Status DeleteDocument(grpc::ServerContext*, const v1::DeleteDocumentRequest*,
                              v1::DeleteDocumentResponse*) override;

  // import_service.cpp
  grpc::Status ImportPartners(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<v1::ImportPartnersResponse, v1::ImportPartnersRequest>*) override;
  grpc::Status GetImport(grpc::ServerContext*, const v1::GetImportRequest*, v1::Import*) override;
  grpc::Status ListImportErrors(grpc::ServerContext*, const v1::ListImportErrorsRequest*,
                                v1::ListImportErrorsResponse*) override;
  grpc::Status ExportPartners(grpc::ServerContext*, const v1::ExportPartnersRequest*,
                              grpc::ServerWriter<v1::ExportPartnersResponse>*) override;

  // merge_service.cpp
  grpc::Status FindDuplicates(grpc::ServerContext*, const v1::FindDuplicatesRequest*,
                              v1::FindDuplicatesResponse*) override;
  grpc::Status MergePartners(grpc::ServerContext*, const v1::MergePartnersRequest*,
                             v1::Partner*) override;

  // personal_data_service.cpp
  grpc::Status ExportPersonalData(grpc::ServerContext*, const v1::ExportPersonalDataRequest*,
                                  v1::PersonalData*) override;
  grpc::Status ErasePersonalData(grpc::ServerContext*, const v1::ErasePersonalDataRequest*,
                                 v1::ErasePersonalDataResponse*) override;
  grpc::Status SharePartner(grpc::ServerContext*, const v1::SharePartnerRequest*,
                            v1::Partner*) override;
  grpc::Status UnsharePartner(grpc::ServerContext*, const v1::UnsharePartnerRequest*,
                              v1::Partner*) override;

  // consent/consent_service.cpp
  grpc::Status RecordMarketingConsent(grpc::ServerContext*,
                                      const v1::RecordMarketingConsentRequest*,
                                      v1::MarketingConsent*) override;
  grpc::Status ListMarketingConsents(grpc::ServerContext*, const v1::ListMarketingConsentsRequest*,
                                     v1::ListMarketingConsentsResponse*) override;

 private:
  grpc::Status ChangeSharing(grpc::ServerContext* context, const char* method,
                             kernel::Sharing sharing, std::int64_t id, std::int64_t user_id,
                             std::int64_t team_id, v1::Partner* response);
  // Archive and restore differ only in the flag and the topic.
  grpc::Status SetArchived(grpc::ServerContext* context, std::int64_t id, const std::string& etag,
                           bool archived, v1::Partner* response);
  // OK when document `id` exists and the caller may see the record it is
  // on (asking the record's module for other modules' records); NOT_FOUND
  // otherwise. Holds no connection while it asks.
  grpc::Status CheckDocumentRecord(const grpc::ServerContext& caller, std::int64_t id);

  // RESOURCE_EXHAUSTED naming the limit, for a caller with too many streams.
  grpc::Status TooManyStreams() const;

  const kernel::ServiceParts services_;
  PartnerServiceOptions options_;
  StreamGate streams_{options_.streams_per_user};
  ReceivingImports receiving_imports_{services_.database};
  // What CreatePartner checks cards against (known_definitions.h).
  KnownDefinitions known_definitions_;
};

}  // namespace karton::partners
