// Streaming calls under slow or hostile clients (security review): uploads
// and imports that stall hold no database connection, a user has a limited
// number of streams open, and imports are bounded in bytes and cell size.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <thread>

#include "karton/kernel/errors.h"
#include "partners_fixture.h"

namespace karton::testing {
namespace {

// An upload whose client sent the first part and then stalls.
struct StalledUpload {
  std::unique_ptr<grpc::ClientContext> context;
  partners::v1::Document result;
  std::unique_ptr<grpc::ClientWriter<partners::v1::UploadDocumentRequest>> writer;
};

class PartnersStreamsTest : public PartnersTest {
 protected:
  std::unique_ptr<StalledUpload> StartUpload(const std::string& token, std::int64_t partner_id) {
    auto upload = std::make_unique<StalledUpload>();
    upload->context = As(token);
    upload->writer = partners_->UploadDocument(upload->context.get(), &upload->result);
    partners::v1::UploadDocumentRequest message;
    message.mutable_document()->set_resource_type("partners.partner");
    message.mutable_document()->set_resource_id(partner_id);
    message.mutable_document()->set_name("lassú.pdf");
    message.mutable_document()->set_content_type("application/pdf");
    EXPECT_TRUE(upload->writer->Write(message));
    message.Clear();
    message.set_chunk(std::string(100'000, 'p'));
    EXPECT_TRUE(upload->writer->Write(message));
    return upload;
  }

  // Waits (a state check, not a time limit) until `sql` answers `expected`.
  bool Eventually(const std::string& sql, const std::string& expected) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (Query(sql) == expected) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
};

TEST_F(PartnersStreamsTest, StalledUploadsHoldNoConnectionAndAUserHasFourStreamsAtMost) {
  // Three pooled connections and eight stalled uploads: each used to hold a
  // connection and an open transaction for as long as its client waited.
  Restart({"--db-pool-size", "3"});
  const Partner partner = Create(Organization("Lassú Kft."));
  const auto [first_id, first] = User("first@example.com", kernel::v1::ROLE_SALES);
  const auto [second_id, second] = User("second@example.com", kernel::v1::ROLE_SALES);
  std::vector<std::unique_ptr<StalledUpload>> stalled;
  for (const auto& token : {first, second}) {
    for (int i = 0; i < 4; ++i) stalled.push_back(StartUpload(token, partner.id()));
  }
  ASSERT_TRUE(Eventually("SELECT count(*) FROM partners.document_chunk", "0"));
  ASSERT_TRUE(
      Eventually("SELECT count(*) FROM partners.document WHERE pending_since IS NOT NULL", "8"));

  // A fifth stream of the same user is refused, naming the limit.
  auto fifth = StartUpload(first, partner.id());
  fifth->writer->WritesDone();
  const grpc::Status refused = fifth->writer->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(refused.error_message().find("at most 4"), std::string::npos);

  // A stalled import: its file is still arriving. (All of this process's
  // receiving imports share one connection for their liveness locks.)
  auto import_context = As(admin_);
  auto import_stream = partners_->ImportPartners(import_context.get());
  partners::v1::ImportPartnersRequest import_message;
  import_message.mutable_settings()->set_delimiter(";");
  (*import_message.mutable_settings()->mutable_column_mapping())["Név"] = "display_name";
  ASSERT_TRUE(import_stream->Write(import_message));
  import_message.Clear();
  import_message.set_csv_chunk("Név\nFél Kft.\n");
  ASSERT_TRUE(import_stream->Write(import_message));
  partners::v1::ImportPartnersResponse import_reply;
  ASSERT_TRUE(import_stream->Read(&import_reply));
  EXPECT_EQ(import_reply.import().state(), partners::v1::IMPORT_STATE_RECEIVING);

  // Everything else goes on: token checks, reads and writes.
  Create(Organization("Gyors Kft."));
  EXPECT_EQ(List(""), (std::vector<std::string>{"Lassú Kft.", "Gyors Kft."}));
  EXPECT_EQ(Query("SELECT count(*) FROM partners.import_row"), "0");
  // Pending uploads are invisible.
  partners::v1::ListDocumentsRequest list;
  list.set_resource_type("partners.partner");
  list.set_resource_id(partner.id());
  partners::v1::ListDocumentsResponse listed;
  ASSERT_TRUE(partners_->ListDocuments(As(admin_).get(), list, &listed).ok());
  EXPECT_EQ(listed.documents_size(), 0);

  // One finishes: version 1, visible. The cancelled ones leave nothing.
  stalled[0]->writer->WritesDone();
  const grpc::Status finished = stalled[0]->writer->Finish();
  ASSERT_TRUE(finished.ok()) << finished.error_message();
  EXPECT_EQ(stalled[0]->result.version(), 1);
  EXPECT_EQ(stalled[0]->result.size_bytes(), 100'000);
  // The stalled import is still RECEIVING for anyone who asks (its lock is
  // held), and once its client gives up it is FAILED with nothing applied.
  partners::v1::GetImportRequest get_import;
  get_import.set_id(import_reply.import().id());
  partners::v1::Import import;
  ASSERT_TRUE(partners_->GetImport(As(admin_).get(), get_import, &import).ok());
  EXPECT_EQ(import.state(), partners::v1::IMPORT_STATE_RECEIVING);
  import_context->TryCancel();
  import_stream->Finish();
  EXPECT_TRUE(Eventually(
      "SELECT state FROM partners.import WHERE id = " + std::to_string(import_reply.import().id()),
      "failed"));
  for (std::size_t i = 1; i < stalled.size(); ++i) stalled[i]->context->TryCancel();
  for (std::size_t i = 1; i < stalled.size(); ++i) stalled[i]->writer->Finish();
  EXPECT_TRUE(Eventually("SELECT count(*) FROM partners.document", "1"));
  EXPECT_TRUE(Eventually("SELECT count(*) FROM partners.document_chunk", "1"));
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.audit_entry WHERE resource_type = "
                  "'partners.document'"),
            "1");
}

TEST_F(PartnersStreamsTest, AnImportIsBoundedInBytesAndInCellSize) {
  Restart({"--module-option", "partners.import_max_mib=1"});
  partners::v1::ImportSettings settings;
  settings.set_delimiter(";");
  (*settings.mutable_column_mapping())["Név"] = "display_name";
  std::string big = "Név\n";
  while (big.size() < 1'200'000) big += "Nagy Kft.\n";
  const auto too_big = RunImport(big, settings, 64 * 1024);
  EXPECT_EQ(too_big.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(too_big.status.error_message(),
            "csv_chunk: the file is larger than the limit of 1 MiB");
  EXPECT_EQ(too_big.import.state(), partners::v1::IMPORT_STATE_FAILED);

  const auto huge_cell =
      RunImport("Név\n" + std::string(100'000, 'x') + "\nKis Kft.\n", settings, 8192);
  EXPECT_EQ(huge_cell.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(huge_cell.status.error_message().find("a cell over 64 KiB"), std::string::npos)
      << huge_cell.status.error_message();
  EXPECT_EQ(Query("SELECT count(*) FROM partners.partner"), "0");

  const auto fine = RunImport("Név\nKis Kft.\n", settings);
  ASSERT_TRUE(fine.status.ok()) << fine.status.error_message();
  EXPECT_EQ(fine.import.partners_created(), 1);
}

}  // namespace
}  // namespace karton::testing
