// karton contacts ... and the partner card's less frequent commands
// (karton partners delete|field-add|field-update|import-status):
// docs/partners.md. The card itself is partner_commands.cpp.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client.h"
#include "command_calls.h"
#include "command_support.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

namespace pv1 = partners::v1;
using Partners = pv1::PartnerService::Stub;

const std::vector<std::string> kFieldTypes{"text", "number", "date", "bool", "choice"};

struct Options {
  std::int64_t id = 0, partner = 0;
  std::string etag, name, role, birthday, name_day, primary, request_id, key, label, type, required;
  std::vector<std::string> emails, phones, choices;
};

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& values) {
  std::string text;
  for (const auto& value : values) text += (text.empty() ? "" : ", ") + value;
  return text;
}

void PrintContact(const pv1::Contact& contact) {
  std::cout << fmt::format("contact {}: {}{} (partner {})\n", contact.id(), contact.name(),
                           contact.primary() ? " *" : "", contact.partner_id());
  const auto& birthday = contact.birthday();
  Lines("role", contact.role(), "email", Joined(contact.emails()), "phone",
        Joined(contact.phones()), "birthday",
        contact.has_birthday()
            ? fmt::format("{:04}-{:02}-{:02}", birthday.year(), birthday.month(), birthday.day())
            : "",
        "name day", contact.name_day(), "updated", Time(contact.update_time()), "etag",
        contact.etag());
}

void PrintDefinition(const pv1::CustomFieldDefinition& definition) {
  std::cout << fmt::format("field {}: {} ({}{})\n", definition.key(), definition.label(),
                           Word(definition.type(), "CUSTOM_FIELD_TYPE_"),
                           definition.required() ? ", required" : "");
  Lines("choices", Joined(definition.choices()), "etag", definition.etag());
}

void PrintImport(const pv1::Import& import) {
  std::cout << fmt::format(
      "import {}: {}{}\n  rows {} read, {} valid, {} invalid; {} duplicates\n"
      "  partners {} created, {} updated; {} rows skipped; contacts {} created\n",
      import.id(), Word(import.state(), "IMPORT_STATE_"),
      import.dry_run() ? " (dry run: nothing written)" : "", import.rows_read(),
      import.rows_valid(), import.rows_invalid(), import.duplicates(), import.partners_created(),
      import.partners_updated(), import.rows_skipped(), import.contacts_created());
  Lines("error", import.error(), "started", Time(import.create_time()), "finished",
        Time(import.finish_time()));
}

// The contact's flags: each one given sets its field and, on update, names
// it in the mask.
void AddContactFlags(CLI::App* command, Options& bound) {
  command->add_option("--role", bound.role, "What they do: Ügyvezető, Beszerző, ...");
  command->add_option("--email", bound.emails, "An address, repeatable (replaces them)");
  command->add_option("--phone", bound.phones, "A number, repeatable (replaces them)");
  command->add_option("--birthday", bound.birthday, "YYYY-MM-DD");
  command->add_option("--name-day", bound.name_day, "MM-DD");
  command->add_option("--primary", bound.primary, "true: the partner's main contact")
      ->check(CLI::IsMember({"true", "false"}));
}

std::vector<std::string> ApplyContactFlags(const CLI::App* command, const Options& bound,
                                           pv1::Contact& contact) {
  std::vector<std::string> given;
  const auto flag = [&](const char* name, const char* field) {
    if (command->count(name) == 0) return false;
    given.emplace_back(field);
    return true;
  };
  if (flag("--name", "name")) contact.set_name(bound.name);
  if (flag("--role", "role")) contact.set_role(bound.role);
  if (flag("--email", "emails")) {
    for (const auto& email : bound.emails) contact.add_emails(email);
  }
  if (flag("--phone", "phones")) {
    for (const auto& phone : bound.phones) contact.add_phones(phone);
  }
  if (flag("--birthday", "birthday")) {
    *contact.mutable_birthday() = ParseDate(bound.birthday, "--birthday");
  }
  if (flag("--name-day", "name_day")) contact.set_name_day(bound.name_day);
  if (flag("--primary", "primary")) contact.set_primary(bound.primary == "true");
  return given;
}

void AddContactGroup(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* contacts = app.add_subcommand("contacts",
                                      "People at partners (a partner's list: karton partners "
                                      "contacts ID)")
                       ->require_subcommand(1);
  auto bound = std::make_shared<Options>();

  auto* get = Rpcs(contacts->add_subcommand("get", "One contact with its etag"),
                   {"karton.partners.v1.PartnerService/GetContact"});
  get->add_option("id", bound->id)->required();
  get->callback(Run(options, exit_code, [&options, bound] {
    pv1::GetContactRequest request;
    request.set_id(bound->id);
    return Call(options, &Partners::GetContact, request, PrintContact);
  }));

  auto many_ids = std::make_shared<std::vector<std::int64_t>>();
  auto* get_many = Rpcs(contacts->add_subcommand("get-many",
                                                 "Several contacts at once (hidden or missing "
                                                 "ones are left out)"),
                        {"karton.partners.v1.PartnerService/BatchGetContacts"});
  get_many->add_option("ids", *many_ids)->required();
  get_many->callback(Run(options, exit_code, [&options, many_ids] {
    pv1::BatchGetContactsRequest request;
    for (const auto id : *many_ids) request.add_ids(id);
    return Call(options, &Partners::BatchGetContacts, request,
                [](const pv1::BatchGetContactsResponse& response) {
                  for (const auto& contact : response.contacts()) PrintContact(contact);
                });
  }));

  auto* create = Rpcs(contacts->add_subcommand("create", "A contact at a partner"),
                      {"karton.partners.v1.PartnerService/CreateContact"});
  create->add_option("--partner", bound->partner, "The partner's id")->required();
  create->add_option("--name", bound->name, "The person")->required();
  AddContactFlags(create, *bound);
  create->add_option("--request-id", bound->request_id, "The same id twice creates one contact");
  create->callback(Run(options, exit_code, [&options, bound, create] {
    pv1::CreateContactRequest request;
    request.set_partner_id(bound->partner);
    ApplyContactFlags(create, *bound, *request.mutable_contact());
    request.set_request_id(bound->request_id);
    return Call(options, &Partners::CreateContact, request, PrintContact);
  }));

  auto* update = Rpcs(contacts->add_subcommand("update", "Change the fields given"),
                      {"karton.partners.v1.PartnerService/UpdateContact"});
  update->add_option("id", bound->id)->required();
  update->add_option("--etag", bound->etag, "From `get`; refused (ABORTED) when it changed since")
      ->required();
  update->add_option("--name", bound->name, "The person's name");
  AddContactFlags(update, *bound);
  update->callback(Run(options, exit_code, [&options, bound, update] {
    pv1::UpdateContactRequest request;
    request.mutable_contact()->set_id(bound->id);
    request.mutable_contact()->set_etag(bound->etag);
    for (const auto& field : ApplyContactFlags(update, *bound, *request.mutable_contact())) {
      request.mutable_update_mask()->add_paths(field);
    }
    if (request.update_mask().paths().empty()) throw UsageError("give what changes (--name, ...)");
    return Call(options, &Partners::UpdateContact, request, PrintContact);
  }));

  auto* remove = Rpcs(contacts->add_subcommand("delete", "Delete a contact"),
                      {"karton.partners.v1.PartnerService/DeleteContact"});
  remove->add_option("id", bound->id)->required();
  remove->add_option("--etag", bound->etag, "Refuse if the contact changed since");
  remove->callback(Run(options, exit_code, [&options, bound] {
    pv1::DeleteContactRequest request;
    request.set_id(bound->id);
    request.set_etag(bound->etag);
    return Call(options, &Partners::DeleteContact, request,
                [](const pv1::DeleteContactResponse&) { std::cout << "deleted\n"; });
  }));
}

void AddPartnerExtras(CLI::App& partners, const GlobalOptions& options, int& exit_code) {
  auto bound = std::make_shared<Options>();

  auto* remove =
      Rpcs(partners.add_subcommand("delete",
                                   "Delete a partner for good (only one nothing refers to; "
                                   "archive it otherwise)"),
           {"karton.partners.v1.PartnerService/DeletePartner"});
  remove->add_option("id", bound->id)->required();
  remove->add_option("--etag", bound->etag, "Refuse if the partner changed since");
  remove->callback(Run(options, exit_code, [&options, bound] {
    pv1::DeletePartnerRequest request;
    request.set_id(bound->id);
    request.set_etag(bound->etag);
    return Call(options, &Partners::DeletePartner, request,
                [](const pv1::DeletePartnerResponse&) { std::cout << "deleted\n"; });
  }));

  auto* add_field = Rpcs(partners.add_subcommand("field-add",
                                                 "Define a custom field partners carry (karton "
                                                 "partners fields lists them)"),
                         {"karton.partners.v1.PartnerService/CreateCustomFieldDefinition"});
  add_field->add_option("key", bound->key, "[a-z][a-z0-9_]*, fixed once made")->required();
  add_field->add_option("--label", bound->label, "What people see, e.g. Iparág")->required();
  AddChoice(add_field, "--type", bound->type, kFieldTypes)->required();
  add_field->add_option("--choice", bound->choices, "An allowed value (type choice), repeatable");
  add_field->add_option("--required", bound->required, "true: every partner needs a value")
      ->check(CLI::IsMember({"true", "false"}));
  add_field->callback(Run(options, exit_code, [&options, bound] {
    pv1::CreateCustomFieldDefinitionRequest request;
    auto& definition = *request.mutable_definition();
    definition.set_key(bound->key);
    definition.set_label(bound->label);
    definition.set_type(FromWord<pv1::CustomFieldType>(bound->type, "CUSTOM_FIELD_TYPE_"));
    for (const auto& choice : bound->choices) definition.add_choices(choice);
    definition.set_required(bound->required == "true");
    return Call(options, &Partners::CreateCustomFieldDefinition, request, PrintDefinition);
  }));

  auto* update_field = Rpcs(partners.add_subcommand("field-update",
                                                    "Change a custom field's label, choices or "
                                                    "whether it is required"),
                            {"karton.partners.v1.PartnerService/UpdateCustomFieldDefinition"});
  update_field->add_option("key", bound->key)->required();
  update_field
      ->add_option("--etag", bound->etag,
                   "From karton --output json partners fields; refused (ABORTED) when stale")
      ->required();
  update_field->add_option("--label", bound->label, "What people see");
  update_field->add_option("--choice", bound->choices, "An allowed value, repeatable (replaces)");
  update_field->add_option("--required", bound->required, "true or false")
      ->check(CLI::IsMember({"true", "false"}));
  update_field->callback(Run(options, exit_code, [&options, bound, update_field] {
    pv1::UpdateCustomFieldDefinitionRequest request;
    auto& definition = *request.mutable_definition();
    definition.set_key(bound->key);
    definition.set_etag(bound->etag);
    definition.set_label(bound->label);
    for (const auto& choice : bound->choices) definition.add_choices(choice);
    definition.set_required(bound->required == "true");
    for (const auto& [flag, field] :
         {std::pair{"--label", "label"}, {"--choice", "choices"}, {"--required", "required"}}) {
      if (update_field->count(flag) > 0) request.mutable_update_mask()->add_paths(field);
    }
    if (request.update_mask().paths().empty()) {
      throw UsageError("give what changes: --label, --choice or --required");
    }
    return Call(options, &Partners::UpdateCustomFieldDefinition, request, PrintDefinition);
  }));

  auto* import_status =
      Rpcs(partners.add_subcommand("import-status", "Where an import stands, with its counts"),
           {"karton.partners.v1.PartnerService/GetImport"});
  import_status->add_option("id", bound->id, "The import")->required();
  import_status->callback(Run(options, exit_code, [&options, bound] {
    pv1::GetImportRequest request;
    request.set_id(bound->id);
    return Call(options, &Partners::GetImport, request, PrintImport);
  }));
}

}  // namespace

void AddContactCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  AddContactGroup(app, options, exit_code);
  AddPartnerExtras(*app.get_subcommand("partners"), options, exit_code);
}

}  // namespace karton::cli
