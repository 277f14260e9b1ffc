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
#include <map>
#include <mutex>
#include <string>

#include "karton/kernel/http.h"
#include "karton/kernel/module.h"
#include "lead_intake.h"

namespace karton::crm {

struct WebFormLimits {
  // Submissions per minute from one client address (a minute's worth may
  // come at once); 0: no limit.
  double posts_per_minute = 10;
  std::size_t max_body_bytes = 64 * 1024;
};

class WebFormPages {
 public:
  WebFormPages(kernel::ModuleContext& context, LeadIntake& intake, WebFormLimits limits)
      : context_(context), intake_(intake), limits_(limits) {}

  kernel::HttpResponse Show(const kernel::HttpRequest& request);
  kernel::HttpResponse Embed(const kernel::HttpRequest& request);
  kernel::HttpResponse Thanks(const kernel::HttpRequest& request);
  kernel::HttpResponse Submit(const kernel::HttpRequest& request);
  kernel::HttpResponse Preflight(const kernel::HttpRequest& request);

 private:
  // False when `address` has used up its submissions for now.
  bool Admit(const std::string& address);
  kernel::HttpResponse Guard(kernel::HttpResponse (WebFormPages::*page)(const kernel::HttpRequest&),
                             const kernel::HttpRequest& request);
  kernel::HttpResponse ServeForm(const kernel::HttpRequest& request);
  kernel::HttpResponse ServeEmbed(const kernel::HttpRequest& request);
  kernel::HttpResponse ServeThanks(const kernel::HttpRequest& request);
  kernel::HttpResponse ServePreflight(const kernel::HttpRequest& request);

  kernel::ModuleContext& context_;
  LeadIntake& intake_;
  WebFormLimits limits_;
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point updated;
  };
  std::mutex buckets_mutex_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace karton::crm
