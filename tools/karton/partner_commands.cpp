// karton partners ...: the partner card (docs/partners.md).
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "client.h"
#include "command_calls.h"
#include "command_support.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

using partners::v1::Partner;
using partners::v1::PartnerService;

std::string FirstCity(const Partner& partner) {
  return partner.addresses().empty() ? "" : partner.addresses(0).city();
}

void PrintTable(const google::protobuf::RepeatedPtrField<Partner>& partners) {
  std::cout << fmt::format("{:>6}  {:<40} {:<14} {:<16} {}\n", "ID", "NAME", "TAX NUMBER", "CITY",
                           "TAGS");
  for (const auto& partner : partners) {
    std::string tags;
    for (const auto& tag : partner.tags()) tags += (tags.empty() ? "" : ",") + tag;
    std::cout << fmt::format("{:>6}  {:<40} {:<14} {:<16} {}{}\n", partner.id(),
                             partner.display_name(),
                             partner.tax_number().empty() ? "-" : partner.tax_number(),
                             FirstCity(partner).empty() ? "-" : FirstCity(partner), tags,
                             partner.archived() ? "  (archived)" : "");
  }
}

void PrintCard(const Partner& partner) {
  std::cout << fmt::format(
      "{} (id {}, {})\n", partner.display_name(), partner.id(),
      partner.kind() == partners::v1::PARTNER_KIND_PERSON ? "person" : "organization");
  auto line = [](const char* label, const std::string& value) {
    if (!value.empty()) std::cout << fmt::format("  {:<14} {}\n", label, value);
  };
  line("legal name", partner.legal_name());
  line("tax number", partner.tax_number());
  line("EU VAT", partner.eu_vat_number());
  line("registration", partner.registration_number());
  for (const auto& address : partner.addresses()) {
    line("address", fmt::format("{} {} {}, {}", address.country(), address.postal_code(),
                                address.city(), address.street()));
  }
  for (const auto& email : partner.emails()) line("email", email);
  for (const auto& phone : partner.phones()) line("phone", phone);
  line("website", partner.website());
  std::string tags;
  for (const auto& tag : partner.tags()) tags += (tags.empty() ? "" : ", ") + tag;
  line("tags", tags);
  line("salutation", partner.salutation());
  line("last name", partner.last_name());
  line("first name", partner.first_name());
  std::string roles = partner.customer() ? "customer" : "";
  if (partner.supplier()) roles += roles.empty() ? "supplier" : ", supplier";
  line("roles", roles.empty() ? "-" : roles);
  line("payment terms", partner.payment_terms_days() == 0
                            ? "the default"
                            : fmt::format("{} days", partner.payment_terms_days()));
  line("currency",
       partner.default_currency_code().empty() ? "HUF (default)" : partner.default_currency_code());
  line("language",
       partner.preferred_language().empty() ? "hu (default)" : partner.preferred_language());
  if (partner.parent_partner_id() != 0) {
    line("parent", std::to_string(partner.parent_partner_id()));
  }
  for (const auto& [key, value] : partner.custom_fields()) line(key.c_str(), value);
  for (const auto& [source, key] : partner.external_ids()) line(("id in " + source).c_str(), key);
  if (partner.archived()) line("archived", "yes");
  if (partner.merged_into_id() != 0) line("merged into", std::to_string(partner.merged_into_id()));
  line("etag", partner.etag());
}

// The answer of every call that returns one Partner.
int ShowPartner(const GlobalOptions& options, const grpc::Status& status, const Partner& partner) {
  if (!status.ok()) return ReportError(status, options);
  if (options.output == "json") {
    std::cout << ToJson(partner);
  } else {
    PrintCard(partner);
  }
  return 0;
}

// A Partner from JSON (protobuf's JSON mapping), e.g.
//   '{"kind":"PARTNER_KIND_ORGANIZATION","displayName":"Kovács Kft."}'
bool ParsePartner(const std::string& json, Partner& partner) {
  const auto status = google::protobuf::util::JsonStringToMessage(json, &partner);
  if (!status.ok()) {
    std::cerr << "karton: the partner JSON does not parse: " << status.message() << "\n";
    return false;
  }
  return true;
}

// The card's terms, roles, group and names as flags of create and update:
// each flag given sets its field (and, on update, names it in the mask).
struct CardFlags {
  std::string kind, display_name;  // create only
  int payment_terms_days = 0;
  std::string currency, language, customer, supplier, first_name, last_name, salutation;
  std::int64_t parent = 0;
  // Each flag and the Partner field it sets.
  std::vector<std::pair<CLI::Option*, std::string>> given;
};

void AddCardFlags(CLI::App* command, CardFlags& flags, bool create) {
  auto add = [&](CLI::Option* option, const std::string& field) {
    flags.given.emplace_back(option, field);
  };
  if (create) {
    add(command->add_option("--kind", flags.kind, "organization or person")
            ->check(CLI::IsMember({"organization", "person"})),
        "kind");
    add(command->add_option("--display-name", flags.display_name,
                            "The name lists show (persons: default last and first name)"),
        "display_name");
  }
  add(command->add_option("--payment-terms-days", flags.payment_terms_days,
                          "Days an invoice is due, 0 to 365 (0: the default)"),
      "payment_terms_days");
  add(command->add_option("--currency", flags.currency, "Default currency: HUF or EUR"),
      "default_currency_code");
  add(command->add_option("--language", flags.language, "Preferred language: hu or en"),
      "preferred_language");
  add(command->add_option("--customer", flags.customer, "true or false: we sell to them")
          ->check(CLI::IsMember({"true", "false"})),
      "customer");
  add(command->add_option("--supplier", flags.supplier, "true or false: we buy from them")
          ->check(CLI::IsMember({"true", "false"})),
      "supplier");
  add(command->add_option("--parent", flags.parent, "The parent company's id (0: none)"),
      "parent_partner_id");
  add(command->add_option("--first-name", flags.first_name, "Persons: given name(s)"),
      "first_name");
  add(command->add_option("--last-name", flags.last_name, "Persons: family name"), "last_name");
  add(command->add_option("--salutation", flags.salutation, "Persons: Dr., Mr, Ms, ..."),
      "salutation");
}

// Sets the fields of the flags given on `partner`; their names, in `fields`.
void ApplyCardFlags(const CardFlags& flags, Partner& partner, std::vector<std::string>& fields) {
  for (const auto& [option, field] : flags.given) {
    if (option->count() == 0) continue;
    fields.push_back(field);
    if (field == "kind") {
      partner.set_kind(flags.kind == "person" ? partners::v1::PARTNER_KIND_PERSON
                                              : partners::v1::PARTNER_KIND_ORGANIZATION);
    } else if (field == "display_name") {
      partner.set_display_name(flags.display_name);
    } else if (field == "payment_terms_days") {
      partner.set_payment_terms_days(flags.payment_terms_days);
    } else if (field == "default_currency_code") {
      partner.set_default_currency_code(flags.currency);
    } else if (field == "preferred_language") {
      partner.set_preferred_language(flags.language);
    } else if (field == "customer") {
      partner.set_customer(flags.customer == "true");
    } else if (field == "supplier") {
      partner.set_supplier(flags.supplier == "true");
    } else if (field == "parent_partner_id") {
      partner.set_parent_partner_id(flags.parent);
    } else if (field == "first_name") {
      partner.set_first_name(flags.first_name);
    } else if (field == "last_name") {
      partner.set_last_name(flags.last_name);
    } else if (field == "salutation") {
      partner.set_salutation(flags.salutation);
    }
  }
}

// Marketing consent (docs/partners.md, "Marketing consent"): the channels
// and sources as command-line words.
constexpr std::array kConsentChannels{"email", "sms", "letter", "phone"};
constexpr std::array kConsentSources{"form",      "import", "phone",      "letter",
                                     "in_person", "api",    "unsubscribe"};

void PrintConsents(const google::protobuf::RepeatedPtrField<partners::v1::MarketingConsent>& all) {
  std::cout << fmt::format("{:>6}  {:<16} {:<12} {:<7} {:<9} {:<11} {:<6} {}\n", "ID", "RECORDED",
                           "WHOSE", "CHANNEL", "STATE", "SOURCE", "BY", "EVIDENCE");
  for (const auto& consent : all) {
    const std::string whose = consent.contact_id() != 0
                                  ? fmt::format("contact {}", consent.contact_id())
                                  : fmt::format("partner {}", consent.partner_id());
    std::cout << fmt::format(
        "{:>6}  {:<16} {:<12} {:<7} {:<9} {:<11} {:<6} {}\n", consent.id(),
        ShortTime(consent.record_time(), 16), whose, Word(consent.channel(), "MARKETING_CHANNEL_"),
        consent.granted() ? "granted" : "withdrawn", Word(consent.source(), "CONSENT_SOURCE_"),
        consent.recorded_by_user_id() == 0 ? "-" : std::to_string(consent.recorded_by_user_id()),
        Cut(consent.evidence(), 60));
  }
}

// The top-level fields `partner` sets (the JSON of an update), by name.
std::vector<std::string> SetFields(const Partner& partner) {
  std::vector<const google::protobuf::FieldDescriptor*> set;
  partner.GetReflection()->ListFields(partner, &set);
  std::vector<std::string> names;
  for (const auto* field : set) names.push_back(field->name());
  return names;
}

}  // namespace

void AddPartnerCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* partners =
      app.add_subcommand("partners", "The partner card: customers, suppliers, prospects");
  partners->require_subcommand(1);

  struct ListOptions {
    std::string filter, order_by;
    int page_size = 50;
    std::string page_token;
  };
  auto list_options = std::make_shared<ListOptions>();
  auto* list =
      Rpcs(partners->add_subcommand("list", "Partners matching a filter (docs/partners.md)"),
           {"karton.partners.v1.PartnerService/ListPartners"});
  list->add_option("--filter", list_options->filter, "e.g. 'tag = \"vip\" AND city = \"Szeged\"'");
  list->add_option("--order-by", list_options->order_by, "display_name, create_time, ... [desc]");
  list->add_option("--page-size", list_options->page_size, "At most 1000")->capture_default_str();
  list->add_option("--page-token", list_options->page_token, "From the previous page");
  list->callback([&, list_options] {
    partners::v1::ListPartnersRequest request;
    request.set_filter(list_options->filter);
    request.set_order_by(list_options->order_by);
    request.set_page_size(list_options->page_size);
    request.set_page_token(list_options->page_token);
    partners::v1::ListPartnersResponse response;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->ListPartners(MakeContext(options).get(), request, &response);
    if (!status.ok()) {
      exit_code = ReportError(status, options);
    } else if (options.output == "json") {
      std::cout << ToJson(response);
    } else {
      PrintTable(response.partners());
      if (!response.next_page_token().empty()) {
        std::cout << "more: --page-token " << response.next_page_token() << "\n";
      }
    }
  });

  auto query = std::make_shared<std::string>();
  auto archived = std::make_shared<bool>(false);
  auto* search = Rpcs(partners->add_subcommand("search",
                                               "Find partners by a fragment of name, email, "
                                               "phone or tax number (accents do not matter)"),
                      {"karton.partners.v1.PartnerService/SearchPartners"});
  search->add_option("query", *query)->required();
  search->add_flag("--archived", *archived, "Include archived partners");
  search->callback([&, query, archived] {
    partners::v1::SearchPartnersRequest request;
    request.set_query(*query);
    request.set_include_archived(*archived);
    request.set_page_size(50);
    partners::v1::SearchPartnersResponse response;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->SearchPartners(MakeContext(options).get(), request, &response);
    if (!status.ok()) {
      exit_code = ReportError(status, options);
    } else if (options.output == "json") {
      std::cout << ToJson(response);
    } else {
      PrintTable(response.partners());
      if (response.ranking() == partners::v1::SEARCH_RANKING_RECENTLY_CHANGED) {
        std::cerr << "Too many matches to rank: the most recently changed come first. "
                     "A longer query narrows them down.\n";
      }
    }
  });

  auto id = std::make_shared<std::int64_t>(0);
  auto* get = Rpcs(partners->add_subcommand("get", "One partner card"),
                   {"karton.partners.v1.PartnerService/GetPartner"});
  get->alias("show");
  get->add_option("id", *id)->required();
  get->callback([&, id] {
    partners::v1::GetPartnerRequest request;
    request.set_id(*id);
    Partner partner;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->GetPartner(MakeContext(options).get(), request, &partner);
    exit_code = ShowPartner(options, status, partner);
  });

  auto many_ids = std::make_shared<std::vector<std::int64_t>>();
  auto* get_many = Rpcs(partners->add_subcommand("get-many",
                                                 "Several partners at once, in the "
                                                 "order given (hidden or missing ones "
                                                 "are left out)"),
                        {"karton.partners.v1.PartnerService/BatchGetPartners"});
  get_many->add_option("ids", *many_ids)->required();
  get_many->callback([&, many_ids] {
    partners::v1::BatchGetPartnersRequest request;
    for (const auto partner_id : *many_ids) request.add_ids(partner_id);
    partners::v1::BatchGetPartnersResponse response;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->BatchGetPartners(MakeContext(options).get(), request, &response);
    if (!status.ok()) {
      exit_code = ReportError(status, options);
    } else if (options.output == "json") {
      std::cout << ToJson(response);
    } else {
      PrintTable(response.partners());
    }
  });

  auto json = std::make_shared<std::string>();
  auto request_id = std::make_shared<std::string>();
  auto create_flags = std::make_shared<CardFlags>();
  auto* create =
      Rpcs(partners->add_subcommand(
               "create", "Create a partner from JSON and/or flags (the flags win over the JSON)"),
           {"karton.partners.v1.PartnerService/CreatePartner"});
  create->add_option("json", *json,
                     R"(e.g. '{"kind":"PARTNER_KIND_ORGANIZATION","displayName":"Kovács Kft."}')");
  create->add_option("--request-id", *request_id, "Makes the create idempotent");
  AddCardFlags(create, *create_flags, true);
  create->callback([&, json, request_id, create_flags] {
    partners::v1::CreatePartnerRequest request;
    if (!json->empty() && !ParsePartner(*json, *request.mutable_partner())) {
      exit_code = 2;
      return;
    }
    std::vector<std::string> flagged;
    ApplyCardFlags(*create_flags, *request.mutable_partner(), flagged);
    if (json->empty() && flagged.empty()) {
      std::cerr << "karton: give the partner as JSON, or flags (--kind, --display-name, ...)\n";
      exit_code = 2;
      return;
    }
    request.set_request_id(*request_id);
    Partner partner;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->CreatePartner(MakeContext(options).get(), request, &partner);
    exit_code = ShowPartner(options, status, partner);
  });

  auto fields = std::make_shared<std::vector<std::string>>();
  auto etag = std::make_shared<std::string>();
  auto update_flags = std::make_shared<CardFlags>();
  auto* update = Rpcs(
      partners->add_subcommand(
          "update", "Change fields of a partner: JSON and/or flags (the flags win over the JSON)"),
      {"karton.partners.v1.PartnerService/UpdatePartner"});
  update->add_option("id", *id)->required();
  update->add_option("json", *json, R"(the new values, e.g. '{"website":"https://kovacs.hu"}')");
  update->add_option("--field", *fields,
                     "A field to change (repeatable; default: the fields the JSON and the "
                     "flags set)");
  update->add_option("--etag", *etag, "Refuse the change if the partner changed since");
  AddCardFlags(update, *update_flags, false);
  update->callback([&, id, json, fields, etag, update_flags] {
    partners::v1::UpdatePartnerRequest request;
    if (!json->empty() && !ParsePartner(*json, *request.mutable_partner())) {
      exit_code = 2;
      return;
    }
    // Flags name their fields in the mask, so clearing one (--customer
    // false, --parent 0) is a change too; the JSON's fields join them.
    std::vector<std::string> paths = *fields;
    std::vector<std::string> flagged;
    const std::vector<std::string> from_json = SetFields(request.partner());
    ApplyCardFlags(*update_flags, *request.mutable_partner(), flagged);
    if (json->empty() && flagged.empty()) {
      std::cerr << "karton: give the new values as JSON, or flags (--payment-terms-days, ...)\n";
      exit_code = 2;
      return;
    }
    if (paths.empty() && !flagged.empty()) {
      for (const auto& field : from_json) {
        if (field != "id" && field != "etag") paths.push_back(field);
      }
      for (const auto& field : flagged) {
        if (std::find(paths.begin(), paths.end(), field) == paths.end()) paths.push_back(field);
      }
    }
    request.mutable_partner()->set_id(*id);
    request.mutable_partner()->set_etag(*etag);
    for (const auto& field : paths) request.mutable_update_mask()->add_paths(field);
    Partner partner;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->UpdatePartner(MakeContext(options).get(), request, &partner);
    exit_code = ShowPartner(options, status, partner);
  });

  for (const bool archiving : {true, false}) {
    auto* command =
        Rpcs(partners->add_subcommand(archiving ? "archive" : "restore",
                                      archiving ? "Hide a partner from lists and searches"
                                                : "Bring an archived partner back"),
             {archiving ? "karton.partners.v1.PartnerService/ArchivePartner"
                        : "karton.partners.v1.PartnerService/RestorePartner"});
    command->add_option("id", *id)->required();
    command->callback([&, id, archiving] {
      Partner partner;
      auto stub = PartnerService::NewStub(ChannelFor(options));
      grpc::Status status;
      if (archiving) {
        partners::v1::ArchivePartnerRequest request;
        request.set_id(*id);
        status = stub->ArchivePartner(MakeContext(options).get(), request, &partner);
      } else {
        partners::v1::RestorePartnerRequest request;
        request.set_id(*id);
        status = stub->RestorePartner(MakeContext(options).get(), request, &partner);
      }
      exit_code = ShowPartner(options, status, partner);
    });
  }

  // Collaborative CRM: a partner shared with an external partner user (a
  // reseller, a subcontractor) or a team.
  auto share_user = std::make_shared<std::int64_t>(0);
  auto share_team = std::make_shared<std::int64_t>(0);
  for (const bool sharing : {true, false}) {
    auto* command =
        Rpcs(partners->add_subcommand(
                 sharing ? "share" : "unshare",
                 sharing ? "Let an external partner user or a team see the partner and its timeline"
                         : "Take a direct share of the partner back"),
             {sharing ? "karton.partners.v1.PartnerService/SharePartner"
                      : "karton.partners.v1.PartnerService/UnsharePartner"});
    command->add_option("id", *id)->required();
    command->add_option("--user", *share_user, "The user to share with");
    command->add_option("--team", *share_team, "The team to share with");
    command->callback([&, id, share_user, share_team, sharing] {
      if ((*share_user == 0) == (*share_team == 0)) {
        std::cerr << "give --user U or --team T\n";
        exit_code = 2;
        return;
      }
      Partner partner;
      auto stub = PartnerService::NewStub(ChannelFor(options));
      grpc::Status status;
      if (sharing) {
        partners::v1::SharePartnerRequest request;
        request.set_id(*id);
        request.set_user_id(*share_user);
        request.set_team_id(*share_team);
        status = stub->SharePartner(MakeContext(options).get(), request, &partner);
      } else {
        partners::v1::UnsharePartnerRequest request;
        request.set_id(*id);
        request.set_user_id(*share_user);
        request.set_team_id(*share_team);
        status = stub->UnsharePartner(MakeContext(options).get(), request, &partner);
      }
      exit_code = ShowPartner(options, status, partner);
    });
  }

  auto* contacts = Rpcs(partners->add_subcommand("contacts", "A partner's contacts, primary first"),
                        {"karton.partners.v1.PartnerService/ListContacts"});
  contacts->add_option("id", *id, "The partner")->required();
  contacts->callback([&, id] {
    partners::v1::ListContactsRequest request;
    request.set_partner_id(*id);
    request.set_page_size(1000);
    partners::v1::ListContactsResponse response;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->ListContacts(MakeContext(options).get(), request, &response);
    if (!status.ok()) {
      exit_code = ReportError(status, options);
    } else if (options.output == "json") {
      std::cout << ToJson(response);
    } else {
      std::cout << fmt::format("{:>6}  {:<28} {:<18} {:<32} {}\n", "ID", "NAME", "ROLE", "EMAIL",
                               "PHONE");
      for (const auto& contact : response.contacts()) {
        std::cout << fmt::format("{:>6}  {:<28} {:<18} {:<32} {}\n", contact.id(),
                                 contact.name() + (contact.primary() ? " *" : ""), contact.role(),
                                 contact.emails().empty() ? "-" : contact.emails(0),
                                 contact.phones().empty() ? "-" : contact.phones(0));
      }
    }
  });

  auto* timeline =
      Rpcs(partners->add_subcommand("timeline", "A partner's interactions, newest first"),
           {"karton.partners.v1.PartnerService/ListTimeline"});
  timeline->add_option("id", *id, "The partner")->required();
  timeline->callback([&, id] {
    partners::v1::ListTimelineRequest request;
    request.set_partner_id(*id);
    request.set_page_size(100);
    partners::v1::ListTimelineResponse response;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->ListTimeline(MakeContext(options).get(), request, &response);
    if (!status.ok()) {
      exit_code = ReportError(status, options);
    } else if (options.output == "json") {
      std::cout << ToJson(response);
    } else {
      for (const auto& entry : response.interactions()) {
        std::cout << fmt::format(
            "{}  {:<8} {:<9} {}\n",
            google::protobuf::util::TimeUtil::ToString(entry.occur_time()).substr(0, 16),
            EnumWord(partners::v1::InteractionChannel_Name(entry.channel()),
                     "INTERACTION_CHANNEL_"),
            EnumWord(partners::v1::InteractionDirection_Name(entry.direction()),
                     "INTERACTION_DIRECTION_"),
            entry.subject());
      }
    }
  });

  struct LogOptions {
    std::string channel = "note", direction, subject, body;
    std::int64_t contact_id = 0;
  };
  auto log_options = std::make_shared<LogOptions>();
  auto* log = Rpcs(partners->add_subcommand("log", "Add an entry to a partner's timeline"),
                   {"karton.partners.v1.PartnerService/LogInteraction"});
  log->add_option("id", *id, "The partner")->required();
  log->add_option("--channel", log_options->channel, "call, email, meeting, letter, sms, note")
      ->capture_default_str();
  log->add_option("--direction", log_options->direction, "inbound, outbound, internal");
  log->add_option("--subject", log_options->subject)->required();
  log->add_option("--body", log_options->body);
  log->add_option("--contact", log_options->contact_id, "The contact it was with");
  log->callback([&, id, log_options] {
    partners::v1::LogInteractionRequest request;
    auto* interaction = request.mutable_interaction();
    interaction->set_partner_id(*id);
    interaction->set_contact_id(log_options->contact_id);
    std::string channel = log_options->channel, direction = log_options->direction;
    for (char& c : channel) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (char& c : direction) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    partners::v1::InteractionChannel channel_value{};
    partners::v1::InteractionDirection direction_value{};
    if (!partners::v1::InteractionChannel_Parse("INTERACTION_CHANNEL_" + channel, &channel_value) ||
        (!direction.empty() && !partners::v1::InteractionDirection_Parse(
                                   "INTERACTION_DIRECTION_" + direction, &direction_value))) {
      std::cerr << "karton: --channel or --direction is not one of the listed words\n";
      exit_code = 2;
      return;
    }
    interaction->set_channel(channel_value);
    interaction->set_direction(direction_value);
    interaction->set_subject(log_options->subject);
    interaction->set_body(log_options->body);
    partners::v1::Interaction logged;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->LogInteraction(MakeContext(options).get(), request, &logged);
    if (!status.ok()) {
      exit_code = ReportError(status, options);
    } else {
      std::cout << (options.output == "json" ? ToJson(logged)
                                             : fmt::format("logged (id {})\n", logged.id()));
    }
  });

  // Many entries at once, as an integration moving another system's
  // history in would log them: all or none.
  auto log_batch_file = std::make_shared<std::string>();
  auto* log_batch = Rpcs(
      partners->add_subcommand(
          "log-batch",
          "Add up to 1000 timeline entries from a JSON file ({\"requests\": [{\"interaction\": "
          "{...}}, ...]}), all or none; one line per entry"),
      {"karton.partners.v1.PartnerService/BatchLogInteractions"});
  log_batch->add_option("file", *log_batch_file)->required()->check(CLI::ExistingFile);
  log_batch->callback(Run(options, exit_code, [&options, log_batch_file] {
    const auto request = ReadJsonFile<partners::v1::BatchLogInteractionsRequest>(
        *log_batch_file, "BatchLogInteractionsRequest");
    const auto logged = Fetch(options, &PartnerService::Stub::BatchLogInteractions, request);
    if (options.output == "json") {
      std::cout << ToJson(logged);
    } else {
      for (int i = 0; i < logged.interactions_size(); ++i) {
        std::cout << fmt::format("{}\tlogged (id {})\tpartner {}\n", i, logged.interactions(i).id(),
                                 logged.interactions(i).partner_id());
      }
    }
    return 0;
  }));

  // Marketing consent: a person's opt-in per channel and its history.
  struct ConsentOptions {
    std::int64_t partner_id = 0, contact_id = 0;
    std::string channel, source, evidence, page_token;
    bool grant = false, withdraw = false;
    int page_size = 100;
  };
  auto consent_options = std::make_shared<ConsentOptions>();
  auto* consent = partners->add_subcommand(
      "consent", "Marketing consent per channel: record a grant or a withdrawal, the history");
  consent->require_subcommand(1);
  auto add_person = [consent_options](CLI::App* command) {
    auto* partner =
        command->add_option("--partner", consent_options->partner_id, "The partner's own consent");
    auto* contact =
        command->add_option("--contact", consent_options->contact_id, "A contact's consent");
    partner->excludes(contact);
  };
  // The request's person; bad usage when none is named.
  auto person_given = [consent_options] {
    if ((consent_options->partner_id == 0) == (consent_options->contact_id == 0)) {
      throw UsageError("name the person: --partner ID or --contact ID");
    }
  };
  auto* record_consent = Rpcs(
      consent->add_subcommand(
          "record", "Record that a person opted in (--grant) or out (--withdraw) on a channel"),
      {"karton.partners.v1.PartnerService/RecordMarketingConsent"});
  add_person(record_consent);
  AddChoice(record_consent, "--channel", consent_options->channel, kConsentChannels)->required();
  auto* grant = record_consent->add_flag("--grant", consent_options->grant, "Opted in");
  record_consent->add_flag("--withdraw", consent_options->withdraw, "Opted out")->excludes(grant);
  AddChoice(record_consent, "--source", consent_options->source, kConsentSources)->required();
  record_consent
      ->add_option("--evidence", consent_options->evidence,
                   "What proves it: a form's name, \"phone call on 5 May\" (at most 500 bytes)")
      ->required();
  record_consent->callback(Run(options, exit_code, [&options, consent_options, person_given] {
    person_given();
    if (consent_options->grant == consent_options->withdraw) {
      throw UsageError("say which: --grant or --withdraw");
    }
    partners::v1::RecordMarketingConsentRequest request;
    request.set_partner_id(consent_options->partner_id);
    request.set_contact_id(consent_options->contact_id);
    request.set_channel(
        FromWord<partners::v1::MarketingChannel>(consent_options->channel, "MARKETING_CHANNEL_"));
    request.set_granted(consent_options->grant);
    request.set_source(
        FromWord<partners::v1::ConsentSource>(consent_options->source, "CONSENT_SOURCE_"));
    request.set_evidence(consent_options->evidence);
    return Call(options, &PartnerService::Stub::RecordMarketingConsent, request,
                [](const partners::v1::MarketingConsent& recorded) {
                  partners::v1::ListMarketingConsentsResponse one;
                  *one.add_consents() = recorded;
                  PrintConsents(one.consents());
                });
  }));
  auto* list_consents =
      Rpcs(consent->add_subcommand("list", "A person's consent history, newest first"),
           {"karton.partners.v1.PartnerService/ListMarketingConsents"});
  add_person(list_consents);
  list_consents->add_option("--page-size", consent_options->page_size, "At most 1000")
      ->capture_default_str();
  list_consents->add_option("--page-token", consent_options->page_token, "From the previous page");
  list_consents->callback(Run(options, exit_code, [&options, consent_options, person_given] {
    person_given();
    partners::v1::ListMarketingConsentsRequest request;
    request.set_partner_id(consent_options->partner_id);
    request.set_contact_id(consent_options->contact_id);
    request.set_page_size(consent_options->page_size);
    request.set_page_token(consent_options->page_token);
    return Call(options, &PartnerService::Stub::ListMarketingConsents, request,
                [](const partners::v1::ListMarketingConsentsResponse& response) {
                  PrintConsents(response.consents());
                  MorePages(response.next_page_token());
                });
  }));

  // Documents attach to any record; "partners.partner:17" names one.
  auto* documents = app.add_subcommand("documents", "Files attached to partners and other records");
  documents->require_subcommand(1);
  auto record = std::make_shared<std::string>();
  auto parse_record = [](const std::string& text, std::string& type, std::int64_t& record_id) {
    const auto colon = text.find(':');
    if (colon == std::string::npos) return false;
    type = text.substr(0, colon);
    try {
      record_id = std::stoll(text.substr(colon + 1));
    } catch (const std::exception&) {
      return false;
    }
    return true;
  };
  auto file = std::make_shared<std::string>();
  auto* upload =
      Rpcs(documents->add_subcommand("upload", "Attach a file (a new version if the name exists)"),
           {"karton.partners.v1.PartnerService/UploadDocument"});
  upload->add_option("record", *record, "<resource type>:<id>, e.g. partners.partner:17")
      ->required();
  upload->add_option("file", *file)->required()->check(CLI::ExistingFile);
  upload->callback([&, record, file, parse_record] {
    partners::v1::UploadDocumentRequest message;
    std::int64_t record_id = 0;
    std::string type;
    if (!parse_record(*record, type, record_id)) {
      std::cerr << "karton: the record is <resource type>:<id>, e.g. partners.partner:17\n";
      exit_code = 2;
      return;
    }
    std::ifstream in(*file, std::ios::binary);
    auto context = MakeContext(options, /*streaming=*/true);
    partners::v1::Document uploaded;
    auto writer =
        PartnerService::NewStub(ChannelFor(options))->UploadDocument(context.get(), &uploaded);
    message.mutable_document()->set_resource_type(type);
    message.mutable_document()->set_resource_id(record_id);
    message.mutable_document()->set_name(std::filesystem::path(*file).filename().string());
    bool open = writer->Write(message);
    std::string buffer(1024 * 1024, '\0');
    while (open && in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      if (in.gcount() <= 0) break;
      message.Clear();
      message.set_chunk(buffer.substr(0, static_cast<std::size_t>(in.gcount())));
      open = writer->Write(message);
    }
    writer->WritesDone();
    const auto status = writer->Finish();
    if (!status.ok()) {
      exit_code = ReportError(status, options);
    } else if (options.output == "json") {
      std::cout << ToJson(uploaded);
    } else {
      std::cout << fmt::format("document {}: {} version {}, {} bytes, sha256 {}\n", uploaded.id(),
                               uploaded.name(), uploaded.version(), uploaded.size_bytes(),
                               uploaded.sha256());
    }
  });
  auto document_id = std::make_shared<std::int64_t>(0);
  auto output_file = std::make_shared<std::string>();
  auto* download = Rpcs(documents->add_subcommand("download", "Save a document to a file"),
                        {"karton.partners.v1.PartnerService/DownloadDocument"});
  download->add_option("id", *document_id)->required();
  download->add_option("-o,--out", *output_file, "Where to save it (default: its name)");
  download->callback([&, document_id, output_file] {
    partners::v1::DownloadDocumentRequest request;
    request.set_id(*document_id);
    auto context = MakeContext(options, /*streaming=*/true);
    auto reader =
        PartnerService::NewStub(ChannelFor(options))->DownloadDocument(context.get(), request);
    partners::v1::DownloadDocumentResponse message;
    std::ofstream out;
    std::string path = *output_file;
    while (reader->Read(&message)) {
      if (message.has_document()) {
        if (path.empty())
          path = std::filesystem::path(message.document().name()).filename().string();
        out.open(path, std::ios::binary | std::ios::trunc);
      } else {
        out.write(message.chunk().data(), static_cast<std::streamsize>(message.chunk().size()));
      }
    }
    const auto status = reader->Finish();
    if (!status.ok()) {
      exit_code = ReportError(status, options);
    } else {
      std::cout << "saved " << path << "\n";
    }
  });
  auto all_versions = std::make_shared<bool>(false);
  auto* list_documents = Rpcs(documents->add_subcommand("list", "The documents of a record"),
                              {"karton.partners.v1.PartnerService/ListDocuments"});
  list_documents->add_option("record", *record, "<resource type>:<id>")->required();
  list_documents->add_flag("--all-versions", *all_versions);
  list_documents->callback([&, record, all_versions, parse_record] {
    partners::v1::ListDocumentsRequest request;
    std::int64_t record_id = 0;
    std::string type;
    if (!parse_record(*record, type, record_id)) {
      std::cerr << "karton: the record is <resource type>:<id>, e.g. partners.partner:17\n";
      exit_code = 2;
      return;
    }
    request.set_resource_type(type);
    request.set_resource_id(record_id);
    request.set_all_versions(*all_versions);
    request.set_page_size(1000);
    partners::v1::ListDocumentsResponse response;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->ListDocuments(MakeContext(options).get(), request, &response);
    if (!status.ok()) {
      exit_code = ReportError(status, options);
    } else if (options.output == "json") {
      std::cout << ToJson(response);
    } else {
      std::cout << fmt::format("{:>6}  {:<36} {:>4} {:>10}  {}\n", "ID", "NAME", "VER", "BYTES",
                               "UPLOADED");
      for (const auto& document : response.documents()) {
        std::cout << fmt::format(
            "{:>6}  {:<36} {:>4} {:>10}  {}\n", document.id(), document.name(), document.version(),
            document.size_bytes(),
            google::protobuf::util::TimeUtil::ToString(document.create_time()).substr(0, 16));
      }
    }
  });
  auto* delete_document =
      Rpcs(documents->add_subcommand("delete", "Delete one version of a document"),
           {"karton.partners.v1.PartnerService/DeleteDocument"});
  delete_document->add_option("id", *document_id)->required();
  delete_document->callback([&, document_id] {
    partners::v1::DeleteDocumentRequest request;
    request.set_id(*document_id);
    partners::v1::DeleteDocumentResponse response;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->DeleteDocument(MakeContext(options).get(), request, &response);
    exit_code = status.ok() ? 0 : ReportError(status, options);
  });

  struct ImportOptions {
    std::string file;
    std::vector<std::string> mappings;
    std::string delimiter = ",";
    std::string mode = "upsert";
    bool dry_run = false;
    std::string request_id;
  };
  auto import_options = std::make_shared<ImportOptions>();
  auto* import_command = Rpcs(
      partners->add_subcommand(
          "import", "Import partners from a CSV file (docs/partners.md: fields, matching, modes)"),
      {"karton.partners.v1.PartnerService/ImportPartners"});
  import_command->add_option("file", import_options->file)->required()->check(CLI::ExistingFile);
  import_command->add_option("--map", import_options->mappings,
                             "COLUMN=FIELD, repeatable (default: the header names the fields)");
  import_command
      ->add_option("--delimiter", import_options->delimiter, "One character; \\t for a tab")
      ->capture_default_str();
  import_command->add_option("--mode", import_options->mode, "create_only, upsert or update_only")
      ->check(CLI::IsMember({"create_only", "upsert", "update_only"}))
      ->capture_default_str();
  import_command->add_flag("--dry-run", import_options->dry_run, "Check and count, write nothing");
  import_command->add_option("--request-id", import_options->request_id,
                             "Makes a repeated run of this command one import");
  import_command->callback([&, import_options] {
    partners::v1::ImportPartnersRequest message;
    auto* settings = message.mutable_settings();
    for (const auto& mapping : import_options->mappings) {
      const auto equals = mapping.rfind('=');
      if (equals == std::string::npos) {
        std::cerr << "karton: --map takes COLUMN=FIELD, not '" << mapping << "'\n";
        exit_code = 2;
        return;
      }
      (*settings->mutable_column_mapping())[mapping.substr(0, equals)] = mapping.substr(equals + 1);
    }
    settings->set_delimiter(import_options->delimiter == "\\t" ? "\t" : import_options->delimiter);
    settings->set_mode(import_options->mode == "create_only" ? partners::v1::IMPORT_MODE_CREATE_ONLY
                       : import_options->mode == "update_only"
                           ? partners::v1::IMPORT_MODE_UPDATE_ONLY
                           : partners::v1::IMPORT_MODE_UPSERT);
    settings->set_dry_run(import_options->dry_run);
    settings->set_request_id(import_options->request_id);

    std::ifstream in(import_options->file, std::ios::binary);
    const auto total = static_cast<double>(std::filesystem::file_size(import_options->file));
    auto context = MakeContext(options, /*streaming=*/true);
    auto stream = PartnerService::NewStub(ChannelFor(options))->ImportPartners(context.get());
    // Progress arrives while the file is still going out: read it on a
    // thread of its own (gRPC allows one reader and one writer at once).
    std::mutex shown_mutex;
    partners::v1::Import shown;
    std::atomic<std::int64_t> sent{0};
    const bool tty = isatty(2) != 0;
    auto draw = [&] {
      std::lock_guard lock(shown_mutex);
      const int percent =
          total > 0 ? static_cast<int>(100.0 * static_cast<double>(sent) / total) : 100;
      const std::string bar(static_cast<std::size_t>(percent / 5), '#');
      std::cerr << fmt::format("{}[{:<20}] {:>3}%  rows {} (valid {}, invalid {})", tty ? "\r" : "",
                               bar, percent, shown.rows_read(), shown.rows_valid(),
                               shown.rows_invalid())
                << (tty ? "" : "\n") << std::flush;
    };
    std::thread reader([&] {
      partners::v1::ImportPartnersResponse response;
      while (stream->Read(&response)) {
        {
          std::lock_guard lock(shown_mutex);
          shown = response.import();
        }
        if (options.output == "table") draw();
      }
    });
    bool open = stream->Write(message);
    std::string buffer(256 * 1024, '\0');
    while (open && in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      if (in.gcount() <= 0) break;
      message.Clear();
      message.set_csv_chunk(buffer.substr(0, static_cast<std::size_t>(in.gcount())));
      open = stream->Write(message);
      sent += in.gcount();
    }
    stream->WritesDone();
    reader.join();
    const auto status = stream->Finish();
    if (options.output == "table") std::cerr << "\n";
    if (options.output == "json") {
      std::cout << ToJson(shown);
    } else {
      std::cout << fmt::format(
          "import {}: {}{}\n  rows {} read, {} valid, {} invalid; {} duplicates\n"
          "  partners {} created, {} updated; {} rows skipped; contacts {} created\n",
          shown.id(), EnumWord(partners::v1::ImportState_Name(shown.state()), "IMPORT_STATE_"),
          shown.dry_run() ? " (dry run: nothing written)" : "", shown.rows_read(),
          shown.rows_valid(), shown.rows_invalid(), shown.duplicates(), shown.partners_created(),
          shown.partners_updated(), shown.rows_skipped(), shown.contacts_created());
      if (shown.rows_invalid() > 0) {
        std::cout << fmt::format("  the refused rows: karton partners import-errors {}\n",
                                 shown.id());
      }
    }
    exit_code = status.ok() ? 0 : ReportError(status, options);
  });

  auto import_id = std::make_shared<std::int64_t>(0);
  auto* import_errors =
      Rpcs(partners->add_subcommand(
               "import-errors", "The rows an import refused, as CSV (row,column,field,problem)"),
           {"karton.partners.v1.PartnerService/ListImportErrors"});
  import_errors->add_option("id", *import_id, "The import")->required();
  import_errors->callback([&, import_id] {
    partners::v1::ListImportErrorsRequest request;
    request.set_import_id(*import_id);
    request.set_page_size(1000);
    auto stub = PartnerService::NewStub(ChannelFor(options));
    std::cout << "row,column,field,problem\n";
    do {
      partners::v1::ListImportErrorsResponse response;
      const auto status = stub->ListImportErrors(MakeContext(options).get(), request, &response);
      if (!status.ok()) {
        exit_code = ReportError(status, options);
        return;
      }
      for (const auto& error : response.errors()) {
        auto quote = [](const std::string& text) {
          std::string quoted = "\"";
          for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
          return quoted + "\"";
        };
        std::cout << error.row() << "," << quote(error.column()) << "," << quote(error.field())
                  << "," << quote(error.problem()) << "\n";
      }
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
  });

  struct ExportOptions {
    std::string filter, order_by, delimiter = ",";
  };
  auto export_options = std::make_shared<ExportOptions>();
  auto* export_command =
      Rpcs(partners->add_subcommand("export", "Partners as CSV on standard output (imports back)"),
           {"karton.partners.v1.PartnerService/ExportPartners"});
  export_command->add_option("--filter", export_options->filter);
  export_command->add_option("--order-by", export_options->order_by);
  export_command->add_option("--delimiter", export_options->delimiter)->capture_default_str();
  export_command->callback([&, export_options] {
    partners::v1::ExportPartnersRequest request;
    request.set_filter(export_options->filter);
    request.set_order_by(export_options->order_by);
    request.set_delimiter(export_options->delimiter);
    auto context = MakeContext(options, /*streaming=*/true);
    auto reader =
        PartnerService::NewStub(ChannelFor(options))->ExportPartners(context.get(), request);
    partners::v1::ExportPartnersResponse chunk;
    while (reader->Read(&chunk)) std::cout << chunk.csv_chunk();
    const auto status = reader->Finish();
    exit_code = status.ok() ? 0 : ReportError(status, options);
  });

  Rpcs(partners->add_subcommand("fields", "The custom fields partners can carry"),
       {"karton.partners.v1.PartnerService/ListCustomFieldDefinitions"})
      ->callback([&] {
        partners::v1::ListCustomFieldDefinitionsResponse response;
        const auto status =
            PartnerService::NewStub(ChannelFor(options))
                ->ListCustomFieldDefinitions(MakeContext(options).get(), {}, &response);
        if (!status.ok()) {
          exit_code = ReportError(status, options);
        } else if (options.output == "json") {
          std::cout << ToJson(response);
        } else {
          std::cout << fmt::format("{:<20} {:<8} {:<9} {:<24} {}\n", "KEY", "TYPE", "REQUIRED",
                                   "LABEL", "CHOICES");
          for (const auto& definition : response.definitions()) {
            std::string choices;
            for (const auto& choice : definition.choices()) {
              choices += (choices.empty() ? "" : ",") + choice;
            }
            std::cout << fmt::format("{:<20} {:<8} {:<9} {:<24} {}\n", definition.key(),
                                     EnumWord(partners::v1::CustomFieldType_Name(definition.type()),
                                              "CUSTOM_FIELD_TYPE_"),
                                     definition.required() ? "yes" : "no", definition.label(),
                                     choices);
          }
        }
      });

  auto* duplicates =
      Rpcs(partners->add_subcommand("duplicates",
                                    "Partners that look like one: of one partner, or all pairs"),
           {"karton.partners.v1.PartnerService/FindDuplicates"});
  duplicates->add_option("id", *id, "The partner (default: scan all partners)");
  duplicates->callback([&, id] {
    partners::v1::FindDuplicatesRequest request;
    request.set_partner_id(*id);
    request.set_page_size(500);
    auto stub = PartnerService::NewStub(ChannelFor(options));
    if (options.output != "json") {
      std::cout << fmt::format("{:>6} {:<32} {:>6} {:<32} {}\n", "ID", "NAME", "ID", "DUPLICATE",
                               "WHY");
    }
    do {
      partners::v1::FindDuplicatesResponse response;
      const auto status = stub->FindDuplicates(MakeContext(options).get(), request, &response);
      if (!status.ok()) {
        exit_code = ReportError(status, options);
        return;
      }
      for (const auto& pair : response.pairs()) {
        if (options.output == "json") {
          std::cout << ToJson(pair);
          continue;
        }
        std::string why;
        for (int reason : pair.reasons()) {
          why += (why.empty() ? "" : ", ") +
                 EnumWord(partners::v1::DuplicateReason_Name(reason), "DUPLICATE_REASON_");
        }
        std::cout << fmt::format("{:>6} {:<32} {:>6} {:<32} {} (names {:.0f}% alike)\n",
                                 pair.partner_id(), pair.partner().display_name(),
                                 pair.duplicate_id(), pair.duplicate().display_name(), why,
                                 pair.name_similarity() * 100);
      }
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
  });

  auto merge_ids = std::make_shared<std::pair<std::int64_t, std::int64_t>>();
  auto* merge =
      Rpcs(partners->add_subcommand(
               "merge",
               "Merge a duplicate into the partner to keep (contacts, documents, timeline move)"),
           {"karton.partners.v1.PartnerService/MergePartners"});
  merge->add_option("keep", merge_ids->first, "The partner that stays")->required();
  merge->add_option("merge", merge_ids->second, "The duplicate, archived afterwards")->required();
  merge->callback([&, merge_ids] {
    partners::v1::MergePartnersRequest request;
    request.set_keep_partner_id(merge_ids->first);
    request.set_merge_partner_id(merge_ids->second);
    Partner partner;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->MergePartners(MakeContext(options).get(), request, &partner);
    exit_code = ShowPartner(options, status, partner);
  });

  // Personal data (A10): administrators only.
  struct SubjectOptions {
    std::int64_t partner_id = 0, contact_id = 0;
    std::string email, reason;
  };
  auto subject = std::make_shared<SubjectOptions>();
  auto* personal = partners->add_subcommand(
      "personal-data", "Everything held about a person, or its erasure (administrators)");
  personal->require_subcommand(1);
  auto add_subject = [&](CLI::App* command) {
    auto* partner = command->add_option("--partner", subject->partner_id, "A partner's id");
    auto* contact = command->add_option("--contact", subject->contact_id, "A contact's id");
    auto* email = command->add_option("--email", subject->email,
                                      "An address alone: a prospect who is no partner or contact");
    partner->excludes(contact)->excludes(email);
    contact->excludes(email);
  };
  // The request's subject; false (and exit code 2) when none is named.
  auto subject_given = [&, subject] {
    if (subject->partner_id != 0 || subject->contact_id != 0 || !subject->email.empty()) {
      return true;
    }
    std::cerr << "karton: name the person: --partner ID, --contact ID or --email ADDRESS\n";
    exit_code = 2;
    return false;
  };
  auto* export_personal =
      Rpcs(personal->add_subcommand("export", "One JSON document with everything held"),
           {"karton.partners.v1.PartnerService/ExportPersonalData"});
  add_subject(export_personal);
  export_personal->callback([&, subject, subject_given] {
    if (!subject_given()) return;
    partners::v1::ExportPersonalDataRequest request;
    if (subject->partner_id != 0) request.set_partner_id(subject->partner_id);
    if (subject->contact_id != 0) request.set_contact_id(subject->contact_id);
    if (!subject->email.empty()) request.set_email(subject->email);
    partners::v1::PersonalData data;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->ExportPersonalData(MakeContext(options).get(), request, &data);
    if (!status.ok()) {
      exit_code = ReportError(status, options);
      return;
    }
    std::cout << ToJson(data);
  });
  auto* erase = Rpcs(
      personal->add_subcommand(
          "erase", "Anonymise a partner (with its contacts), a contact or an address; ids stay"),
      {"karton.partners.v1.PartnerService/ErasePersonalData"});
  add_subject(erase);
  erase->add_option("--reason", subject->reason, "Why: the request's reference")->required();
  erase->callback([&, subject, subject_given] {
    if (!subject_given()) return;
    partners::v1::ErasePersonalDataRequest request;
    if (subject->partner_id != 0) request.set_partner_id(subject->partner_id);
    if (subject->contact_id != 0) request.set_contact_id(subject->contact_id);
    if (!subject->email.empty()) request.set_email(subject->email);
    request.set_reason(subject->reason);
    partners::v1::ErasePersonalDataResponse response;
    const auto status = PartnerService::NewStub(ChannelFor(options))
                            ->ErasePersonalData(MakeContext(options).get(), request, &response);
    if (!status.ok()) {
      exit_code = ReportError(status, options);
    } else if (options.output == "json") {
      std::cout << ToJson(response);
    } else if (response.has_partner()) {
      PrintCard(response.partner());
    } else {
      std::cout << fmt::format("{} (contact {} of partner {}): erased\n", response.contact().name(),
                               response.contact().id(), response.contact().partner_id());
    }
    if (status.ok() && options.output != "json") {
      for (const auto& section : response.sections()) {
        for (const auto& entry : section.records()) {
          std::cout << fmt::format("{} {}: {}\n", entry.resource_type(), entry.resource_id(),
                                   entry.outcome());
        }
      }
    }
  });
}

}  // namespace karton::cli
