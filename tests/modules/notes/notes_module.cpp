#include "notes_module.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "karton/kernel/database.h"
#include "karton/notes/v1/notes_service.grpc.pb.h"

namespace karton::notes {
namespace {

// SQL lives in named constants, with tables qualified by the module's schema.
constexpr const char* kInsertNote = "INSERT INTO notes.note (text) VALUES (:text) RETURNING id";
constexpr const char* kInsertDemoNote = "INSERT INTO notes.note (text) VALUES (:text)";
constexpr const char* kSelectNotes = "SELECT id, text FROM notes.note ORDER BY id";
constexpr const char* kCountNotes = "SELECT count(*) FROM notes.note";

}  // namespace

class NotesServiceImpl final : public v1::NotesService::Service {
 public:
  explicit NotesServiceImpl(kernel::Database& database) : database_(database) {}

  grpc::Status CreateNote(grpc::ServerContext*, const v1::CreateNoteRequest* request,
                          v1::Note* response) override {
    if (request->note().text().empty()) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "note.text: must not be empty"};
    }
    auto lease = database_.Acquire();
    long long id = 0;
    lease.Session() << kInsertNote, soci::use(request->note().text()), soci::into(id);
    response->set_id(id);
    response->set_text(request->note().text());
    return grpc::Status::OK;
  }

  grpc::Status ListNotes(grpc::ServerContext*, const v1::ListNotesRequest*,
                         v1::ListNotesResponse* response) override {
    auto lease = database_.Acquire();
    soci::rowset<soci::row> rows = (lease.Session().prepare << kSelectNotes);
    for (const auto& row : rows) {
      v1::Note* note = response->add_notes();
      note->set_id(row.get<long long>(0));
      note->set_text(row.get<std::string>(1));
    }
    return grpc::Status::OK;
  }

 private:
  kernel::Database& database_;
};

NotesModule::NotesModule() = default;
NotesModule::~NotesModule() = default;

void NotesModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  service_ = std::make_unique<NotesServiceImpl>(context.Db());
  registrar.AddGrpcService(*service_, v1::NotesService::service_full_name());
  kernel::Database& database = context.Db();
  registrar.AddHttpRoute(
      kernel::HttpMethod::kGet, "/notes/count", [&database](const kernel::HttpRequest&) {
        auto lease = database.Acquire();
        long long count = 0;
        lease.Session() << kCountNotes, soci::into(count);
        return kernel::HttpResponse::Json(200, fmt::format("{{\"count\":{}}}", count));
      });
}

void NotesModule::LoadDemoData(kernel::ModuleContext&, soci::session& session) {
  for (const char* text :
       {"Call Kovács Kft. about the renewal", "Send the price list", "Árvíztűrő tükörfúrógép"}) {
    std::string value = text;
    session << kInsertDemoNote, soci::use(value);
  }
}

}  // namespace karton::notes
