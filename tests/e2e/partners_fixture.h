// The fixture of the partners module's end-to-end tests: the real kartond
// with the partners module on a fresh database, and gRPC helpers.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "kartond_process.h"
#include "throwaway_postgres.h"

namespace karton::testing {

using partners::v1::Partner;
using partners::v1::PartnerService;

inline std::string RandomBytes(std::size_t size) {
  std::string bytes(size, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return bytes;
}

inline std::string Sha256Hex(const std::string& bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

class PartnersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
    Restart();
  }

  // (Re)starts kartond on the test's database with `extra` options.
  void Restart(std::vector<std::string> extra = {}) {
    kartond_.reset();
    std::vector<std::string> arguments = {"--database-url", conninfo_,
                                          "--data-dir",     data_dir_.Path().string(),
                                          "--modules-dir",  ProductModulesDirectory().string(),
                                          "--modules",      "partners"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    kartond_ = std::make_unique<KartondProcess>(arguments);
    ASSERT_TRUE(kartond_->WaitUntilReady()) << kartond_->Stderr();
    channel_ = grpc::CreateChannel(kartond_->GrpcAddress(), grpc::InsecureChannelCredentials());
    partners_ = PartnerService::NewStub(channel_);
    admin_ = kartond_->AdminToken();
  }

  // Uploads `content` in chunks of `chunk_size` bytes.
  grpc::Status Upload(const std::string& resource_type, std::int64_t resource_id,
                      const std::string& name, const std::string& content,
                      partners::v1::Document* uploaded, std::size_t chunk_size = 65536,
                      const std::string& token = "") {
    auto context = As(token.empty() ? admin_ : token);
    auto writer = partners_->UploadDocument(context.get(), uploaded);
    partners::v1::UploadDocumentRequest message;
    message.mutable_document()->set_resource_type(resource_type);
    message.mutable_document()->set_resource_id(resource_id);
    message.mutable_document()->set_name(name);
    message.mutable_document()->set_content_type("application/pdf");
    if (writer->Write(message)) {
      for (std::size_t at = 0; at < content.size(); at += chunk_size) {
        message.Clear();
        message.set_chunk(content.substr(at, chunk_size));
        if (!writer->Write(message)) break;
      }
    }
    writer->WritesDone();
    return writer->Finish();
  }

  grpc::Status Download(std::int64_t id, partners::v1::Document* document, std::string* content,
                        const std::string& token = "") {
    auto context = As(token.empty() ? admin_ : token);
    partners::v1::DownloadDocumentRequest request;
    request.set_id(id);
    auto reader = partners_->DownloadDocument(context.get(), request);
    partners::v1::DownloadDocumentResponse message;
    content->clear();
    while (reader->Read(&message)) {
      if (message.has_document()) *document = message.document();
      *content += message.chunk();
    }
    return reader->Finish();
  }

  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }

  // A user with one role, and a token for them: {user id, token}.
  std::pair<std::int64_t, std::string> User(const std::string& email, kernel::v1::Role role) {
    auto identity = kernel::v1::IdentityService::NewStub(channel_);
    kernel::v1::CreateUserRequest create;
    create.mutable_user()->set_name(email);
    create.mutable_user()->set_email(email);
    create.mutable_user()->add_roles(role);
    kernel::v1::User user;
    EXPECT_TRUE(identity->CreateUser(As(admin_).get(), create, &user).ok());
    kernel::v1::CreateApiTokenRequest token_request;
    token_request.set_user_id(user.id());
    kernel::v1::CreateApiTokenResponse token;
    EXPECT_TRUE(identity->CreateApiToken(As(admin_).get(), token_request, &token).ok());
    return {user.id(), token.token()};
  }

  static Partner Organization(const std::string& name) {
    Partner partner;
    partner.set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
    partner.set_display_name(name);
    return partner;
  }

  Partner Create(const Partner& partner, const std::string& request_id = "") {
    partners::v1::CreatePartnerRequest request;
    *request.mutable_partner() = partner;
    request.set_request_id(request_id);
    Partner created;
    const grpc::Status status = partners_->CreatePartner(As(admin_).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  grpc::Status Update(const Partner& partner, std::vector<std::string> paths, Partner* updated) {
    partners::v1::UpdatePartnerRequest request;
    *request.mutable_partner() = partner;
    for (auto& path : paths) request.mutable_update_mask()->add_paths(std::move(path));
    return partners_->UpdatePartner(As(admin_).get(), request, updated);
  }

  std::vector<std::string> List(const std::string& filter, const std::string& order_by = "",
                                const std::string& token = "") {
    partners::v1::ListPartnersRequest request;
    request.set_filter(filter);
    request.set_order_by(order_by);
    partners::v1::ListPartnersResponse response;
    const grpc::Status status =
        partners_->ListPartners(As(token.empty() ? admin_ : token).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> names;
    for (const auto& partner : response.partners()) names.push_back(partner.display_name());
    return names;
  }

  std::vector<std::string> Search(const std::string& query, bool archived = false,
                                  const std::string& token = "") {
    partners::v1::SearchPartnersRequest request;
    request.set_query(query);
    request.set_include_archived(archived);
    partners::v1::SearchPartnersResponse response;
    const grpc::Status status =
        partners_->SearchPartners(As(token.empty() ? admin_ : token).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> names;
    for (const auto& partner : response.partners()) names.push_back(partner.display_name());
    return names;
  }

  void Define(const std::string& key, partners::v1::CustomFieldType type,
              std::vector<std::string> choices = {}, bool required = false) {
    partners::v1::CreateCustomFieldDefinitionRequest request;
    request.mutable_definition()->set_key(key);
    request.mutable_definition()->set_label(key);
    request.mutable_definition()->set_type(type);
    request.mutable_definition()->set_required(required);
    for (auto& choice : choices) request.mutable_definition()->add_choices(std::move(choice));
    partners::v1::CustomFieldDefinition created;
    const grpc::Status status =
        partners_->CreateCustomFieldDefinition(As(admin_).get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::string Query(const std::string& sql) { return QueryScalar(conninfo_, sql); }

  struct ImportRun {
    grpc::Status status;
    partners::v1::Import import;  // the last message
    int messages = 0;
  };
  ImportRun RunImport(const std::string& csv, partners::v1::ImportSettings settings,
                      std::size_t chunk_size = 4096) {
    ImportRun run;
    auto context = As(admin_);
    auto stream = partners_->ImportPartners(context.get());
    partners::v1::ImportPartnersRequest message;
    *message.mutable_settings() = settings;
    if (stream->Write(message)) {
      for (std::size_t at = 0; at < csv.size(); at += chunk_size) {
        message.Clear();
        message.set_csv_chunk(csv.substr(at, chunk_size));
        if (!stream->Write(message)) break;
      }
    }
    stream->WritesDone();
    partners::v1::ImportPartnersResponse response;
    while (stream->Read(&response)) {
      run.import = response.import();
      ++run.messages;
    }
    run.status = stream->Finish();
    return run;
  }

  std::string Export(const std::string& filter = "") {
    partners::v1::ExportPartnersRequest request;
    request.set_filter(filter);
    auto context = As(admin_);
    auto reader = partners_->ExportPartners(context.get(), request);
    partners::v1::ExportPartnersResponse chunk;
    std::string csv;
    while (reader->Read(&chunk)) csv += chunk.csv_chunk();
    EXPECT_TRUE(reader->Finish().ok());
    return csv;
  }

  std::string conninfo_;
  TemporaryDirectory data_dir_;
  std::unique_ptr<KartondProcess> kartond_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<PartnerService::Stub> partners_;
  std::string admin_;
};

}  // namespace karton::testing
