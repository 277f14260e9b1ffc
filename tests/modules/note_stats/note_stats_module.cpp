#include "note_stats_module.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "karton/notes/v1/notes_service.grpc.pb.h"

namespace karton::note_stats {

class NoteStatsServiceImpl final : public notes::v1::NoteStatsService::Service {
 public:
  explicit NoteStatsServiceImpl(kernel::ModuleContext& context) : context_(context) {}

  grpc::Status CountNotes(grpc::ServerContext* server_context,
                          const notes::v1::CountNotesRequest* request,
                          notes::v1::CountNotesResponse* response) override {
    if (request->delay_ms() > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(request->delay_ms(), 60000)));
    }
    auto notes = notes::v1::NotesService::NewStub(context_.Channel());
    grpc::ClientContext client_context;
    client_context.set_deadline(server_context->deadline());
    // Count what the caller may see, not what kartond may see.
    kernel::ForwardCaller(*server_context, client_context);
    notes::v1::ListNotesResponse listed;
    grpc::Status status = notes->ListNotes(&client_context, {}, &listed);
    if (!status.ok()) return status;
    response->set_count(listed.notes_size());
    return grpc::Status::OK;
  }

 private:
  kernel::ModuleContext& context_;
};

NoteStatsModule::NoteStatsModule() = default;
NoteStatsModule::~NoteStatsModule() = default;

void NoteStatsModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  service_ = std::make_unique<NoteStatsServiceImpl>(context);
  registrar.AddGrpcService(*service_, notes::v1::NoteStatsService::service_full_name(),
                           {{"CountNotes", {std::string(kernel::kAnyRole)}}});
}

}  // namespace karton::note_stats
