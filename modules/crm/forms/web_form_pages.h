// The public side of web forms (C2), on kartond's HTTP server:
//
//   GET     /forms/<slug>         the form as a standalone, accessible page
//   GET     /forms/<slug>/embed   the <form> snippet a site owner pastes
//   GET     /forms/<slug>/thanks  where a browser lands after sending
//   POST    /forms/<slug>         a submission: urlencoded (browsers) or JSON
//   OPTIONS /forms/<slug>         CORS preflight for JSON posts from other sites
//
// A submission becomes a routed lead in one transaction (lead_intake.h).
// Abuse is answered before the database is touched: a body size limit,
// per-field length limits, a honeypot field, a per-address rate limit and
// the allowed origins. Bad input is a 400 naming the fields (JSON, or the
// form again with the errors marked), and creates nothing.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "karton/kernel/access.h"
#include "karton/kernel/http.h"
#include "karton/kernel/rate_limit.h"
#include "karton/kernel/service_parts.h"
#include "leads/lead_intake.h"

namespace karton::crm {

struct WebFormLimits {
  // Submissions per minute from one visitor (a minute's worth may come at
  // once); 0: no limit. A visitor is the client's IPv4 address or IPv6 /64,
  // read through trusted proxies (HttpRequest::client_address).
  double posts_per_minute = 10;
  // Visitors whose recent posts are remembered; beyond it the one seen
  // longest ago is forgotten, so a flood from many addresses stays bounded.
  std::size_t max_tracked_visitors = 100000;
  std::size_t max_body_bytes = 64 * 1024;
  // A post by the same person (email, else phone) to the same form within
  // this long of their earlier lead adds its message to that lead; 0: every
  // post makes a lead (crm.form_repost_window_hours).
  std::chrono::seconds repost_window = std::chrono::hours(24);
};

class WebFormPages {
 public:
  WebFormPages(kernel::ServiceParts services, LeadIntake& intake, WebFormLimits limits)
      : services_(std::move(services)),
        intake_(intake),
        limits_(limits),
        posts_({.per_minute = limits.posts_per_minute, .max_keys = limits.max_tracked_visitors}) {}

  kernel::HttpResponse Show(const kernel::HttpRequest& request);
  kernel::HttpResponse Embed(const kernel::HttpRequest& request);
  kernel::HttpResponse Thanks(const kernel::HttpRequest& request);
  kernel::HttpResponse Submit(const kernel::HttpRequest& request);
  kernel::HttpResponse Preflight(const kernel::HttpRequest& request);

 private:
  kernel::HttpResponse Guard(kernel::HttpResponse (WebFormPages::*page)(const kernel::HttpRequest&),
                             const kernel::HttpRequest& request);
  kernel::HttpResponse ServeForm(const kernel::HttpRequest& request);
  kernel::HttpResponse ServeEmbed(const kernel::HttpRequest& request);
  kernel::HttpResponse ServeThanks(const kernel::HttpRequest& request);
  kernel::HttpResponse ServePreflight(const kernel::HttpRequest& request);

  const kernel::ServiceParts services_;
  LeadIntake& intake_;
  WebFormLimits limits_;
  kernel::RateLimiter posts_;  // per visitor
};

}  // namespace karton::crm
