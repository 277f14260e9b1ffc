#include "demo_data.h"

#include "karton/kernel/module.h"
#include "message_repository.h"

namespace karton::messaging {

void LoadMessagingDemoData(kernel::ModuleContext& context, soci::session& session) {
  struct Demo {
    const char* name;
    const char* language;
    v1::Channel channel;
    const char* subject;
    const char* text_body;
    const char* html_body;
  };
  const Demo demos[] = {
      {"order_confirmation", "hu", v1::CHANNEL_EMAIL, "Rendelését megkaptuk: {{order.number}}",
       "Kedves {{#contact}}{{contact.name}}{{/contact}}{{^contact}}{{partner.displayName}}"
       "{{/contact}}!\n\nKöszönjük rendelését ({{order.number}}).\n{{#items}}- {{name}}: "
       "{{quantity}} db\n{{/items}}\nÜdvözlettel:\nKarton Kft.\n",
       "<p>Kedves {{partner.displayName}}!</p><p>Köszönjük rendelését "
       "(<strong>{{order.number}}</strong>).</p><ul>{{#items}}<li>{{name}}: {{quantity}} "
       "db</li>{{/items}}</ul>"},
      {"order_confirmation", "en", v1::CHANNEL_EMAIL, "We received your order {{order.number}}",
       "Dear {{partner.displayName}},\n\nThank you for your order ({{order.number}}).\n"
       "{{#items}}- {{name}}: {{quantity}}\n{{/items}}\nKind regards,\nKarton Ltd.\n",
       ""},
      {"newsletter", "hu", v1::CHANNEL_EMAIL, "Őszi ajánlataink",
       "Kedves {{partner.displayName}}!\n\nŐszi akciónk november 30-ig tart: minden "
       "ablakcserére 10% kedvezmény.\n\nHa nem kér több hírlevelet: {{unsubscribe_url}}\n",
       "<p>Kedves {{partner.displayName}}!</p><p>Őszi akciónk november 30-ig tart: minden "
       "ablakcserére <strong>10% kedvezmény</strong>.</p><p><a href=\"{{unsubscribe_url}}\">"
       "Leiratkozás</a></p>"},
      // The automation recipes' templates (docs/automation.md, "Recipes").
      {"name_day_greeting", "hu", v1::CHANNEL_EMAIL, "Boldog névnapot, {{name_day_name}}!",
       "Kedves {{partner.displayName}}!\n\nNévnapja alkalmából sok boldogságot kívánunk!\n\n"
       "Karton Kft.\n\nHa nem kér több ilyen levelet: {{unsubscribe_url}}\n",
       ""},
      {"birthday_greeting", "hu", v1::CHANNEL_EMAIL, "Boldog születésnapot!",
       "Kedves {{partner.displayName}}!\n\nSzületésnapja alkalmából minden jót kívánunk!\n\n"
       "Karton Kft.\n\nHa nem kér több ilyen levelet: {{unsubscribe_url}}\n",
       ""},
      {"order_delivered", "hu", v1::CHANNEL_EMAIL, "Megérkezett rendelése: {{number}}",
       "Kedves {{partner.displayName}}!\n\nA(z) {{number}} számú rendelését kiszállítottuk. "
       "Köszönjük, hogy minket választott!\n\nKarton Kft.\n",
       ""},
      {"quotation_expiring", "hu", v1::CHANNEL_EMAIL, "Árajánlata hamarosan lejár: {{number}}",
       "Kedves {{partner.displayName}}!\n\nA(z) {{number}} számú árajánlatunk hamarosan lejár. "
       "Ha kérdése van, válaszoljon erre a levélre.\n\nKarton Kft.\n",
       ""},
      {"purchase_promotion", "hu", v1::CHANNEL_EMAIL, "Ajánlatunk a vásárlása mellé",
       "Kedves {{partner.displayName}}!\n\nA nemrég vásárolt termékeihez most kedvezményes "
       "karbantartást ajánlunk.\n\nKarton Kft.\n\nLeiratkozás: {{unsubscribe_url}}\n",
       ""},
      {"appointment_reminder", "hu", v1::CHANNEL_SMS, "",
       "Emlékeztető: holnap {{time}} órakor várjuk ({{place}}). Karton", ""},
      {"payment_reminder", "hu", v1::CHANNEL_LETTER, "Fizetési emlékeztető",
       "Tisztelt {{partner.displayName}}!\n\nNyilvántartásunk szerint a(z) {{invoice.number}} "
       "számú számla ({{invoice.amount}}) {{invoice.due}} napon lejárt. Kérjük, rendezze "
       "tartozását 8 napon belül.\n\nHa időközben fizetett, levelünket tekintse "
       "tárgytalannak.\n\nTisztelettel:\nKarton Kft. pénzügy\n",
       ""},
      // The helpdesk's customer notices (docs/helpdesk.md, "Customer
      // notices"): the ticket received, waiting on the customer, resolved.
      {"helpdesk_ticket_received", "hu", v1::CHANNEL_EMAIL,
       "Megkaptuk bejelentését: {{ticket.number}}",
       "{{#requester}}Kedves {{requester.name}}!{{/requester}}{{^requester}}Tisztelt "
       "Ügyfelünk!{{/requester}}\n\nMegkaptuk bejelentését („{{ticket.subject}}”), "
       "{{ticket.number}} számon rögzítettük. Kollégánk hamarosan jelentkezik.\n\nHa "
       "írna nekünk az ügyben, a levél tárgyában hivatkozzon erre a számra.\n\n"
       "Üdvözlettel:\nKarton Kft. ügyfélszolgálat\n",
       ""},
      {"helpdesk_ticket_received", "en", v1::CHANNEL_EMAIL,
       "We received your request {{ticket.number}}",
       "{{#requester}}Dear {{requester.name}},{{/requester}}{{^requester}}Dear "
       "customer,{{/requester}}\n\nWe received your request (\"{{ticket.subject}}\") and "
       "logged it as {{ticket.number}}. A colleague will be in touch soon.\n\nIf you write "
       "to us about it, please quote this number in the subject.\n\nKind regards,\n"
       "Karton Ltd. customer service\n",
       ""},
      {"helpdesk_ticket_waiting_on_customer", "hu", v1::CHANNEL_EMAIL,
       "Válaszára várunk: {{ticket.number}}",
       "{{#requester}}Kedves {{requester.name}}!{{/requester}}{{^requester}}Tisztelt "
       "Ügyfelünk!{{/requester}}\n\nA(z) {{ticket.number}} számú bejelentésével "
       "(„{{ticket.subject}}”) kapcsolatban az Ön válaszára várunk: kérjük, válaszoljon "
       "kollégánk legutóbbi üzenetére. Addig az ügy várakozik.\n\nÜdvözlettel:\nKarton Kft. "
       "ügyfélszolgálat\n",
       ""},
      {"helpdesk_ticket_waiting_on_customer", "en", v1::CHANNEL_EMAIL,
       "We are waiting for your reply: {{ticket.number}}",
       "{{#requester}}Dear {{requester.name}},{{/requester}}{{^requester}}Dear "
       "customer,{{/requester}}\n\nAbout your request {{ticket.number}} "
       "(\"{{ticket.subject}}\") we are waiting for your reply: please answer our colleague's "
       "last message. Until then the case waits.\n\nKind regards,\nKarton Ltd. customer "
       "service\n",
       ""},
      {"helpdesk_ticket_resolved", "hu", v1::CHANNEL_EMAIL,
       "Megoldottuk bejelentését: {{ticket.number}}",
       "{{#requester}}Kedves {{requester.name}}!{{/requester}}{{^requester}}Tisztelt "
       "Ügyfelünk!{{/requester}}\n\nA(z) {{ticket.number}} számú bejelentését "
       "(„{{ticket.subject}}”) megoldottuk. Ha a probléma nem szűnt meg, írjon nekünk, a "
       "levél tárgyában erre a számra hivatkozva, és újra foglalkozunk vele.\n\n"
       "Üdvözlettel:\nKarton Kft. ügyfélszolgálat\n",
       ""},
      {"helpdesk_ticket_resolved", "en", v1::CHANNEL_EMAIL,
       "Your request {{ticket.number}} is resolved",
       "{{#requester}}Dear {{requester.name}},{{/requester}}{{^requester}}Dear "
       "customer,{{/requester}}\n\nYour request {{ticket.number}} (\"{{ticket.subject}}\") "
       "is resolved. If the problem persists, write to us quoting this number in the "
       "subject, and we will take it up again.\n\nKind regards,\nKarton Ltd. customer "
       "service\n",
       ""},
  };
  for (const Demo& demo : demos) {
    v1::Template tmpl;
    tmpl.set_name(demo.name);
    tmpl.set_language(demo.language);
    tmpl.set_channel(demo.channel);
    tmpl.set_subject(demo.subject);
    tmpl.set_text_body(demo.text_body);
    tmpl.set_html_body(demo.html_body);
    repository::InsertTemplate(session, tmpl, "", context.Time().Now());
  }
}

}  // namespace karton::messaging
