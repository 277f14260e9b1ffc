// What the CRM does when events arrive (subscriptions in crm_module.cpp).
// Handlers that call other modules (the timeline, messages) run with no
// connection held (SubscribeCalling) and are safe to repeat: messages carry
// idempotency keys. The others run inside the event's delivery transaction.
#pragma once

#include <span>

#include "karton/kernel/events.h"
#include "karton/kernel/service_parts.h"

namespace karton::crm {

// crm.lead.created: a web form lead's confirmation to the submitter
// (the form's confirmation template, through messaging), the
// confirmations of a run of events in one SendMessages, each form read
// once a run. An address that form leads already named
// `max_per_recipient_per_day` times in the 24 hours before this lead gets
// none: forms must not become a way to mail someone else over and over.
// 0: no cap.
void SendConfirmations(const kernel::ServiceParts& services, std::span<const kernel::Event> events,
                       int max_per_recipient_per_day);

// crm.lead.assigned: tells each assignee by email (messaging), the
// notices of a run of events in one SendMessages. A user looked up once a
// run; one without an email address, disabled or gone gets none (a failed
// look-up throws: the run comes again).
void NotifyAssignees(const kernel::ServiceParts& services, std::span<const kernel::Event> events);

// crm.activity.completed: each activity about a partner on the partner's
// timeline (A5), once (the partners module keeps one entry per crm
// reference); a run of them in one BatchLogInteractions
// (libs/partner_timeline).
void LogActivitiesOnTimeline(const kernel::ServiceParts& services,
                             std::span<const kernel::Event> events);

// crm.activity.due: the reminder email to the assignee, the reminders of
// a run of events in one SendMessages, each assignee looked up once.
void SendActivityReminders(const kernel::ServiceParts& services,
                           std::span<const kernel::Event> events);

// partners.partner.merged: leads and opportunities follow the kept partner.
// orders.quotation.accepted: a quotation linked to an open deal wins it
// (MarkWon as kartond, so the deal's event and audit entry are MarkWon's).
// A deal closed already, or gone, is left alone; anything else fails the
// delivery, which the kernel retries.
void WinDealOfAcceptedQuotation(const kernel::ServiceParts& services, const kernel::Event& event);

void FollowMerge(const kernel::Event& event, soci::session& session);

// partners.partner.erased: the person's details on matched leads go, and
// the payloads of those leads' events.
void EraseLeadsOfPartner(kernel::DomainEvents& events, const kernel::Event& event,
                         soci::session& session);

// partners.contact.erased (also sent for each contact of an erased
// partner): the contact's invitations go, with the invitee lists of the
// activities' audit entries and their events' payloads. ErasePersonalData
// did so already through crm's section; this catches an invitation made
// in between.
void EraseInvitationsOfContact(const kernel::ServiceParts& services, const kernel::Event& event,
                               soci::session& session);

}  // namespace karton::crm
