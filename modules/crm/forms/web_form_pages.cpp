#include "forms/web_form_pages.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <optional>

#include "forms/web_form_repository.h"
#include "forms/web_form_rules.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/events.h"
#include "karton/kernel/network.h"
#include "karton/kernel/transaction.h"

namespace karton::crm {
namespace {

using kernel::HttpRequest;
using kernel::HttpResponse;

std::string Header(const HttpRequest& request, const std::string& name) {
  const auto it = request.headers.find(name);
  return it == request.headers.end() ? "" : it->second;
}

bool WantsJson(const HttpRequest& request) {
  return Header(request, "content-type").rfind("application/json", 0) == 0;
}

// {"error": {"code": ..., "message": ..., "fields": [{"field", "description"}]}}
HttpResponse JsonError(int status, const std::string& code, const std::string& message,
                       const std::vector<kernel::FieldViolation>& fields = {}) {
  std::string list;
  for (const auto& field : fields) {
    if (!list.empty()) list += ',';
    list += fmt::format("{{\"field\":{},\"description\":{}}}", kernel::JsonString(field.field),
                        kernel::JsonString(field.description));
  }
  return HttpResponse::Json(
      status, fmt::format("{{\"error\":{{\"code\":{},\"message\":{},\"fields\":[{}]}}}}\n",
                          kernel::JsonString(code), kernel::JsonString(message), list));
}

HttpResponse Html(int status, std::string body) {
  HttpResponse response{status, "text/html; charset=utf-8", std::move(body), {}};
  response.headers["cache-control"] = "no-store";
  return response;
}

// "https://crm.example.com/base" -> "https://crm.example.com"
std::string OriginOf(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto path = url.find('/', scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

}  // namespace

// A page read failing (the database away) answers 503, never a 500.
HttpResponse WebFormPages::Guard(HttpResponse (WebFormPages::*page)(const HttpRequest&),
                                 const HttpRequest& request) {
  try {
    return (this->*page)(request);
  } catch (const std::exception& error) {
    services_.log.error("web form page failed: {}", kernel::DescribeDatabaseError(error));
    HttpResponse unavailable = HttpResponse::Text(503, "the form is not available right now\n");
    unavailable.headers["retry-after"] = "5";
    return unavailable;
  }
}

HttpResponse WebFormPages::Show(const HttpRequest& request) {
  return Guard(&WebFormPages::ServeForm, request);
}
HttpResponse WebFormPages::Embed(const HttpRequest& request) {
  return Guard(&WebFormPages::ServeEmbed, request);
}
HttpResponse WebFormPages::Thanks(const HttpRequest& request) {
  return Guard(&WebFormPages::ServeThanks, request);
}
HttpResponse WebFormPages::Preflight(const HttpRequest& request) {
  return Guard(&WebFormPages::ServePreflight, request);
}

HttpResponse WebFormPages::ServeForm(const HttpRequest& request) {
  auto lease = services_.database.Acquire();
  const auto form =
      web_form_repository::FindBySlug(lease.Session(), request.path_params.at("slug"));
  if (!form || form->disabled())
    return Html(404, "<!doctype html><title>404</title><p>Not found</p>\n");
  return Html(200, FormPage(*form, services_.public_url() + "/forms/" + form->slug(), {}, {}));
}

HttpResponse WebFormPages::ServeEmbed(const HttpRequest& request) {
  auto lease = services_.database.Acquire();
  const auto form =
      web_form_repository::FindBySlug(lease.Session(), request.path_params.at("slug"));
  if (!form || form->disabled()) return HttpResponse::Text(404, "no such form\n");
  HttpResponse response = HttpResponse::Text(
      200, EmbedSnippet(*form, services_.public_url() + "/forms/" + form->slug()));
  response.content_type = "text/html; charset=utf-8";
  return response;
}

HttpResponse WebFormPages::ServeThanks(const HttpRequest& request) {
  auto lease = services_.database.Acquire();
  const auto form =
      web_form_repository::FindBySlug(lease.Session(), request.path_params.at("slug"));
  if (!form || form->disabled())
    return Html(404, "<!doctype html><title>404</title><p>Not found</p>\n");
  return Html(200, ThanksPage(*form));
}

HttpResponse WebFormPages::ServePreflight(const HttpRequest& request) {
  auto lease = services_.database.Acquire();
  const auto form =
      web_form_repository::FindBySlug(lease.Session(), request.path_params.at("slug"));
  const std::string origin = Header(request, "origin");
  if (!form || form->disabled() ||
      std::find(form->allowed_origins().begin(), form->allowed_origins().end(), origin) ==
          form->allowed_origins().end()) {
    return JsonError(403, "permission_denied", "this origin may not post to the form");
  }
  HttpResponse response{204, "text/plain; charset=utf-8", "", {}};
  response.headers["access-control-allow-origin"] = origin;
  response.headers["access-control-allow-methods"] = "POST";
  response.headers["access-control-allow-headers"] = "content-type";
  response.headers["access-control-max-age"] = "86400";
  response.headers["vary"] = "origin";
  return response;
}

HttpResponse WebFormPages::Submit(const HttpRequest& request) {
  const bool json = WantsJson(request);
  const std::string type = Header(request, "content-type");
  if (!json && type.rfind("application/x-www-form-urlencoded", 0) != 0) {
    return JsonError(415, "unsupported_media_type",
                     "send application/x-www-form-urlencoded or application/json");
  }
  if (request.body.size() > limits_.max_body_bytes) {
    return JsonError(413, "payload_too_large",
                     fmt::format("the body is larger than {} bytes", limits_.max_body_bytes));
  }
  try {
    std::optional<v1::WebForm> form;
    {
      auto lease = services_.database.Acquire();
      form = web_form_repository::FindBySlug(lease.Session(), request.path_params.at("slug"));
    }
    if (!form || form->disabled()) return JsonError(404, "not_found", "no such form");
    // Another site may post only when the form lists it (CORS).
    const std::string origin = Header(request, "origin");
    const bool own = origin.empty() || origin == OriginOf(services_.public_url());
    const bool listed = std::find(form->allowed_origins().begin(), form->allowed_origins().end(),
                                  origin) != form->allowed_origins().end();
    if (!own && !listed) {
      return JsonError(403, "permission_denied",
                       fmt::format("{} may not post to this form", origin));
    }
    const auto with_cors = [&](HttpResponse response) {
      if (listed) {
        response.headers["access-control-allow-origin"] = origin;
        response.headers["vary"] = "origin";
      }
      return response;
    };
    if (const auto verdict = posts_.Take(kernel::AddressGroup(request.client_address));
        !verdict.admitted) {
      HttpResponse limited = JsonError(429, "resource_exhausted",
                                       "too many submissions from this address; try again later");
      limited.headers["retry-after"] = std::to_string(verdict.retry_after.count());
      return with_cors(std::move(limited));
    }
    std::string problem;
    const auto values = SubmissionFields(request.body, json, problem);
    if (!values) return with_cors(JsonError(400, "invalid_argument", problem));
    std::vector<kernel::FieldViolation> violations;
    const v1::WebFormCategory* category = nullptr;
    v1::Lead lead = LeadFromSubmission(*form, *values, violations, category);
    const std::string action = services_.public_url() + "/forms/" + form->slug();
    if (!violations.empty()) {
      if (json) {
        return with_cors(JsonError(400, "invalid_argument",
                                   violations.front().field + ": " + violations.front().description,
                                   violations));
      }
      return with_cors(Html(400, FormPage(*form, action, *values, violations)));
    }
    if (form->target() == v1::WEB_FORM_TARGET_TICKET) {
      // For the helpdesk: the post is an event, published in the one
      // transaction of this request, which the helpdesk follows (a ticket
      // per event). crm keeps no lead of it.
      v1::WebFormSubmission submission;
      submission.set_web_form_id(form->id());
      submission.set_web_form_slug(form->slug());
      submission.set_web_form_title(form->title());
      submission.set_ticket_type_id(form->ticket_type_id());
      if (category != nullptr) {
        submission.set_team_id(category->team_id());
        submission.set_user_id(category->user_id());
      }
      *submission.mutable_submitted() = std::move(lead);
      *submission.mutable_submit_time() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
          kernel::ToEpochMicros(services_.clock.Now()));
      {
        auto lease = services_.database.Acquire();
        kernel::Transaction transaction(lease.Session());
        services_.events.Publish(lease.Session(), "crm.web_form.submitted", form->id(), submission,
                                 kernel::Caller::Internal());
        transaction.Commit();
      }
      if (json) {
        return with_cors(HttpResponse::Json(201, "{\"status\":\"received\"}\n"));
      }
      HttpResponse see_other{303, "text/plain; charset=utf-8", "", {}};
      see_other.headers["location"] =
          form->redirect_url().empty() ? action + "/thanks" : form->redirect_url();
      return with_cors(std::move(see_other));
    }
    v1::Lead stored;
    {
      intake_.Prepare();
      auto lease = services_.database.Acquire();
      // One write transaction on the request path; the lead's audit entry
      // and events go out with its COMMIT (the notices follow in jobs).
      kernel::Transaction transaction(lease.Session());
      stored =
          intake_.AcceptFormPost(lease.Session(), std::move(lead), category, limits_.repost_window);
      transaction.Commit();
    }
    if (json) {
      return with_cors(HttpResponse::Json(
          201, fmt::format("{{\"lead_id\":\"{}\",\"status\":\"received\"}}\n", stored.id())));
    }
    HttpResponse see_other{303, "text/plain; charset=utf-8", "", {}};
    see_other.headers["location"] =
        form->redirect_url().empty() ? action + "/thanks" : form->redirect_url();
    return with_cors(std::move(see_other));
  } catch (const std::exception& error) {
    // The database is away or overloaded: the visitor may try again, and
    // nothing was written (the transaction rolled back).
    services_.log.error("web form submission failed: {}", kernel::DescribeDatabaseError(error));
    HttpResponse unavailable =
        JsonError(503, "unavailable", "the form cannot take submissions right now; try again");
    unavailable.headers["retry-after"] = "5";
    return unavailable;
  }
}

}  // namespace karton::crm
