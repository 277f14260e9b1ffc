#include "notes_module.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/notes/v1/notes_service.grpc.pb.h"

namespace karton::notes {
namespace {

// SQL lives in named constants, with tables qualified by the module's schema.
constexpr const char* kInsertNote = "INSERT INTO notes.note (text) VALUES (:text) RETURNING id";
constexpr const char* kInsertDemoNote = "INSERT INTO notes.note (text) VALUES (:text)";
// External partners see only the notes shared with them (kernel.record_grant).
constexpr const char* kSelectNotes =
    "SELECT id, text FROM notes.note n "
    "WHERE (:external = 0 OR kernel.is_shared_with('notes.note', n.id, :user_id)) ORDER BY id";
constexpr const char* kNoteExists = "SELECT count(*) FROM notes.note WHERE id = :id";
constexpr const char* kCountNotes = "SELECT count(*) FROM notes.note";

}  // namespace

class NotesServiceImpl final : public v1::NotesService::Service {
 public:
  NotesServiceImpl(kernel::Database& database, kernel::AuditLog& audit)
      : database_(database), audit_(audit) {}

  grpc::Status CreateNote(grpc::ServerContext* context, const v1::CreateNoteRequest* request,
                          v1::Note* response) override {
    if (request->note().text().empty()) {
      return kernel::InvalidField("note.text", "must not be empty");
    }
    // One request, one transaction: the note and its audit entry together.
    auto lease = database_.Acquire();
    soci::transaction transaction(lease.Session());
    long long id = 0;
    lease.Session() << kInsertNote, soci::use(request->note().text()), soci::into(id);
    audit_.Record(lease.Session(), kernel::CallerOf(*context), kernel::AuditAction::kCreate,
                  "notes.note", id, {kernel::FieldChange::Created("text", request->note().text())});
    transaction.commit();
    response->set_id(id);
    response->set_text(request->note().text());
    return grpc::Status::OK;
  }

  grpc::Status ListNotes(grpc::ServerContext* context, const v1::ListNotesRequest*,
                         v1::ListNotesResponse* response) override {
    const kernel::Caller caller = kernel::CallerOf(*context);
    const int external = caller.IsStaff() ? 0 : 1;  // nobody sees nothing
    long long user_id = caller.user_id;
    auto lease = database_.Acquire();
    soci::rowset<soci::row> rows =
        (lease.Session().prepare << kSelectNotes, soci::use(external), soci::use(user_id));
    for (const auto& row : rows) {
      v1::Note* note = response->add_notes();
      note->set_id(row.get<long long>(0));
      note->set_text(row.get<std::string>(1));
    }
    return grpc::Status::OK;
  }

  grpc::Status ShareNote(grpc::ServerContext* context, const v1::ShareNoteRequest* request,
                         v1::ShareNoteResponse*) override {
    if (request->user_id() <= 0)
      return {grpc::StatusCode::INVALID_ARGUMENT, "user_id: is required"};
    auto lease = database_.Acquire();
    soci::transaction transaction(lease.Session());
    long long id = request->note_id(), found = 0;
    lease.Session() << kNoteExists, soci::use(id), soci::into(found);
    if (found == 0) return {grpc::StatusCode::NOT_FOUND, "no such note"};
    kernel::ShareRecord(lease.Session(), "notes.note", id, {.user_id = request->user_id()},
                        kernel::CallerOf(*context).user_id);
    transaction.commit();
    return grpc::Status::OK;
  }

 private:
  kernel::Database& database_;
  kernel::AuditLog& audit_;
};

NotesModule::NotesModule() = default;
NotesModule::~NotesModule() = default;

void NotesModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  service_ = std::make_unique<NotesServiceImpl>(context.Db(), context.Audit());
  const std::vector<std::string> writers = {std::string(kernel::kRoleSales),
                                            std::string(kernel::kRoleSalesManager), "note_keeper"};
  registrar.AddGrpcService(*service_, v1::NotesService::service_full_name(),
                           {{"CreateNote", writers},
                            {"ListNotes", {std::string(kernel::kAnyRole)}},
                            {"ShareNote", writers}});
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
  // Lets a test hold kartond in its start-up window, between "HTTP is
  // listening" and "ready" (the /readyz test).
  if (const char* delay = std::getenv("KARTON_TEST_NOTES_DEMO_DELAY_MS")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(delay)));
  }
  for (const char* text :
       {"Call Kovács Kft. about the renewal", "Send the price list", "Árvíztűrő tükörfúrógép"}) {
    std::string value = text;
    session << kInsertDemoNote, soci::use(value);
  }
}

}  // namespace karton::notes
