#include "delivery_job.h"

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "karton/kernel/database.h"
#include "message_repository.h"

namespace karton::messaging {

void EmailDelivery::Run(const kernel::JobRun& run, int max_attempts) {
  const std::int64_t id = std::stoll(run.payload);
  v1::Message message;
  {
    auto lease = context_.Db().Acquire();
    soci::transaction transaction(lease.Session());
    const auto found = repository::FindMessage(lease.Session(), id, true);
    if (!found) return;  // deleted meanwhile: nothing to send
    const auto status = found->status();
    if (status == v1::MESSAGE_STATUS_SENT || status == v1::MESSAGE_STATUS_FAILED ||
        status == v1::MESSAGE_STATUS_SUPPRESSED) {
      return;  // a repeated run of a finished job
    }
    repository::MarkSending(lease.Session(), id);
    transaction.commit();
    message = *found;
  }
  Email email{.to = message.address(),
              .subject = message.subject(),
              .text_body = message.text_body(),
              .html_body = message.html_body(),
              .message_id = message.provider_message_id(),
              .unsubscribe_url = ""};
  const std::string mime = BuildMime(email, smtp_.from, context_.Time().Now());
  const DeliveryOutcome outcome = SendEmail(smtp_, message.address(), mime);

  auto lease = context_.Db().Acquire();
  soci::transaction transaction(lease.Session());
  switch (outcome.kind) {
    case DeliveryOutcome::Kind::kSent:
      repository::MarkSent(lease.Session(), id, context_.Time().Now());
      transaction.commit();
      return;
    case DeliveryOutcome::Kind::kPermanentFailure:
      repository::MarkFailed(lease.Session(), id, outcome.detail);
      transaction.commit();
      context_.Log().warn("message {} to {} failed for good: {}", id, message.address(),
                          outcome.detail);
      return;
    case DeliveryOutcome::Kind::kTemporaryFailure:
      if (run.attempt >= max_attempts) {
        repository::MarkFailed(
            lease.Session(), id,
            fmt::format("gave up after {} attempts: {}", run.attempt, outcome.detail));
        transaction.commit();
        return;
      }
      repository::RecordAttemptError(lease.Session(), id, outcome.detail);
      transaction.commit();
      // The kernel retries with backoff (1 s, 2 s, 4 s, ...).
      throw std::runtime_error(
          fmt::format("message {}: temporary failure, will retry: {}", id, outcome.detail));
  }
}

}  // namespace karton::messaging
