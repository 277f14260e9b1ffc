#include "tracking_module.h"

#include <soci/soci.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "karton/parcels/v1/parcels_service.pb.h"

namespace karton::tracking {
namespace {

constexpr const char* kInsertSeen =
    "INSERT INTO tracking.seen (subscription, event_id, topic, parcel_id, location) "
    "VALUES (:subscription, :event_id, :topic, :parcel_id, :location)";
constexpr const char* kReleased = "SELECT count(*) FROM tracking.release";
constexpr const char* kCured = "SELECT count(*) FROM tracking.cure";

bool Exists(soci::session& session, const char* count_query) {
  long long rows = 0;
  session << count_query, soci::into(rows);
  return rows > 0;
}

// Records the event in the handler's transaction, so it commits with the
// subscription's cursor: each event is recorded exactly once.
void Record(const std::string& subscription, const kernel::Event& event, soci::session& session) {
  parcels::v1::Parcel parcel;
  if (!event.ParsePayload(parcel)) throw std::runtime_error("not a Parcel payload");
  long long event_id = event.id, parcel_id = parcel.id();
  session << kInsertSeen, soci::use(subscription), soci::use(event_id), soci::use(event.topic),
      soci::use(parcel_id), soci::use(parcel.location());
}

}  // namespace

void TrackingModule::Register(kernel::ModuleContext& context, kernel::Registrar&) {
  // "history" follows every parcel change; its behaviour is steered by the
  // parcel's location, so tests can make it fail or stall on purpose.
  context.Events().Subscribe(
      "history", {"parcels.parcel.*"}, [](const kernel::Event& event, soci::session& session) {
        parcels::v1::Parcel parcel;
        event.ParsePayload(parcel);
        const bool poison = parcel.location() == "poison" || parcel.location() == "poison-hold";
        if (poison && !Exists(session, kCured)) {
          throw std::runtime_error("poison parcel " + std::to_string(parcel.id()));
        }
        if (parcel.location() == "hold" || parcel.location() == "poison-hold") {
          // Stalls mid-delivery, transaction open, until a test releases it.
          const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
          while (!Exists(session, kReleased)) {
            if (std::chrono::steady_clock::now() > deadline)
              throw std::runtime_error("held too long");
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }
        Record("history", event, session);
      });
  // "arrivals" only counts new parcels, and never fails: it shows that one
  // subscriber's trouble does not hold up another.
  context.Events().Subscribe("arrivals", {"parcels.parcel.created"},
                             [](const kernel::Event& event, soci::session& session) {
                               Record("arrivals", event, session);
                             });
}

}  // namespace karton::tracking
