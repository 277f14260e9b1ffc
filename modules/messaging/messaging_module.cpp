#include "messaging_module.h"

#include <soci/soci.h>

#include "consent/consent.h"
#include "demo_data.h"
#include "event_handlers.h"
#include "karton/kernel/database.h"
#include "karton/kernel/service_parts.h"
#include "message_repository.h"
#include "messaging_service.h"
#include "personal_data_service.h"
#include "record_access_service.h"
#include "settings.h"

namespace karton::messaging {

MessagingModule::MessagingModule() = default;
MessagingModule::~MessagingModule() = default;

void MessagingModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  settings_ = ReadChannelSettings(context);
  inbound_settings_ = ReadInboundSettings(context);
  {
    // Migrations have run; every kartond on the database shares one key.
    auto lease = context.Db().Acquire();
    soci::transaction transaction(lease.Session());
    tokens_.emplace(repository::SigningKey(lease.Session(), NewSigningKey()));
    transaction.commit();
  }
  MessagingServiceImpl::DeclareTopics(context.Events());
  Inbound::DeclareTopics(context.Events());
  // The channel and the public URL exist from Start() on: asked at each use.
  const kernel::ServiceParts services = kernel::PartsOf(context);

  delivery_ = std::make_unique<Delivery>(services, settings_, *tokens_);
  // Handlers exist even for channels not configured now, so jobs queued
  // while one was are not dropped as unknown: they wait, failing, for it.
  context.JobQueue().HandleBatch(
      kDeliverEmailJob, Delivery::kEmailBatch,
      [this](const std::vector<kernel::JobRun>& runs, std::vector<std::string>& failures) {
        delivery_->RunBatch(runs, failures);
      });
  for (const char* kind : {kDeliverSmsJob, kDeliverLetterJob}) {
    context.JobQueue().Handle(kind, [this](const kernel::JobRun& run) { delivery_->Run(run); });
  }

  // Inbound email: the handlers exist without a mailbox too, so jobs
  // queued while one was configured end quietly.
  inbound_ = std::make_unique<Inbound>(services, inbound_settings_);
  context.JobQueue().Handle(kPollMailboxJob,
                            [this](const kernel::JobRun& run) { inbound_->Poll(run); });
  context.JobQueue().Handle(kProcessInboundJob,
                            [this](const kernel::JobRun& run) { inbound_->Process(run); });

  // Calls partners: holds no connection meanwhile. A delivery batch's sent
  // messages go in one BatchLogInteractions (one transaction); before, one
  // LogInteraction each took a commit per message sent. After a run fails
  // its messages go one at a time: one at a time drained about 50 a second
  // under the soak's load, behind the 110 a second sent; four at once keep
  // up.
  kernel::SubscriptionOptions four_at_once;
  four_at_once.calling_concurrency = 4;
  context.Events().SubscribeCallingRuns(
      "timeline", {"messaging.message.sent"},
      [services](std::span<const kernel::Event> run) {
        LogRunOnTimeline(services.channel, services.log, run);
      },
      four_at_once);
  context.Events().Subscribe("erasure", {"partners.partner.erased", "partners.contact.erased"},
                             [services](const kernel::Event& event, soci::session& session) {
                               EraseMessagesOfPerson(services.events, services.log, event, session);
                             });
  context.Events().Subscribe("merge", {"partners.partner.merged"}, FollowMerge);

  service_ = std::make_unique<MessagingServiceImpl>(services, settings_, *tokens_);
  registrar.AddGrpcService(*service_, v1::MessagingService::service_full_name(),
                           MessagingServiceImpl::Roles());
  // Messages and suppressions join partners' personal data export and
  // erasure (karton/common/v1/personal_data.proto).
  personal_data_ = std::make_unique<PersonalDataServiceImpl>(services);
  registrar.AddGrpcService(*personal_data_, v1::PersonalDataService::service_full_name(),
                           PersonalDataServiceImpl::Roles());
  registrar.OfferExtension("personal_data_export",
                           "/karton.messaging.v1.PersonalDataService/ExportPersonalDataSection");
  registrar.OfferExtension("personal_data_erase",
                           "/karton.messaging.v1.PersonalDataService/ErasePersonalDataSection");
  // Attachments of email to raw addresses are documents on the message:
  // the partners module asks who may see them.
  record_access_ = std::make_unique<RecordAccessServiceImpl>(services);
  registrar.AddGrpcService(*record_access_, v1::RecordAccessService::service_full_name(),
                           RecordAccessServiceImpl::Roles());
  registrar.OfferExtension("record_access",
                           "/karton.messaging.v1.RecordAccessService/CheckRecordAccess");
  unsubscribe_pages_ = std::make_unique<UnsubscribePages>(services, *tokens_);
  registrar.AddHttpRoute(
      kernel::HttpMethod::kGet, "/u/{token}",
      [this](const kernel::HttpRequest& request) { return unsubscribe_pages_->Ask(request); });
  registrar.AddHttpRoute(
      kernel::HttpMethod::kPost, "/u/{token}",
      [this](const kernel::HttpRequest& request) { return unsubscribe_pages_->Confirm(request); });
}

void MessagingModule::Start(kernel::ModuleContext& context) {
  auto lease = context.Db().Acquire();
  inbound_->SchedulePolling(lease.Session());
}

void MessagingModule::LoadDemoData(kernel::ModuleContext& context, soci::session& session) {
  LoadMessagingDemoData(context, session);
}

}  // namespace karton::messaging
