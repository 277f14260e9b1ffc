// SQL of the messaging module: templates and messages (schema/messaging).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/messaging/v1/messaging_service.pb.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::messaging::repository {

namespace v1 = karton::messaging::v1;
using kernel::TimePoint;

// "email", "sms", "letter" and back.
std::string ChannelName(v1::Channel channel);

// The new template's id, or the earlier one's when `request_id` was used.
std::int64_t InsertTemplate(soci::session& session, const v1::Template& tmpl,
                            const std::string& request_id, TimePoint now);
std::optional<v1::Template> FindTemplate(soci::session& session, std::int64_t id, bool lock);
// `language` when it exists, otherwise the template's first language.
std::optional<v1::Template> FindTemplateByName(soci::session& session, const std::string& name,
                                               v1::Channel channel, const std::string& language);
void UpdateTemplate(soci::session& session, const v1::Template& tmpl, TimePoint now);
// Ordered by name, channel, language, id; after `after_id` in that order.
std::vector<v1::Template> ListTemplates(soci::session& session, const std::string& name,
                                        std::int64_t after_id, int limit);

// Inserts a QUEUED message; nullopt when its idempotency key is taken.
std::optional<std::int64_t> InsertMessage(soci::session& session, const v1::Message& message,
                                          std::int64_t actor_user_id, TimePoint now);
std::optional<v1::Message> FindMessage(soci::session& session, std::int64_t id, bool lock);
std::optional<v1::Message> FindMessageByKey(soci::session& session, const std::string& key);

struct MessageFilter {
  std::int64_t partner_id = 0;
  std::string status;                  // "" for any
  std::string category;                // "" for any
  long long start_us = 0, end_us = 0;  // 0 for open
};
// Newest first, before `before_id` (0: from the newest).
std::vector<v1::Message> ListMessages(soci::session& session, const MessageFilter& filter,
                                      std::int64_t before_id, int limit);

// Status changes of delivery.
void MarkSending(soci::session& session, std::int64_t id);
void MarkSent(soci::session& session, std::int64_t id, TimePoint now);
void MarkFailed(soci::session& session, std::int64_t id, const std::string& error);
void RecordAttemptError(soci::session& session, std::int64_t id, const std::string& error);

}  // namespace karton::messaging::repository
