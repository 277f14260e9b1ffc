// The messaging module: templates, email over SMTP, SMS through a provider,
// letters as PDF, consent and delivery you can trust (docs/messaging.md).
// This file only wires; the work is in the service, the delivery jobs and
// the subscribers.
#pragma once

#include <memory>
#include <optional>

#include "consent/unsubscribe_token.h"
#include "delivery/delivery_job.h"
#include "inbound/inbound_job.h"
#include "karton/kernel/module.h"

namespace karton::messaging {

class MessagingServiceImpl;
class PersonalDataServiceImpl;
class RecordAccessServiceImpl;
class UnsubscribePages;

class MessagingModule final : public kernel::Module {
 public:
  // --module-option messaging.<key>=<value> (docs/messaging.md, "Configuration").
  static constexpr KartonModuleOption kOptions[] = {
      {"smtp_url", "url",
       "The SMTP server: smtp://[user@]host:port (STARTTLS when offered) or smtps://host:port",
       "none: email is refused", "smtp-url"},
      {"mail_from", "text", "The sender of email, \"Name <address>\" or an address",
       "required with smtp_url", "mail-from"},
      {"smtp_password_file", "file",
       "A file holding the SMTP password of the user in smtp_url, so that it is not on the "
       "command line",
       "", "smtp-password-file"},
      {"sms_url", "url", "The SMS provider's endpoint, https://...", "none: SMS is refused", ""},
      {"sms_api_key", "text", "Sent to the SMS provider as Authorization: Bearer <key>", "", ""},
      {"sms_sender", "text", "The sender id phones show, at most 16 characters",
       "required with sms_url", ""},
      {"email_per_second", "number",
       "The most emails one kartond hands to the SMTP server per second; 0: no limit", "100", ""},
      {"sms_per_second", "number", "The most SMS one kartond sends per second; 0: no limit", "10",
       ""},
      {"letter_sender", "text", "The sender block printed on letters; | separates lines",
       "the name in mail_from, else Karton", ""},
      {"letter_place", "text", "The place before the date on letters (Budapest)", "", ""},
      {"attachments_max_mib", "integer",
       "The most an email's attachments may hold together, in MiB (1 to 20)", "10", ""},
      {"imap_url", "url",
       "The mailbox polled for inbound email and bounces: imap[s]://user:password@host:port/INBOX "
       "(the login needs TLS, imaps:// or STARTTLS, except on loopback)",
       "none: no inbound email", ""},
      {"imap_password_file", "file",
       "A file holding the IMAP password of the user in imap_url, so that it is not on the "
       "command line",
       "", ""},
      {"inbound_poll_seconds", "integer", "How often the mailbox is polled, in seconds", "60", ""},
      {"inbound_max_mib", "integer",
       "The largest inbound email downloaded, in MiB (1 to 1024); a larger one is skipped and "
       "left unread in the mailbox",
       "25", ""},
      {"inbound_unknown_sender", "text",
       "What an email from an address no partner or contact has becomes: lead (a crm lead, when "
       "crm is loaded) or ignore",
       "lead", ""},
      {"inbound_routes", "text",
       "Addresses whose inbound email another module takes, address=route separated by commas "
       "(support@example.hu=helpdesk: a ticket, not a lead)",
       "none", ""},
      {"marketing_requires_opt_in", "boolean",
       "Marketing goes only to people with a granted consent for the channel (kept by partners); "
       "false for consent collected outside Karton",
       "true", ""},
  };

  MessagingModule();
  ~MessagingModule() override;
  void Register(kernel::ModuleContext& context, kernel::Registrar& registrar) override;
  void Start(kernel::ModuleContext& context) override;
  void LoadDemoData(kernel::ModuleContext& context, soci::session& session) override;

 private:
  ChannelSettings settings_;
  std::optional<InboundSettings> inbound_settings_;
  std::unique_ptr<Inbound> inbound_;
  std::optional<UnsubscribeTokens> tokens_;
  std::unique_ptr<Delivery> delivery_;
  std::unique_ptr<MessagingServiceImpl> service_;
  std::unique_ptr<PersonalDataServiceImpl> personal_data_;
  std::unique_ptr<RecordAccessServiceImpl> record_access_;
  std::unique_ptr<UnsubscribePages> unsubscribe_pages_;
};

}  // namespace karton::messaging
