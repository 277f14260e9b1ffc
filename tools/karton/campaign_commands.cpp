// karton segments|campaigns|calls ...: the campaigns module
// (docs/campaigns.md).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "client.h"
#include "command_calls.h"
#include "command_support.h"
#include "karton/campaigns/v1/call_list_service.grpc.pb.h"
#include "karton/campaigns/v1/campaign_service.grpc.pb.h"
#include "karton/campaigns/v1/segment_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

namespace cv1 = campaigns::v1;
using Segments = cv1::SegmentService::Stub;
using Campaigns = cv1::CampaignService::Stub;
using Calls = cv1::CallListService::Stub;

const std::vector<std::string> kChannels = {"email", "sms", "letter"};
const std::vector<std::string> kMembers = {"partners", "contacts"};
const std::vector<std::string> kCampaignStates = {"draft", "scheduled", "sending", "completed",
                                                  "canceled"};
const std::vector<std::string> kRecipientStatuses = {
    "pending", "queued", "sent", "failed", "bounced", "suppressed", "unsubscribed"};
const std::vector<std::string> kOutcomes = {"reached", "no_answer", "call_back", "not_interested",
                                            "wrong_number"};

struct Options {
  std::int64_t id = 0, segment = 0, assignee = 0;
  std::string name, description, filter, members, channel, template_name, language, send_time,
      state, status, format, out, script, outcome, note, call_back_at, follow_up, follow_up_at,
      etag, page_token;
  std::vector<std::int64_t> partners, excluded, assignees, products;
  int max_per_minute = -1, limit = 0, sample = 0;
  bool open_only = false, duplex = false;
};

void PrintSegment(const cv1::Segment& segment) {
  std::cout << fmt::format("segment {}: {} ({})\n", segment.id(), segment.name(),
                           Word(segment.members(), "SEGMENT_MEMBERS_"));
  Lines("filter", segment.filter().empty() ? "-" : segment.filter(), "description",
        segment.description());
  if (segment.partner_ids_size() > 0) {
    Line("listed", fmt::format("{} partner(s)", segment.partner_ids_size()));
  }
  if (segment.excluded_partner_ids_size() > 0) {
    Line("excluded", fmt::format("{} partner(s)", segment.excluded_partner_ids_size()));
  }
  if (segment.has_purchased()) {
    Line("bought", fmt::format("{} product(s) since {}", segment.purchased().product_ids_size(),
                               Time(segment.purchased().since())));
  }
  Lines("etag", segment.etag(), "updated", Time(segment.update_time()));
}

void PrintSegments(const cv1::ListSegmentsResponse& response) {
  constexpr auto kRow = "{:>5}  {:<36} {:<9} {}\n";
  std::cout << fmt::format(kRow, "ID", "NAME", "MEMBERS", "FILTER");
  for (const auto& segment : response.segments()) {
    std::cout << fmt::format(kRow, segment.id(), Cut(segment.name(), 36),
                             Word(segment.members(), "SEGMENT_MEMBERS_"), segment.filter());
  }
  MorePages(response.next_page_token());
}

template <class Members>
void PrintMembers(const Members& members) {
  constexpr auto kRow = "{:>8} {:>8}  {:<36} {:<32} {}\n";
  std::cout << fmt::format(kRow, "PARTNER", "CONTACT", "NAME", "EMAIL", "PHONE");
  for (const auto& member : members) {
    std::cout << fmt::format(kRow, member.partner_id(), Id(member.contact_id()),
                             Cut(member.display_name(), 36), Cut(member.email(), 32),
                             member.phone());
  }
}

void PrintCampaign(const cv1::Campaign& campaign) {
  std::cout << fmt::format("campaign {}: {} ({})\n", campaign.id(), campaign.name(),
                           Word(campaign.state(), "CAMPAIGN_STATE_"));
  Lines("segment", std::to_string(campaign.segment_id()), "channel",
        Word(campaign.channel(), "CAMPAIGN_CHANNEL_"), "template",
        campaign.template_name() + " (" + campaign.language() + ")", "send time",
        Time(campaign.send_time()));
  if (campaign.max_per_minute() > 0) {
    Line("rate", fmt::format("at most {} a minute", campaign.max_per_minute()));
  }
  const auto& s = campaign.statistics();
  Line("recipients",
       fmt::format("{} (pending {}, queued {}, sent {}, failed {}, bounced {}, suppressed {}, "
                   "unsubscribed {})",
                   s.recipients(), s.pending(), s.queued(), s.sent(), s.failed(), s.bounced(),
                   s.suppressed(), s.unsubscribed()));
  Lines("started", Time(campaign.start_time()), "completed", Time(campaign.complete_time()), "etag",
        campaign.etag());
}

void PrintCampaigns(const cv1::ListCampaignsResponse& response) {
  constexpr auto kRow = "{:>5}  {:<32} {:<10} {:<7} {:<16} {:>7} {:>7}\n";
  std::cout << fmt::format(kRow, "ID", "NAME", "STATE", "CHANNEL", "SEND TIME", "SENT", "TOTAL");
  for (const auto& campaign : response.campaigns()) {
    std::cout << fmt::format(
        kRow, campaign.id(), Cut(campaign.name(), 32), Word(campaign.state(), "CAMPAIGN_STATE_"),
        Word(campaign.channel(), "CAMPAIGN_CHANNEL_"), Time(campaign.send_time()),
        campaign.statistics().sent(), campaign.statistics().recipients());
  }
  MorePages(response.next_page_token());
}

void PrintRecipients(const cv1::ListCampaignRecipientsResponse& response) {
  constexpr auto kRow = "{:>7} {:>8} {:>8}  {:<13} {:<32} {}\n";
  std::cout << fmt::format(kRow, "ID", "PARTNER", "CONTACT", "STATUS", "ADDRESS", "DETAIL");
  for (const auto& recipient : response.recipients()) {
    std::cout << fmt::format(kRow, recipient.id(), recipient.partner_id(),
                             Id(recipient.contact_id()),
                             Word(recipient.status(), "RECIPIENT_STATUS_"),
                             Cut(recipient.address(), 32), recipient.detail());
  }
  MorePages(response.next_page_token());
}

void PrintCallList(const cv1::CallList& list) {
  const auto& s = list.statistics();
  std::cout << fmt::format("call list {}: {}\n", list.id(), list.name());
  std::string assignees;
  for (const auto id : list.assignee_user_ids()) {
    assignees += (assignees.empty() ? "" : ", ") + std::to_string(id);
  }
  Lines("segment", std::to_string(list.segment_id()), "callers", assignees, "entries",
        fmt::format("{} (open {}, reached {}, not interested {}, wrong number {})", s.entries(),
                    s.open(), s.reached(), s.not_interested(), s.wrong_number()));
  if (!list.script().empty()) Line("script", list.script());
}

void PrintCallLists(const cv1::ListCallListsResponse& response) {
  constexpr auto kRow = "{:>5}  {:<36} {:>8} {:>8} {:>8}\n";
  std::cout << fmt::format(kRow, "ID", "NAME", "ENTRIES", "OPEN", "REACHED");
  for (const auto& list : response.call_lists()) {
    std::cout << fmt::format(kRow, list.id(), Cut(list.name(), 36), list.statistics().entries(),
                             list.statistics().open(), list.statistics().reached());
  }
  MorePages(response.next_page_token());
}

void PrintEntry(const cv1::CallListEntry& entry) {
  std::cout << fmt::format("entry {}: {} {} — {}{}\n", entry.id(), entry.display_name(),
                           entry.phone(),
                           entry.last_outcome() == cv1::CALL_OUTCOME_UNSPECIFIED
                               ? "not called yet"
                               : Word(entry.last_outcome(), "CALL_OUTCOME_"),
                           entry.open() ? " (open)" : "");
  if (entry.has_call_back_time()) Line("call back", Time(entry.call_back_time()));
  if (!entry.note().empty()) Line("note", entry.note());
}

void PrintEntries(const cv1::ListCallListEntriesResponse& response) {
  constexpr auto kRow = "{:>7} {:>8} {:<30} {:<16} {:>6} {:<15} {:>4} {}\n";
  std::cout << fmt::format(kRow, "ID", "PARTNER", "NAME", "PHONE", "CALLER", "LAST OUTCOME", "TRY",
                           "CALL BACK");
  for (const auto& entry : response.entries()) {
    std::cout << fmt::format(kRow, entry.id(), entry.partner_id(), Cut(entry.display_name(), 30),
                             entry.phone(), entry.assigned_user_id(),
                             entry.last_outcome() == cv1::CALL_OUTCOME_UNSPECIFIED
                                 ? "-"
                                 : Word(entry.last_outcome(), "CALL_OUTCOME_"),
                             entry.attempts(),
                             entry.has_call_back_time() ? Time(entry.call_back_time()) : "");
  }
  MorePages(response.next_page_token());
}

// The definition options `create` and `update` share; `update` sends only
// the ones given, in its field mask.
void AddSegmentDefinition(CLI::App* command, Options& o) {
  command->add_option("--name", o.name);
  command->add_option("--description", o.description);
  command->add_option("--filter", o.filter, "A ListPartners filter (docs/partners.md)");
  AddChoice(command, "--members", o.members, kMembers);
  command->add_option("--partner", o.partners, "Listed partner ids (a static list)")
      ->delimiter(',');
  command->add_option("--exclude", o.excluded, "Partner ids never members")->delimiter(',');
  command->add_option("--bought", o.products, "Only buyers of these product ids")->delimiter(',');
}

void FillSegment(const Options& o, const CLI::App& command, cv1::Segment& segment,
                 std::vector<std::string>* paths) {
  auto given = [&](const char* option) { return command.count(option) > 0; };
  auto path = [&](const char* field) {
    if (paths != nullptr) paths->push_back(field);
  };
  if (given("--name")) segment.set_name(o.name), path("name");
  if (given("--description")) segment.set_description(o.description), path("description");
  if (given("--filter")) segment.set_filter(o.filter), path("filter");
  if (given("--members")) {
    segment.set_members(FromWord<cv1::SegmentMembers>(o.members, "SEGMENT_MEMBERS_"));
    path("members");
  }
  if (given("--partner")) {
    for (const auto id : o.partners) segment.add_partner_ids(id);
    path("partner_ids");
  }
  if (given("--exclude")) {
    for (const auto id : o.excluded) segment.add_excluded_partner_ids(id);
    path("excluded_partner_ids");
  }
  if (given("--bought")) {
    for (const auto id : o.products) segment.mutable_purchased()->add_product_ids(id);
    path("purchased");
  }
}

void AddSegmentCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* segments = app.add_subcommand("segments", "Saved segments of partners or contacts")
                       ->require_subcommand(1);
  auto o = std::make_shared<Options>();
  auto* list = Rpcs(segments->add_subcommand("list", "The segments, newest first"),
                    {"karton.campaigns.v1.SegmentService/ListSegments"});
  list->add_option("--limit", o->limit);
  list->add_option("--page-token", o->page_token);
  list->callback(Run(options, exit_code, [&options, o] {
    cv1::ListSegmentsRequest request;
    request.set_page_size(o->limit);
    request.set_page_token(o->page_token);
    return Call(options, &Segments::ListSegments, request, PrintSegments);
  }));
  auto* get = Rpcs(segments->add_subcommand("get", "One segment"),
                   {"karton.campaigns.v1.SegmentService/GetSegment"});
  get->add_option("id", o->id)->required();
  get->callback(Run(options, exit_code, [&options, o] {
    cv1::GetSegmentRequest request;
    request.set_id(o->id);
    return Call(options, &Segments::GetSegment, request, PrintSegment);
  }));
  auto* create = Rpcs(segments->add_subcommand("create", "Saves a segment"),
                      {"karton.campaigns.v1.SegmentService/CreateSegment"});
  AddSegmentDefinition(create, *o);
  create->callback(Run(options, exit_code, [&options, o, create] {
    cv1::CreateSegmentRequest request;
    FillSegment(*o, *create, *request.mutable_segment(), nullptr);
    return Call(options, &Segments::CreateSegment, request, PrintSegment);
  }));
  auto* update = Rpcs(segments->add_subcommand("update", "Changes the options given"),
                      {"karton.campaigns.v1.SegmentService/UpdateSegment"});
  update->add_option("id", o->id)->required();
  update->add_option("--etag", o->etag);
  AddSegmentDefinition(update, *o);
  update->callback(Run(options, exit_code, [&options, o, update] {
    cv1::UpdateSegmentRequest request;
    request.mutable_segment()->set_id(o->id);
    request.mutable_segment()->set_etag(o->etag);
    std::vector<std::string> paths;
    FillSegment(*o, *update, *request.mutable_segment(), &paths);
    if (paths.empty()) throw UsageError("give at least one option to change");
    for (const auto& path : paths) request.mutable_update_mask()->add_paths(path);
    return Call(options, &Segments::UpdateSegment, request, PrintSegment);
  }));
  auto* remove = Rpcs(segments->add_subcommand("delete", "Deletes a segment no open campaign uses"),
                      {"karton.campaigns.v1.SegmentService/DeleteSegment"});
  remove->add_option("id", o->id)->required();
  remove->add_option("--etag", o->etag);
  remove->callback(Run(options, exit_code, [&options, o] {
    cv1::DeleteSegmentRequest request;
    request.set_id(o->id);
    request.set_etag(o->etag);
    return Call(options, &Segments::DeleteSegment, request,
                [o](const auto&) { std::cout << fmt::format("segment {} deleted\n", o->id); });
  }));
  auto* preview =
      Rpcs(segments->add_subcommand("preview", "How many members now, and the first few"),
           {"karton.campaigns.v1.SegmentService/PreviewSegment"});
  preview->add_option("id", o->id)->required();
  preview->add_option("--sample", o->sample, "How many to show (at most 100)");
  preview->callback(Run(options, exit_code, [&options, o] {
    cv1::PreviewSegmentRequest request;
    request.set_segment_id(o->id);
    request.set_sample_size(o->sample);
    return Call(options, &Segments::PreviewSegment, request,
                [](const cv1::PreviewSegmentResponse& response) {
                  std::cout << fmt::format("{} member(s)\n", response.member_count());
                  PrintMembers(response.sample());
                });
  }));
  auto* members = Rpcs(segments->add_subcommand("members", "The members now, a page at a time"),
                       {"karton.campaigns.v1.SegmentService/ListSegmentMembers"});
  members->add_option("id", o->id)->required();
  members->add_option("--limit", o->limit);
  members->add_option("--page-token", o->page_token);
  members->callback(Run(options, exit_code, [&options, o] {
    cv1::ListSegmentMembersRequest request;
    request.set_segment_id(o->id);
    request.set_page_size(o->limit);
    request.set_page_token(o->page_token);
    return Call(options, &Segments::ListSegmentMembers, request,
                [](const cv1::ListSegmentMembersResponse& response) {
                  PrintMembers(response.members());
                  MorePages(response.next_page_token());
                });
  }));
}

void AddCampaignDefinition(CLI::App* command, Options& o) {
  command->add_option("--name", o.name);
  command->add_option("--description", o.description);
  command->add_option("--segment", o.segment);
  AddChoice(command, "--channel", o.channel, kChannels);
  command->add_option("--template", o.template_name, "A messaging template of the channel");
  command->add_option("--language", o.language, "The template's language (default hu)");
  command->add_option("--send-time", o.send_time, "RFC 3339; unset: when scheduled");
  command->add_option("--max-per-minute", o.max_per_minute, "0: no limit of its own");
}

void FillCampaign(const Options& o, const CLI::App& command, cv1::Campaign& campaign,
                  std::vector<std::string>* paths) {
  auto given = [&](const char* option) { return command.count(option) > 0; };
  auto path = [&](const char* field) {
    if (paths != nullptr) paths->push_back(field);
  };
  if (given("--name")) campaign.set_name(o.name), path("name");
  if (given("--description")) campaign.set_description(o.description), path("description");
  if (given("--segment")) campaign.set_segment_id(o.segment), path("segment_id");
  if (given("--channel")) {
    campaign.set_channel(FromWord<cv1::CampaignChannel>(o.channel, "CAMPAIGN_CHANNEL_"));
    path("channel");
  }
  if (given("--template")) campaign.set_template_name(o.template_name), path("template_name");
  if (given("--language")) campaign.set_language(o.language), path("language");
  if (given("--send-time")) {
    ParseTime(o.send_time, "--send-time", campaign.mutable_send_time());
    path("send_time");
  }
  if (given("--max-per-minute"))
    campaign.set_max_per_minute(o.max_per_minute), path("max_per_minute");
}

void AddCampaignCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* campaigns = app.add_subcommand("campaigns", "Mailings to a segment")->require_subcommand(1);
  auto o = std::make_shared<Options>();
  auto* list = Rpcs(campaigns->add_subcommand("list", "The campaigns, newest first"),
                    {"karton.campaigns.v1.CampaignService/ListCampaigns"});
  AddChoice(list, "--state", o->state, kCampaignStates);
  list->add_option("--limit", o->limit);
  list->add_option("--page-token", o->page_token);
  list->callback(Run(options, exit_code, [&options, o] {
    cv1::ListCampaignsRequest request;
    request.set_state(FromWord<cv1::CampaignState>(o->state, "CAMPAIGN_STATE_"));
    request.set_page_size(o->limit);
    request.set_page_token(o->page_token);
    return Call(options, &Campaigns::ListCampaigns, request, PrintCampaigns);
  }));
  auto* get = Rpcs(campaigns->add_subcommand("get", "One campaign with its statistics"),
                   {"karton.campaigns.v1.CampaignService/GetCampaign"});
  get->add_option("id", o->id)->required();
  get->callback(Run(options, exit_code, [&options, o] {
    cv1::GetCampaignRequest request;
    request.set_id(o->id);
    return Call(options, &Campaigns::GetCampaign, request, PrintCampaign);
  }));
  auto* create = Rpcs(campaigns->add_subcommand("create", "A draft campaign"),
                      {"karton.campaigns.v1.CampaignService/CreateCampaign"});
  AddCampaignDefinition(create, *o);
  create->callback(Run(options, exit_code, [&options, o, create] {
    cv1::CreateCampaignRequest request;
    FillCampaign(*o, *create, *request.mutable_campaign(), nullptr);
    return Call(options, &Campaigns::CreateCampaign, request, PrintCampaign);
  }));
  auto* update = Rpcs(campaigns->add_subcommand("update", "Changes a draft or scheduled campaign"),
                      {"karton.campaigns.v1.CampaignService/UpdateCampaign"});
  update->add_option("id", o->id)->required();
  update->add_option("--etag", o->etag);
  AddCampaignDefinition(update, *o);
  update->callback(Run(options, exit_code, [&options, o, update] {
    cv1::UpdateCampaignRequest request;
    request.mutable_campaign()->set_id(o->id);
    request.mutable_campaign()->set_etag(o->etag);
    std::vector<std::string> paths;
    FillCampaign(*o, *update, *request.mutable_campaign(), &paths);
    if (paths.empty()) throw UsageError("give at least one option to change");
    for (const auto& path : paths) request.mutable_update_mask()->add_paths(path);
    return Call(options, &Campaigns::UpdateCampaign, request, PrintCampaign);
  }));
  auto* schedule = Rpcs(campaigns->add_subcommand("schedule", "Sends a draft at its send time"),
                        {"karton.campaigns.v1.CampaignService/ScheduleCampaign"});
  schedule->add_option("id", o->id)->required();
  schedule->add_option("--send-time", o->send_time, "RFC 3339; overrides the campaign's");
  schedule->add_option("--etag", o->etag);
  schedule->callback(Run(options, exit_code, [&options, o, schedule] {
    cv1::ScheduleCampaignRequest request;
    request.set_id(o->id);
    request.set_etag(o->etag);
    if (schedule->count("--send-time") > 0) {
      ParseTime(o->send_time, "--send-time", request.mutable_send_time());
    }
    return Call(options, &Campaigns::ScheduleCampaign, request, PrintCampaign);
  }));
  auto* cancel = Rpcs(campaigns->add_subcommand("cancel", "Stops a scheduled or sending campaign"),
                      {"karton.campaigns.v1.CampaignService/CancelCampaign"});
  cancel->add_option("id", o->id)->required();
  cancel->add_option("--etag", o->etag);
  cancel->callback(Run(options, exit_code, [&options, o] {
    cv1::CancelCampaignRequest request;
    request.set_id(o->id);
    request.set_etag(o->etag);
    return Call(options, &Campaigns::CancelCampaign, request, PrintCampaign);
  }));
  auto* recipients =
      Rpcs(campaigns->add_subcommand("recipients", "Who it wrote to, and how it went"),
           {"karton.campaigns.v1.CampaignService/ListCampaignRecipients"});
  recipients->add_option("id", o->id)->required();
  AddChoice(recipients, "--status", o->status, kRecipientStatuses);
  recipients->add_option("--limit", o->limit);
  recipients->add_option("--page-token", o->page_token);
  recipients->callback(Run(options, exit_code, [&options, o] {
    cv1::ListCampaignRecipientsRequest request;
    request.set_campaign_id(o->id);
    request.set_status(FromWord<cv1::RecipientStatus>(o->status, "RECIPIENT_STATUS_"));
    request.set_page_size(o->limit);
    request.set_page_token(o->page_token);
    return Call(options, &Campaigns::ListCampaignRecipients, request, PrintRecipients);
  }));
  auto* letters =
      Rpcs(campaigns->add_subcommand(
               "letters",
               "A letter campaign's letters as one PDF, or their addresses as CSV, into a file"),
           {"karton.campaigns.v1.CampaignService/ExportCampaignLetters"});
  letters->add_option("id", o->id)->required();
  AddChoice(letters, "--format", o->format, std::vector<std::string>{"pdf", "csv"})->required();
  letters->add_option("--out", o->out, "The file to write")->required();
  letters->add_flag("--duplex", o->duplex, "PDF: every letter starts on the front of a sheet");
  letters->callback(Run(options, exit_code, [&options, o] {
    cv1::ExportCampaignLettersRequest request;
    request.set_campaign_id(o->id);
    request.set_format(o->format == "pdf" ? cv1::LETTER_FILE_FORMAT_PDF
                                          : cv1::LETTER_FILE_FORMAT_CSV);
    request.set_duplex(o->duplex);
    // Before the call: a file that cannot be written is bad usage (exit 2).
    if (!std::ofstream(o->out, std::ios::binary | std::ios::trunc)) {
      throw UsageError("cannot write " + o->out);
    }
    auto context = MakeContext(options, /*streaming=*/true);
    auto reader = cv1::CampaignService::NewStub(ChannelFor(options))
                      ->ExportCampaignLetters(context.get(), request);
    cv1::ExportCampaignLettersResponse part;
    return SaveLetterExport(*reader, part, o->out, options);
  }));
}

void AddCallCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* calls = app.add_subcommand("calls", "Cold-call lists and the calls made from them")
                    ->require_subcommand(1);
  auto o = std::make_shared<Options>();
  auto* list = Rpcs(calls->add_subcommand("list", "The call lists, newest first"),
                    {"karton.campaigns.v1.CallListService/ListCallLists"});
  list->add_option("--limit", o->limit);
  list->add_option("--page-token", o->page_token);
  list->callback(Run(options, exit_code, [&options, o] {
    cv1::ListCallListsRequest request;
    request.set_page_size(o->limit);
    request.set_page_token(o->page_token);
    return Call(options, &Calls::ListCallLists, request, PrintCallLists);
  }));
  auto* get = Rpcs(calls->add_subcommand("get", "One call list with its counts"),
                   {"karton.campaigns.v1.CallListService/GetCallList"});
  get->add_option("id", o->id)->required();
  get->callback(Run(options, exit_code, [&options, o] {
    cv1::GetCallListRequest request;
    request.set_id(o->id);
    return Call(options, &Calls::GetCallList, request, PrintCallList);
  }));
  auto* create =
      Rpcs(calls->add_subcommand(
               "create", "Lists a segment's members with a phone number, shared among the callers"),
           {"karton.campaigns.v1.CallListService/CreateCallList"});
  create->add_option("--name", o->name)->required();
  create->add_option("--segment", o->segment)->required();
  create->add_option("--assignee", o->assignees, "The callers' user ids, in turn")
      ->delimiter(',')
      ->required();
  create->add_option("--script", o->script, "What to say or ask");
  create->callback(Run(options, exit_code, [&options, o] {
    cv1::CreateCallListRequest request;
    request.mutable_call_list()->set_name(o->name);
    request.mutable_call_list()->set_segment_id(o->segment);
    for (const auto id : o->assignees) request.mutable_call_list()->add_assignee_user_ids(id);
    request.mutable_call_list()->set_script(o->script);
    return Call(options, &Calls::CreateCallList, request, PrintCallList);
  }));
  auto* entries = Rpcs(calls->add_subcommand("entries", "A list's entries"),
                       {"karton.campaigns.v1.CallListService/ListCallListEntries"});
  entries->add_option("id", o->id)->required();
  entries->add_option("--assignee", o->assignee, "One caller's entries");
  entries->add_flag("--open", o->open_only, "Only those still to call");
  entries->add_option("--limit", o->limit);
  entries->add_option("--page-token", o->page_token);
  entries->callback(Run(options, exit_code, [&options, o] {
    cv1::ListCallListEntriesRequest request;
    request.set_call_list_id(o->id);
    request.set_assigned_user_id(o->assignee);
    request.set_open_only(o->open_only);
    request.set_page_size(o->limit);
    request.set_page_token(o->page_token);
    return Call(options, &Calls::ListCallListEntries, request, PrintEntries);
  }));
  auto* record = Rpcs(calls->add_subcommand("record", "Records a call on an entry"),
                      {"karton.campaigns.v1.CallListService/RecordCall"});
  record->add_option("entry", o->id)->required();
  AddChoice(record, "--outcome", o->outcome, kOutcomes)->required();
  record->add_option("--note", o->note);
  record->add_option("--call-back-at", o->call_back_at, "RFC 3339, for --outcome call_back");
  record->add_option("--follow-up", o->follow_up, "A follow-up task's subject");
  record->add_option("--follow-up-at", o->follow_up_at, "RFC 3339: when the task is due");
  record->callback(Run(options, exit_code, [&options, o, record] {
    cv1::RecordCallRequest request;
    request.set_entry_id(o->id);
    request.set_outcome(FromWord<cv1::CallOutcome>(o->outcome, "CALL_OUTCOME_"));
    request.set_note(o->note);
    if (record->count("--call-back-at") > 0) {
      ParseTime(o->call_back_at, "--call-back-at", request.mutable_call_back_time());
    }
    if (record->count("--follow-up") > 0) {
      if (record->count("--follow-up-at") == 0)
        throw UsageError("--follow-up needs --follow-up-at");
      request.mutable_follow_up()->set_subject(o->follow_up);
      ParseTime(o->follow_up_at, "--follow-up-at", request.mutable_follow_up()->mutable_due_time());
    }
    return Call(options, &Calls::RecordCall, request, PrintEntry);
  }));
}

}  // namespace

void AddCampaignsCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  AddSegmentCommands(app, options, exit_code);
  AddCampaignCommands(app, options, exit_code);
  AddCallCommands(app, options, exit_code);
}

}  // namespace karton::cli
