#include "greeting_service.h"

#include <string>
#include <utility>

#include "greeting_rules.h"
#include "karton/kernel/access.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/clock.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"

namespace karton::hello {
namespace {

// Columns are named after the Greeting fields they fill (typed_rows.h);
// times travel as microseconds since 1970.
const kernel::TypedQuery<v1::Greeting> kInsertGreeting(
    "INSERT INTO hello.greeting (name, language, text, create_time) "
    "VALUES ($1, $2, $3, to_timestamp($4::bigint / 1e6)) "
    "RETURNING id, name, language, text, "
    "(extract(epoch FROM create_time) * 1000000)::bigint AS create_time");
const kernel::TypedQuery<v1::Greeting> kFindGreeting(
    "SELECT id, name, language, text, "
    "(extract(epoch FROM create_time) * 1000000)::bigint AS create_time "
    "FROM hello.greeting WHERE id = $1");

}  // namespace

void GreetingService::DeclareTopics(kernel::DomainEvents& events) {
  events.DeclareTopic<v1::Greeting>("hello.greeting.created");
}

GreetingService::GreetingService(kernel::ServiceParts parts, std::string default_language)
    : parts_(std::move(parts)), default_language_(std::move(default_language)) {}

grpc::Status GreetingService::CreateGreeting(grpc::ServerContext* context,
                                             const v1::CreateGreetingRequest* request,
                                             v1::Greeting* response) {
  return kernel::Guarded(parts_.log, "CreateGreeting", [&]() -> grpc::Status {
    v1::Greeting greeting;
    greeting.set_name(request->greeting().name());
    greeting.set_language(request->greeting().language());
    if (auto violations = CheckNewGreeting(greeting, default_language_); !violations.empty()) {
      return kernel::InvalidFields(std::move(violations));
    }
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    // One request, one transaction: the row, its audit entry and its event.
    kernel::Transaction transaction(lease.Session());
    const std::string text = GreetingText(greeting);
    const std::string now = std::to_string(kernel::ToEpochMicros(parts_.clock.Now()));
    auto created =
        kInsertGreeting.One(lease.Session(), {greeting.name(), greeting.language(), text, now});
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, "hello.greeting",
                        created->id(),
                        {kernel::FieldChange::Created("name", created->name()),
                         kernel::FieldChange::Created("language", created->language())});
    parts_.events.Publish(lease.Session(), "hello.greeting.created", created->id(), *created,
                          caller);
    transaction.Commit();
    *response = std::move(*created);
    return grpc::Status::OK;
  });
}

grpc::Status GreetingService::GetGreeting(grpc::ServerContext*,
                                          const v1::GetGreetingRequest* request,
                                          v1::Greeting* response) {
  return kernel::Guarded(parts_.log, "GetGreeting", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto found = kFindGreeting.One(lease.Session(), {std::to_string(request->id())});
    if (!found) return {grpc::StatusCode::NOT_FOUND, "no greeting with that id"};
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

}  // namespace karton::hello
