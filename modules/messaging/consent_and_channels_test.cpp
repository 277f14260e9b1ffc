// Unit tests of the messaging pieces that need no server: unsubscribe
// tokens, the rate limiter, suppression keys, SMS addresses and requests,
// letter address blocks and dates, CSV records.
#include <gtest/gtest.h>
#include <sodium.h>

#include <boost/json.hpp>
#include <chrono>

#include "addresses.h"
#include "consent/unsubscribe_token.h"
#include "delivery/rate_limiter.h"
#include "delivery/sms_delivery.h"
#include "letters/letters.h"
#include "message_repository.h"
#include "recipient.h"

namespace karton::messaging {
namespace {

TEST(UnsubscribeTokens, ASignedTokenVerifiesAndAnAlteredOneDoesNot) {
  ASSERT_GE(sodium_init(), 0);
  const UnsubscribeTokens tokens(NewSigningKey());
  const std::string token = tokens.Sign(4711);
  EXPECT_EQ(tokens.Verify(token), 4711);
  EXPECT_EQ(token.rfind("4711-", 0), 0u);
  // Another id with the same MAC, a changed MAC, truncation, junk: refused.
  EXPECT_FALSE(tokens.Verify("4712" + token.substr(4)));
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens.Verify(flipped));
  EXPECT_FALSE(tokens.Verify(token.substr(0, token.size() - 1)));
  EXPECT_FALSE(tokens.Verify(""));
  EXPECT_FALSE(tokens.Verify("-abc"));
  EXPECT_FALSE(tokens.Verify("0-" + token.substr(5)));
  EXPECT_FALSE(tokens.Verify("99999999999999999999999-x"));
  // Another key does not accept it.
  EXPECT_FALSE(UnsubscribeTokens(NewSigningKey()).Verify(token));
}

TEST(MarketingConsent, OnlyTheLatestGrantForTheMessagesChannelLetsMarketingGo) {
  ResolvedRecipient person;
  person.partner_id = 7;
  EXPECT_EQ(MissingMarketingConsent(person, v1::CHANNEL_EMAIL), "no marketing consent for email");
  auto* sms = person.marketing_consents.Add();
  sms->set_channel(partners::v1::MARKETING_CHANNEL_SMS);
  sms->set_granted(true);
  EXPECT_EQ(MissingMarketingConsent(person, v1::CHANNEL_SMS), "");
  EXPECT_EQ(MissingMarketingConsent(person, v1::CHANNEL_EMAIL), "no marketing consent for email");
  EXPECT_EQ(MissingMarketingConsent(person, v1::CHANNEL_LETTER), "no marketing consent for letter");
  auto* email = person.marketing_consents.Add();
  email->set_channel(partners::v1::MARKETING_CHANNEL_EMAIL);
  email->set_granted(false);
  EXPECT_EQ(MissingMarketingConsent(person, v1::CHANNEL_EMAIL),
            "no marketing consent for email: withdrawn");
  email->set_granted(true);
  EXPECT_EQ(MissingMarketingConsent(person, v1::CHANNEL_EMAIL), "");
  // Without a partner or contact there is nobody to hold a consent.
  const ResolvedRecipient bare;
  EXPECT_NE(MissingMarketingConsent(bare, v1::CHANNEL_EMAIL).find("no partner or contact"),
            std::string::npos);
}

TEST(RateLimiter, AllowsOneSecondsBurstThenSpacesSendsEvenly) {
  RateLimiter limiter(10);  // 10 per second
  const auto start = RateLimiter::Clock::time_point() + std::chrono::hours(1);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(limiter.Reserve(start), start) << i;
  EXPECT_EQ(limiter.Reserve(start), start + std::chrono::milliseconds(100));
  EXPECT_EQ(limiter.Reserve(start), start + std::chrono::milliseconds(200));
  // After a quiet spell the burst is available again, but not more.
  const auto later = start + std::chrono::seconds(10);
  int immediate = 0;
  while (limiter.Reserve(later) == later) ++immediate;
  EXPECT_EQ(immediate, 10);
}

TEST(RateLimiter, ZeroMeansNoLimit) {
  RateLimiter limiter(0);
  EXPECT_FALSE(limiter.Limited());
  const auto now = RateLimiter::Clock::now();
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(limiter.Reserve(now), now);
}

TEST(Addresses, SuppressionKeysAreNormalisedPerChannel) {
  v1::Message email;
  email.set_channel(v1::CHANNEL_EMAIL);
  email.set_address("Anna.Kovacs@Example.COM");
  EXPECT_EQ(SuppressionKeysOf(email), std::vector<std::string>{"anna.kovacs@example.com"});
  v1::Message letter;
  letter.set_channel(v1::CHANNEL_LETTER);
  letter.mutable_recipient()->set_partner_id(12);
  letter.mutable_recipient()->set_contact_id(34);
  EXPECT_EQ(SuppressionKeysOf(letter), (std::vector<std::string>{"partners/12", "contacts/34"}));

  std::string problem;
  EXPECT_EQ(NormalizeSuppressionAddress(v1::CHANNEL_EMAIL, "Info@Kovacs.HU", problem),
            "info@kovacs.hu");
  EXPECT_EQ(NormalizeSuppressionAddress(v1::CHANNEL_SMS, "+36 (30) 123-4567", problem),
            "+36301234567");
  EXPECT_FALSE(NormalizeSuppressionAddress(v1::CHANNEL_SMS, "06301234567", problem));
  EXPECT_NE(problem.find("country code"), std::string::npos);
  EXPECT_EQ(NormalizeSuppressionAddress(v1::CHANNEL_LETTER, "partners/7", problem), "partners/7");
  EXPECT_FALSE(NormalizeSuppressionAddress(v1::CHANNEL_LETTER, "Szeged, Fő utca 1.", problem));
  EXPECT_FALSE(NormalizeSuppressionAddress(v1::CHANNEL_EMAIL, "no at sign", problem));
  EXPECT_FALSE(NormalizeSuppressionAddress(v1::CHANNEL_UNSPECIFIED, "a@b.hu", problem));
}

TEST(SuppressionList, AnOptOutStopsMarketingOnlyAndAHardBounceStopsAnything) {
  v1::Message marketing;
  marketing.set_channel(v1::CHANNEL_EMAIL);
  marketing.set_category(v1::CATEGORY_MARKETING);
  marketing.set_address("Anna@Example.com");
  v1::Message invoice = marketing;
  invoice.set_category(v1::CATEGORY_TRANSACTIONAL);
  using repository::CheckSuppressionList;
  using Verdict = repository::SuppressionVerdict;

  EXPECT_EQ(CheckSuppressionList(marketing, {}), Verdict::kGoes);
  EXPECT_EQ(CheckSuppressionList(invoice, {}), Verdict::kGoes);
  // Listed by its key (lower case), on its channel.
  const repository::ListedSuppressions opted_out = {
      {{"email", "anna@example.com"}, "unsubscribe_link"}};
  EXPECT_EQ(CheckSuppressionList(marketing, opted_out), Verdict::kOptedOut);
  EXPECT_EQ(CheckSuppressionList(invoice, opted_out), Verdict::kGoes);
  const repository::ListedSuppressions bounced = {{{"email", "anna@example.com"}, "bounce"}};
  EXPECT_EQ(CheckSuppressionList(marketing, bounced), Verdict::kOptedOut);
  EXPECT_EQ(CheckSuppressionList(invoice, bounced), Verdict::kBouncedHard);
  // Another channel's entry for the same text is not this message's.
  EXPECT_EQ(CheckSuppressionList(invoice, {{{"sms", "anna@example.com"}, "bounce"}}),
            Verdict::kGoes);
  // A letter stops when its partner or its contact is listed.
  v1::Message letter;
  letter.set_channel(v1::CHANNEL_LETTER);
  letter.set_category(v1::CATEGORY_MARKETING);
  letter.mutable_recipient()->set_partner_id(12);
  letter.mutable_recipient()->set_contact_id(34);
  EXPECT_EQ(CheckSuppressionList(letter, {{{"letter", "contacts/34"}, "manual"}}),
            Verdict::kOptedOut);
}

TEST(Sms, TheRequestBodyIsJsonWithEveryField) {
  const SmsSettings settings{.url = "https://sms.example/send", .api_key = "k", .sender = "Karton"};
  const auto body =
      boost::json::parse(SmsRequestBody(settings, "+36301234567", "Szia \"Öcsi\"", 9));
  EXPECT_EQ(body.at("to").as_string(), "+36301234567");
  EXPECT_EQ(body.at("from").as_string(), "Karton");
  EXPECT_EQ(body.at("text").as_string(), "Szia \"Öcsi\"");
  EXPECT_EQ(body.at("reference").as_string(), "9");
}

TEST(Sms, AnUnreachableProviderIsATemporaryFailure) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  const SmsSettings settings{.url = "http://127.0.0.1:1/send", .api_key = "", .sender = "K"};
  const DeliveryOutcome outcome = SendSms(settings, "+36301234567", "x", 1);
  EXPECT_EQ(outcome.kind, DeliveryOutcome::Kind::kTemporaryFailure) << outcome.detail;
}

TEST(Letters, HungarianAddressesFollowMagyarPostasOrder) {
  common::v1::Address address;
  address.set_country("HU");
  address.set_postal_code("6720");
  address.set_city("Szeged");
  address.set_street("Kárász utca 5.");
  EXPECT_EQ(AddressLines("Kovács és Társa Kft.", "Kovács Anna", address),
            (std::vector<std::string>{"Kovács és Társa Kft.", "Kovács Anna", "Szeged",
                                      "Kárász utca 5.", "6720"}));
}

TEST(Letters, ForeignAddressesEndWithTheCountryInCapitals) {
  common::v1::Address address;
  address.set_country("AT");
  address.set_postal_code("1010");
  address.set_city("Wien");
  address.set_street("Graben 12");
  EXPECT_EQ(AddressLines("Huber GmbH", "", address),
            (std::vector<std::string>{"Huber GmbH", "Graben 12", "1010 Wien", "AUSTRIA"}));
}

TEST(Letters, TheDateLineIsWrittenInTheLettersLanguage) {
  using namespace std::chrono;
  const kernel::TimePoint when = sys_days{2026y / December / 1} + hours(15);
  EXPECT_EQ(LetterDate(when, "hu", "Budapest"), "Budapest, 2026. december 1.");
  EXPECT_EQ(LetterDate(when, "en", ""), "1 December 2026");
}

TEST(Letters, CsvRecordsQuoteEveryFieldAndDoubleQuotes) {
  EXPECT_EQ(CsvRecord({"1", "Kovács \"Bt.\"", "a,b", ""}),
            "\"1\",\"Kovács \"\"Bt.\"\"\",\"a,b\",\"\"\r\n");
}

}  // namespace
}  // namespace karton::messaging
