// The helpdesk's services on a throwaway database for its database tests:
// a FakeModuleContext's clock, audit trail, events and jobs, partners and
// other modules answered in memory, and the services on an in-process gRPC
// server, so each call carries its caller the way the kernel forwards it.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "karton/kernel/access.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "module_database_test.h"
#include "outreach.h"
#include "partner_directory.h"
#include "process/step_actions.h"
#include "process/ticket_type_service.h"
#include "throwaway_postgres.h"
#include "tickets/ticket_service.h"

namespace karton::helpdesk::testing {

using karton::testing::QueryScalar;

class MemoryPartners final : public PartnerDirectory {
 public:
  std::map<std::int64_t, std::int64_t> contacts;   // contact -> partner
  std::map<std::string, PartnerMatch> by_address;  // email or phone -> match
  std::set<std::int64_t> partners;
  grpc::Status CheckPartner(const grpc::ServerContext*, std::int64_t partner_id) override {
    if (partners.count(partner_id) == 0) return {grpc::StatusCode::NOT_FOUND, "no such partner"};
    return grpc::Status::OK;
  }
  grpc::Status CheckContact(const grpc::ServerContext*, std::int64_t partner_id,
                            std::int64_t contact_id) override {
    const auto found = contacts.find(contact_id);
    if (found == contacts.end()) return {grpc::StatusCode::NOT_FOUND, "no such contact"};
    if (found->second != partner_id) {
      return {grpc::StatusCode::FAILED_PRECONDITION, "another partner's contact"};
    }
    return grpc::Status::OK;
  }
  grpc::Status Match(const grpc::ServerContext*, const std::string& email, const std::string& phone,
                     PartnerMatch& match) override {
    match = {};
    for (const auto& key : {email, phone}) {
      if (const auto found = by_address.find(key); !key.empty() && found != by_address.end()) {
        match = found->second;
        return grpc::Status::OK;
      }
    }
    return grpc::Status::OK;
  }
};

// What the jobs asked of messaging and the CRM; `answer` is what they say.
class MemoryOutreach final : public Outreach {
 public:
  std::vector<messaging::v1::SendMessageRequest> emails;
  std::vector<crm::v1::CreateActivityRequest> activities;
  grpc::Status email_answer = grpc::Status::OK;
  grpc::Status activity_answer = grpc::Status::OK;
  grpc::Status SendEmail(const messaging::v1::SendMessageRequest& request,
                         std::int64_t& message_id) override {
    if (!email_answer.ok()) return email_answer;
    emails.push_back(request);
    message_id = 9000 + static_cast<std::int64_t>(emails.size());
    return grpc::Status::OK;
  }
  grpc::Status CreateActivity(const crm::v1::CreateActivityRequest& request,
                              std::int64_t& activity_id) override {
    if (!activity_answer.ok()) return activity_answer;
    activities.push_back(request);
    activity_id = 500 + static_cast<std::int64_t>(activities.size());
    return grpc::Status::OK;
  }
  // Email addresses on the suppression list, and what looking answers.
  std::set<std::string> suppressed;
  grpc::Status suppression_answer = grpc::Status::OK;
  grpc::Status FindSuppression(const std::string& address,
                               std::optional<messaging::v1::Suppression>& entry) override {
    entry.reset();
    if (!suppression_answer.ok()) return suppression_answer;
    if (suppressed.count(address) > 0) {
      entry.emplace();
      entry->set_channel(messaging::v1::CHANNEL_EMAIL);
      entry->set_address(address);
      entry->set_source(messaging::v1::SUPPRESSION_SOURCE_BOUNCE);
    }
    return grpc::Status::OK;
  }
};

class HelpdeskServicesTest : public karton::testing::ModuleDatabaseTest {
 protected:
  HelpdeskServicesTest() : ModuleDatabaseTest("helpdesk", {"partners", "helpdesk"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    // 2026-06-10 10:00 UTC.
    context_.Clock().Set(
        std::chrono::system_clock::time_point(std::chrono::seconds(1'781'085'600)));
    support_.user_id = NewUser("edit", "support");
    support_.roles = {"support"};
    salesperson_.user_id = NewUser("anna", "sales");
    salesperson_.roles = {"sales"};
    subcontractor_.user_id = NewUser("szerviz", "external_partner");
    subcontractor_.roles = {"external_partner"};
    partner_ = NewPartner("Fűtés Kft.", salesperson_.user_id);
    other_partner_ = NewPartner("Hűtés Bt.", 0);
    contact_ = InsertReturningId(
        "INSERT INTO partners.contact (partner_id, name, create_time, update_time) VALUES (" +
        std::to_string(partner_) + ", 'Kiss János', now(), now()) RETURNING id");
    partners_.partners = {partner_, other_partner_};
    partners_.contacts[contact_] = partner_;
    partners_.by_address["kiss.janos@futes.example"] = {partner_, contact_};
    partners_.by_address["+36301234567"] = {other_partner_, 0};
    parts_ = std::make_unique<kernel::ServiceParts>(kernel::PartsOf(context_));
    TicketServiceImpl::DeclareTopics(context_.Events());
    TicketTypeServiceImpl::DeclareTopics(context_.Events());
    service_ = std::make_unique<TicketServiceImpl>(*parts_, partners_);
    types_service_ = std::make_unique<TicketTypeServiceImpl>(*parts_);
    step_actions_ = std::make_unique<StepActions>(*parts_, outreach_);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    builder.RegisterService(types_service_.get());
    server_ = builder.BuildAndStart();
    auto channel = server_->InProcessChannel(grpc::ChannelArguments());
    stub_ = v1::TicketService::NewStub(channel);
    types_ = v1::TicketTypeService::NewStub(channel);
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  std::int64_t NewPartner(const std::string& name, std::int64_t owner) {
    return InsertReturningId(
        "INSERT INTO partners.partner (kind, display_name, owner_user_id, create_time, "
        "update_time) VALUES ('organization', '" +
        name + "', " + (owner == 0 ? std::string("NULL") : std::to_string(owner)) +
        ", now(), now()) RETURNING id");
  }

  std::unique_ptr<grpc::ClientContext> As(const kernel::Caller& caller) {
    auto context = std::make_unique<grpc::ClientContext>();
    kernel::ForwardCaller(caller, *context);
    return context;
  }

  v1::Ticket Create(const std::string& subject, const kernel::Caller& caller,
                    std::int64_t partner = 0,
                    v1::TicketPriority priority = v1::TICKET_PRIORITY_UNSPECIFIED) {
    v1::CreateTicketRequest request;
    request.mutable_ticket()->set_subject(subject);
    request.mutable_ticket()->set_partner_id(partner);
    request.mutable_ticket()->set_priority(priority);
    v1::Ticket created;
    const auto status = stub_->CreateTicket(As(caller).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  grpc::Status Move(std::int64_t id, v1::TicketState state, v1::Ticket& moved,
                    const std::string& etag = "") {
    v1::ChangeStateRequest request;
    request.set_id(id);
    request.set_etag(etag);
    request.set_state(state);
    return stub_->ChangeState(As(support_).get(), request, &moved);
  }

  grpc::Status Get(std::int64_t id, const kernel::Caller& caller, v1::Ticket& found) {
    v1::GetTicketRequest request;
    request.set_id(id);
    return stub_->GetTicket(As(caller).get(), request, &found);
  }

  std::vector<std::int64_t> Ids(const v1::ListTicketsRequest& request,
                                const kernel::Caller& caller) {
    v1::ListTicketsResponse response;
    const auto status = stub_->ListTickets(As(caller).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::int64_t> ids;
    for (const auto& ticket : response.tickets()) ids.push_back(ticket.id());
    return ids;
  }

  std::string Count(const std::string& table) {
    return QueryScalar(conninfo_, "SELECT count(*) FROM helpdesk." + table);
  }

  kernel::Caller support_;
  kernel::Caller salesperson_;
  kernel::Caller subcontractor_;
  std::int64_t partner_ = 0;
  std::int64_t other_partner_ = 0;
  std::int64_t contact_ = 0;
  MemoryPartners partners_;
  std::unique_ptr<kernel::ServiceParts> parts_;
  MemoryOutreach outreach_;
  std::unique_ptr<TicketServiceImpl> service_;
  std::unique_ptr<TicketTypeServiceImpl> types_service_;
  std::unique_ptr<StepActions> step_actions_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::TicketService::Stub> stub_;
  std::unique_ptr<v1::TicketTypeService::Stub> types_;
};

}  // namespace karton::helpdesk::testing
