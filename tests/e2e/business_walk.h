// Issue 16's ground rule, walked: every business change publishes an event
// and writes an audit entry, an update one that names the fields it changed.
// Each walk (one test per module, one kartond each) calls write methods over
// gRPC in steps; each step names the topic it must publish, the resource its
// audit entry is about and, for an update, the fields that entry must name,
// and reads the event log and the audit trail back from the database.
//
// Which methods each walk covers is declared in WalkedMethods()
// (business_walk_coverage_test.cpp), beside the commented exemptions; the
// coverage test there fails for a write method of any karton.* service that
// is in neither, and a walk fails when its steps and its declaration differ.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crm_fixture.h"

namespace karton::testing {

// Walk name -> the write methods ("karton.crm.v1.LeadService/UpdateLead")
// its steps call.
const std::map<std::string, std::set<std::string>>& WalkedMethods();

class BusinessWalkTest : public CrmTest {
 protected:
  struct Step {
    std::string method;   // "karton.crm.v1.LeadService/UpdateLead"
    std::string topic;    // published exactly once by the call
    std::string audited;  // resource type of the audit entry the call writes
    // An update: the fields its audit entry (action "update") must name.
    std::vector<std::string> fields;
    std::function<grpc::Status()> call;
  };

  long long Events(const std::string& topic) const {
    return std::stoll(QueryScalar(
        conninfo_, fmt::format("SELECT count(*) FROM (SELECT topic FROM kernel.event UNION ALL "
                               "SELECT topic FROM kernel.event_outbox) e WHERE topic = '{}'",
                               topic)));
  }
  long long LastAuditId() const {
    return std::stoll(
        QueryScalar(conninfo_, "SELECT coalesce(max(id), 0) FROM kernel.audit_entry"));
  }
  long long AuditEntriesSince(long long after, const std::string& resource_type) const {
    return std::stoll(QueryScalar(
        conninfo_, fmt::format("SELECT count(*) FROM kernel.audit_entry WHERE id > {} AND "
                               "resource_type = '{}'",
                               after, resource_type)));
  }
  // The fields the update entries after `after` on `resource_type` name.
  std::set<std::string> UpdatedFieldsSince(long long after, const std::string& resource_type) {
    std::set<std::string> fields;
    std::istringstream list(QueryScalar(
        conninfo_,
        fmt::format("SELECT coalesce(string_agg(DISTINCT c->>'field', ','), '') FROM "
                    "kernel.audit_entry a, jsonb_array_elements(a.changes) c WHERE a.id > {} "
                    "AND a.resource_type = '{}' AND a.action = 'update'",
                    after, resource_type)));
    for (std::string field; std::getline(list, field, ',');) fields.insert(field);
    return fields;
  }

  // Runs each step once, in order, and checks it; then that the steps are
  // the methods WalkedMethods() declares for `walk`.
  void Walk(const std::string& walk, const std::vector<Step>& steps) {
    std::set<std::string> walked;
    for (const Step& step : steps) {
      walked.insert(step.method);
      SCOPED_TRACE(step.method);
      const long long events_before = Events(step.topic);
      const long long audit_before = LastAuditId();
      const grpc::Status status = step.call();
      ASSERT_TRUE(status.ok()) << step.method << ": " << status.error_message();
      EXPECT_EQ(Events(step.topic), events_before + 1)
          << step.method << " did not publish one " << step.topic;
      EXPECT_GT(AuditEntriesSince(audit_before, step.audited), 0)
          << step.method << " audited nothing on " << step.audited;
      if (!step.fields.empty()) {
        const auto audited = UpdatedFieldsSince(audit_before, step.audited);
        for (const auto& field : step.fields) {
          EXPECT_TRUE(audited.count(field) == 1)
              << step.method << "'s audit entry on " << step.audited << " does not name " << field
              << " (it names: " << fmt::format("{}", fmt::join(audited, ", ")) << ")";
        }
      }
    }
    const auto declared = WalkedMethods().find(walk);
    ASSERT_NE(declared, WalkedMethods().end()) << "no walk " << walk << " in WalkedMethods()";
    std::vector<std::string> undeclared;
    std::set_difference(walked.begin(), walked.end(), declared->second.begin(),
                        declared->second.end(), std::back_inserter(undeclared));
    std::vector<std::string> unwalked;
    std::set_difference(declared->second.begin(), declared->second.end(), walked.begin(),
                        walked.end(), std::back_inserter(unwalked));
    EXPECT_TRUE(undeclared.empty()) << "walked but not declared in WalkedMethods()[\"" << walk
                                    << "\"]: " << fmt::format("{}", fmt::join(undeclared, ", "));
    EXPECT_TRUE(unwalked.empty()) << "declared in WalkedMethods()[\"" << walk
                                  << "\"] but not walked: "
                                  << fmt::format("{}", fmt::join(unwalked, ", "));
  }
};

}  // namespace karton::testing
