#include "parcels_module.h"

#include <grpcpp/grpcpp.h>

#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/parcels/v1/parcels_service.grpc.pb.h"

namespace karton::parcels {
namespace {

constexpr const char* kInsertParcel =
    "INSERT INTO parcels.parcel (label, location) VALUES (:label, :location) RETURNING id";
constexpr const char* kMoveParcel =
    "UPDATE parcels.parcel SET location = :location WHERE id = :id RETURNING label";

}  // namespace

class ParcelsServiceImpl final : public v1::ParcelsService::Service {
 public:
  explicit ParcelsServiceImpl(kernel::ModuleContext& context) : context_(context) {}

  grpc::Status CreateParcel(grpc::ServerContext* server_context,
                            const v1::CreateParcelRequest* request, v1::Parcel* response) override {
    if (request->parcel().label().empty())
      return kernel::InvalidField("parcel.label", "is required");
    auto lease = context_.Db().Acquire();
    soci::transaction transaction(lease.Session());
    long long id = 0;
    lease.Session() << kInsertParcel, soci::use(request->parcel().label()),
        soci::use(request->parcel().location()), soci::into(id);
    *response = request->parcel();
    response->set_id(id);
    context_.Events().Publish(lease.Session(), "parcels.parcel.created", id, *response,
                              kernel::CallerOf(*server_context));
    if (request->fail_after_publish()) {
      return {grpc::StatusCode::ABORTED, "failing after the publish, as asked"};  // rolls back
    }
    transaction.commit();
    return grpc::Status::OK;
  }

  grpc::Status MoveParcel(grpc::ServerContext* server_context, const v1::MoveParcelRequest* request,
                          v1::Parcel* response) override {
    auto lease = context_.Db().Acquire();
    soci::transaction transaction(lease.Session());
    long long id = request->id();
    std::string label;
    lease.Session() << kMoveParcel, soci::use(request->location()), soci::use(id),
        soci::into(label);
    if (!lease.Session().got_data()) return {grpc::StatusCode::NOT_FOUND, "no such parcel"};
    response->set_id(id);
    response->set_label(label);
    response->set_location(request->location());
    context_.Events().Publish(lease.Session(), "parcels.parcel.moved", id, *response,
                              kernel::CallerOf(*server_context));
    transaction.commit();
    return grpc::Status::OK;
  }

 private:
  kernel::ModuleContext& context_;
};

ParcelsModule::ParcelsModule() = default;
ParcelsModule::~ParcelsModule() = default;

void ParcelsModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  context.Events().DeclareTopic<v1::Parcel>("parcels.parcel.created");
  context.Events().DeclareTopic<v1::Parcel>("parcels.parcel.moved");
  service_ = std::make_unique<ParcelsServiceImpl>(context);
  const std::vector<std::string> staff = kernel::StaffRoles();
  registrar.AddGrpcService(*service_, v1::ParcelsService::service_full_name(),
                           {{"CreateParcel", staff}, {"MoveParcel", staff}});
}

}  // namespace karton::parcels
