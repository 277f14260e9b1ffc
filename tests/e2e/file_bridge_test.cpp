// Files for browsers (kernel/src/file_bridge.h): the streaming file methods
// as multipart uploads and plain downloads over HTTP, with the same
// authentication, roles and record sharing as gRPC. Against the real
// partners module: documents, and a CSV import (a method that streams both
// ways).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "partners_fixture.h"

namespace karton::testing {
namespace {

namespace pv1 = partners::v1;
namespace kv1 = kernel::v1;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kBoundary = "----karton-test-boundary-7MA4YWxk";
constexpr const char* kUpload = "/files/karton.partners.v1.PartnerService/UploadDocument";
constexpr const char* kDownload = "/files/karton.partners.v1.PartnerService/DownloadDocument";
constexpr const char* kPassword = "jelszó-Tavasz-2026";

struct FormField {
  FormField(std::string field_name, std::string field_content, std::string file = "",
            std::string type = "")
      : name(std::move(field_name)),
        content(std::move(field_content)),
        file_name(std::move(file)),
        content_type(std::move(type)) {}
  std::string name;
  std::string content;
  std::string file_name;  // a file part when set
  std::string content_type;
};

std::string MultipartBody(const std::vector<FormField>& fields) {
  std::string body;
  for (const auto& field : fields) {
    body += std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"" +
            field.name + "\"";
    if (!field.file_name.empty()) body += "; filename=\"" + field.file_name + "\"";
    body += "\r\n";
    if (!field.content_type.empty()) body += "Content-Type: " + field.content_type + "\r\n";
    body += "\r\n" + field.content + "\r\n";
  }
  return body + "--" + kBoundary + "--\r\n";
}

// The field a Connect error's first violation names.
std::string ViolatedField(const HttpAnswer& answer) {
  const auto parsed = boost::json::parse(answer.body).as_object();
  const auto& details = parsed.at("details").as_array();
  if (details.empty()) return "(no details) " + answer.body;
  return std::string(details.at(0)
                         .as_object()
                         .at("debug")
                         .as_object()
                         .at("fieldViolations")
                         .as_array()
                         .at(0)
                         .as_object()
                         .at("field")
                         .as_string());
}

class FileBridgeTest : public PartnersTest {
 protected:
  HttpAnswer Post(const std::string& target, const std::vector<FormField>& fields,
                  Headers headers) {
    headers.emplace_back("Content-Type", std::string("multipart/form-data; boundary=") + kBoundary);
    return HttpExchange(kartond_->HttpAddress(), "POST", target, headers, MultipartBody(fields));
  }
  HttpAnswer Get(const std::string& target, const Headers& headers) {
    return HttpExchange(kartond_->HttpAddress(), "GET", target, headers, "");
  }
  Headers Bearer(const std::string& token) const { return {{"Authorization", "Bearer " + token}}; }
  std::vector<FormField> DocumentForm(std::int64_t partner_id, const std::string& content,
                                      const std::string& file_name = "szerződés 2026.pdf",
                                      const std::string& content_type = "application/pdf") {
    return {{"request",
             fmt::format(R"({{"resourceType":"partners.partner","resourceId":"{}"}})", partner_id),
             "", "application/json"},
            {"file", content, file_name, content_type}};
  }

  struct Session {
    std::string cookie;
    std::string csrf;
  };
  Session SignIn(const std::string& email) {
    boost::json::object body{{"email", email}, {"password", kPassword}};
    const HttpAnswer answer =
        HttpExchange(kartond_->HttpAddress(), "POST", "/auth/sign-in",
                     {{"Content-Type", "application/json"}}, boost::json::serialize(body));
    EXPECT_EQ(answer.status, 200) << answer.body;
    const std::string& set_cookie = answer.headers.at("set-cookie");
    return {set_cookie.substr(0, set_cookie.find(';')),
            std::string(boost::json::parse(answer.body).as_object().at("csrfToken").as_string())};
  }
  std::int64_t PersonWithPassword(const std::string& email, kv1::Role role) {
    kv1::CreateUserRequest create;
    create.mutable_user()->set_name(email);
    create.mutable_user()->set_email(email);
    create.mutable_user()->add_roles(role);
    create.set_password(kPassword);
    kv1::User user;
    EXPECT_TRUE(
        kv1::IdentityService::NewStub(channel_)->CreateUser(As(admin_).get(), create, &user).ok());
    return user.id();
  }
};

TEST_F(FileBridgeTest, ADocumentGoesUpAsAFormAndComesBackWithItsNameTypeAndBytes) {
  const Partner partner = Create(Organization("Kovács és Társa Kft."));
  // Bytes a naive parser would trip on: all but the boundary itself (a
  // form's sender picks one its content lacks), CRLFs, NULs, and more than
  // one piece of the stream.
  std::string content = RandomBytes(200 * 1024);
  content.insert(1000, std::string("\r\n--") + std::string(kBoundary).substr(1) + "\r\n--\r\n");
  content.insert(5000, std::string("\0\0\r\n\r\n", 6));

  const HttpAnswer uploaded = Post(kUpload, DocumentForm(partner.id(), content), Bearer(admin_));
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  const auto document = boost::json::parse(uploaded.body).as_object();
  EXPECT_EQ(document.at("name").as_string(), "szerződés 2026.pdf");
  EXPECT_EQ(document.at("contentType").as_string(), "application/pdf");
  EXPECT_EQ(document.at("sha256").as_string(), Sha256Hex(content));
  EXPECT_EQ(document.at("sizeBytes").as_string(), std::to_string(content.size()));
  const std::string id(document.at("id").as_string());

  // It is the module's document, as gRPC sees it.
  pv1::Document read;
  std::string read_content;
  ASSERT_TRUE(Download(std::stoll(id), &read, &read_content).ok());
  EXPECT_EQ(read_content, content);

  const HttpAnswer downloaded = Get(fmt::format("{}?id={}", kDownload, id), Bearer(admin_));
  ASSERT_EQ(downloaded.status, 200) << downloaded.body;
  EXPECT_EQ(downloaded.body, content);
  EXPECT_EQ(downloaded.headers.at("content-type"), "application/pdf");
  EXPECT_EQ(downloaded.headers.at("content-disposition"),
            "attachment; filename=\"szerz__d__s 2026.pdf\"; "
            "filename*=UTF-8''szerz%C5%91d%C3%A9s%202026.pdf");
  EXPECT_EQ(downloaded.headers.at("x-content-type-options"), "nosniff");
  EXPECT_EQ(downloaded.headers.at("cache-control"), "private, no-store");

  // A PDF may open in the browser; an HTML file never does, and whatever
  // opens is sandboxed but the PDF viewer.
  const HttpAnswer shown = Get(fmt::format("{}?id={}&inline=true", kDownload, id), Bearer(admin_));
  EXPECT_EQ(shown.headers.at("content-disposition").rfind("inline;", 0), 0u);
  EXPECT_EQ(shown.headers.count("content-security-policy"), 0u);
  const HttpAnswer page = Post(
      kUpload, DocumentForm(partner.id(), "<script>alert(1)</script>", "oldal.html", "text/html"),
      Bearer(admin_));
  ASSERT_EQ(page.status, 200) << page.body;
  const std::string page_id(boost::json::parse(page.body).as_object().at("id").as_string());
  const HttpAnswer not_shown =
      Get(fmt::format("{}?id={}&inline=true&filename=x.html", kDownload, page_id), Bearer(admin_));
  EXPECT_EQ(not_shown.headers.at("content-disposition").rfind("attachment;", 0), 0u);
  EXPECT_EQ(not_shown.headers.at("content-security-policy"), "sandbox; default-src 'none'");

  // The file's name and type come from the form when the JSON leaves them
  // out, and an explicit name wins.
  const HttpAnswer named =
      Post(kUpload,
           {{"request",
             fmt::format(
                 R"({{"resourceType":"partners.partner","resourceId":"{}","name":"ajánlat.txt"}})",
                 partner.id())},
            {"file", "szöveg", "valami.bin", "text/plain"}},
           Bearer(admin_));
  ASSERT_EQ(named.status, 200) << named.body;
  const auto named_document = boost::json::parse(named.body).as_object();
  EXPECT_EQ(named_document.at("name").as_string(), "ajánlat.txt");
  EXPECT_EQ(named_document.at("contentType").as_string(), "text/plain");
}

TEST_F(FileBridgeTest, ABrowserSessionUploadsWithItsCsrfTokenAndRecordSharingHolds) {
  const Partner partner = Create(Organization("Nagy Bt."));
  PersonWithPassword("reka@example.com", kv1::ROLE_SALES);
  const Session seller = SignIn("reka@example.com");

  // The cookie alone may have come from another site's page: refused.
  const HttpAnswer forged =
      Post(kUpload, DocumentForm(partner.id(), "tartalom"), {{"Cookie", seller.cookie}});
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_NE(forged.body.find("x-csrf-token"), std::string::npos) << forged.body;
  EXPECT_EQ(Query("SELECT count(*) FROM partners.document"), "0");

  const HttpAnswer uploaded = Post(kUpload, DocumentForm(partner.id(), "tartalom"),
                                   {{"Cookie", seller.cookie}, {"X-CSRF-Token", seller.csrf}});
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  const std::string id(boost::json::parse(uploaded.body).as_object().at("id").as_string());
  // A download is a link the browser follows: the cookie suffices.
  const HttpAnswer downloaded =
      Get(fmt::format("{}?id={}", kDownload, id), {{"Cookie", seller.cookie}});
  ASSERT_EQ(downloaded.status, 200) << downloaded.body;
  EXPECT_EQ(downloaded.body, "tartalom");

  // An external partner sees a document only once its record is shared.
  const std::int64_t outsider_id =
      PersonWithPassword("alvallalkozo@example.com", kv1::ROLE_EXTERNAL_PARTNER);
  const Session outsider = SignIn("alvallalkozo@example.com");
  const HttpAnswer unshared =
      Get(fmt::format("{}?id={}", kDownload, id), {{"Cookie", outsider.cookie}});
  EXPECT_TRUE(unshared.status == 404 || unshared.status == 403) << unshared.status;
  EXPECT_EQ(unshared.body.find("tartalom"), std::string::npos);
  const HttpAnswer unshared_upload =
      Post(kUpload, DocumentForm(partner.id(), "más"),
           {{"Cookie", outsider.cookie}, {"X-CSRF-Token", outsider.csrf}});
  EXPECT_TRUE(unshared_upload.status == 404 || unshared_upload.status == 403)
      << unshared_upload.body;
  pv1::SharePartnerRequest share;
  share.set_id(partner.id());
  share.set_user_id(outsider_id);
  Partner shared;
  ASSERT_TRUE(partners_->SharePartner(As(admin_).get(), share, &shared).ok());
  const HttpAnswer now_shared =
      Get(fmt::format("{}?id={}", kDownload, id), {{"Cookie", outsider.cookie}});
  EXPECT_EQ(now_shared.status, 200) << now_shared.body;
  EXPECT_EQ(now_shared.body, "tartalom");

  // No credentials at all.
  EXPECT_EQ(Get(fmt::format("{}?id={}", kDownload, id), {}).status, 401);
}

TEST_F(FileBridgeTest, ACsvImportRunsFromAFormAndAnswersItsOutcome) {
  const std::string csv =
      "Név;Email\n"
      "Kiss Anna;anna@kiss.example\n"
      "Tóth Éva;eva@toth.example\n";
  const std::string settings = R"({"delimiter":";","defaultKind":"PARTNER_KIND_PERSON",)"
                               R"("columnMapping":{"Név":"display_name","Email":"email"}})";
  const HttpAnswer answer =
      Post("/files/karton.partners.v1.PartnerService/ImportPartners",
           {{"request", settings}, {"file", csv, "ügyfelek.csv", "text/csv"}}, Bearer(admin_));
  ASSERT_EQ(answer.status, 200) << answer.body;
  const auto outcome = boost::json::parse(answer.body).as_object().at("import").as_object();
  EXPECT_EQ(outcome.at("state").as_string(), "IMPORT_STATE_DONE") << answer.body;
  EXPECT_EQ(Search("Tóth Éva"), std::vector<std::string>{"Tóth Éva"});

  // The export streams a CSV: a download with its own name.
  const HttpAnswer exported =
      Get("/files/karton.partners.v1.PartnerService/ExportPartners?filename=partnerek.csv",
          Bearer(admin_));
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_EQ(exported.headers.at("content-type"), "text/csv; charset=utf-8");
  EXPECT_NE(exported.body.find("Kiss Anna"), std::string::npos) << exported.body;
  EXPECT_NE(exported.headers.at("content-disposition").find("filename=\"partnerek.csv\""),
            std::string::npos);
}

TEST_F(FileBridgeTest, BadInputIsA400NamingTheFieldAndWritesNothing) {
  const Partner partner = Create(Organization("Rossz Kft."));
  const auto field_of = [&](const HttpAnswer& answer) {
    EXPECT_EQ(answer.status, 400) << answer.body;
    return ViolatedField(answer);
  };
  EXPECT_EQ(field_of(Post(kUpload, {{"request", "{}"}}, Bearer(admin_))), "file");
  EXPECT_EQ(field_of(Post(kUpload, {{"request", "{nem json"}, {"file", "x", "a.txt", ""}},
                          Bearer(admin_))),
            "request");
  EXPECT_EQ(field_of(Post(kUpload,
                          {{"request", R"({"resourceType":"partners.partner","colour":"kék"})"},
                           {"file", "x", "a.txt", ""}},
                          Bearer(admin_))),
            "request");
  EXPECT_EQ(
      field_of(Post(kUpload, {{"file", "x", "a.txt", ""}, {"megjegyzés", "x"}}, Bearer(admin_))),
      "megjegyzés");
  EXPECT_EQ(field_of(Post(kUpload, {{"file", "x", "a.txt", ""}, {"file", "y", "b.txt", ""}},
                          Bearer(admin_))),
            "file");
  // The module's own checks come back through the bridge as they are.
  const HttpAnswer no_record = Post(
      kUpload, {{"request", R"({"resourceType":"partners.partner"})"}, {"file", "x", "a.txt", ""}},
      Bearer(admin_));
  EXPECT_EQ(no_record.status, 400) << no_record.body;
  EXPECT_NE(no_record.body.find("resource_id"), std::string::npos) << no_record.body;
  // Not a form at all, or a broken one.
  const HttpAnswer not_form = HttpExchange(
      kartond_->HttpAddress(), "POST", kUpload,
      {{"Authorization", "Bearer " + admin_}, {"Content-Type", "application/json"}}, "{}");
  EXPECT_EQ(field_of(not_form), "body");
  const HttpAnswer cut =
      HttpExchange(kartond_->HttpAddress(), "POST", kUpload,
                   {{"Authorization", "Bearer " + admin_},
                    {"Content-Type", std::string("multipart/form-data; boundary=") + kBoundary}},
                   MultipartBody(DocumentForm(partner.id(), "abc")).substr(0, 150));
  EXPECT_EQ(field_of(cut), "body");
  EXPECT_EQ(Query("SELECT count(*) FROM partners.document"), "0");

  // Downloads: parameters that are no field, or no value of theirs.
  EXPECT_EQ(field_of(Get(fmt::format("{}?id=abc", kDownload), Bearer(admin_))), "id");
  EXPECT_EQ(field_of(Get(fmt::format("{}?ids=1", kDownload), Bearer(admin_))), "ids");
  EXPECT_EQ(Get(fmt::format("{}?id=424242", kDownload), Bearer(admin_)).status, 404);

  // Methods that carry no file are not served here.
  EXPECT_EQ(Post("/files/karton.partners.v1.PartnerService/CreatePartner",
                 {{"file", "x", "a.txt", ""}}, Bearer(admin_))
                .status,
            404);
  EXPECT_EQ(Get("/files/karton.partners.v1.PartnerService/GetPartner?id=1", Bearer(admin_)).status,
            404);
  EXPECT_EQ(Get("/files/karton.nope.v1.Nothing/Download", Bearer(admin_)).status, 404);
}

}  // namespace
}  // namespace karton::testing
