// "Nothing accepted is ever lost": kartond is killed (SIGKILL) in the middle
// of delivering a batch of 1,000 emails; after a restart every message
// reaches the SMTP server, and a message is received twice at most when it
// was in the one window the protocol leaves open (accepted by the server,
// SENT not yet committed) — one per job worker at the moment of the kill.
#include <csignal>
#include <map>
#include <mutex>

#include "messaging_fixture.h"

namespace karton::testing {
namespace {

TEST_F(MessagingTest, ASigkillInTheMiddleOfABatchLosesNothing) {
  constexpr int kMessages = 1000;
  constexpr int kJobWorkers = 2;
  // Paced (1,000 take 20 s), so the batch is still being delivered when the
  // kill comes; a short claim, so the restarted server takes over the
  // killed one's jobs.
  Start(0, {"--module-option", "messaging.email_per_second=50", "--job-claim-seconds", "2",
            "--job-workers", std::to_string(kJobWorkers)});
  std::map<std::string, std::int64_t> message_of_id;  // Message-ID -> message
  // Queued from several threads, so the whole batch is accepted quickly,
  // well before the paced delivery could finish it.
  constexpr int kSenders = 8;
  std::mutex mutex;
  std::vector<std::thread> senders;
  for (int sender = 0; sender < kSenders; ++sender) {
    senders.emplace_back([&, sender] {
      for (int i = sender; i < kMessages; i += kSenders) {
        mv1::SendMessageRequest request;
        request.set_channel(mv1::CHANNEL_EMAIL);
        request.set_category(mv1::CATEGORY_TRANSACTIONAL);
        request.mutable_recipient()->set_address("customer" + std::to_string(i) + "@example.com");
        request.set_subject("Számla " + std::to_string(i));
        request.set_text_body("A számla mellékelve.");
        mv1::Message message;
        const auto status = messaging_->SendMessage(Call().get(), request, &message);
        std::lock_guard lock(mutex);
        EXPECT_TRUE(status.ok()) << i << ": " << status.error_message();
        message_of_id["<" + message.provider_message_id() + ">"] = message.id();
      }
    });
  }
  for (auto& sender : senders) sender.join();
  ASSERT_EQ(message_of_id.size(), static_cast<std::size_t>(kMessages));
  const std::size_t before_kill = sink_->Messages().size();
  ASSERT_LT(before_kill, static_cast<std::size_t>(kMessages))
      << "the batch was delivered before the kill: nothing was tested";
  EXPECT_EQ(kartond_->StopWith(SIGKILL), 128 + SIGKILL);

  // The rest at full speed.
  extra_ = {"--job-claim-seconds", "2", "--job-workers", std::to_string(kJobWorkers)};
  Restart();
  ASSERT_TRUE(sink_->WaitForMessages(kMessages, std::chrono::seconds(120)))
      << "only " << sink_->Messages().size() << " of " << kMessages << " arrived";
  // Every delivery job finished: no repeat is still on its way. (The
  // timeline follows a thousand sent events one by one: give it time.)
  ASSERT_TRUE(
      WaitUntilNothingIsDue(conninfo_, std::chrono::system_clock::now(), std::chrono::seconds(90)));
  std::map<std::string, int> received;
  for (const ReceivedMail& mail : sink_->Messages()) ++received[mail.Header("Message-ID")];
  int duplicates = 0;
  for (const auto& [message_id, id] : message_of_id) {
    EXPECT_GE(received[message_id], 1) << "message " << id << " was lost";
    duplicates += std::max(0, received[message_id] - 1);
  }
  EXPECT_EQ(received.size(), message_of_id.size());
  EXPECT_LE(duplicates, kJobWorkers);
  std::cout << "delivered before the kill: " << before_kill << ", duplicates: " << duplicates
            << std::endl;

  // Every message ends SENT.
  int sent = 0;
  mv1::ListMessagesRequest list;
  list.set_status(mv1::MESSAGE_STATUS_SENT);
  list.set_page_size(1000);
  for (int i = 0; i < 600 && sent < kMessages; ++i) {
    mv1::ListMessagesResponse page;
    ASSERT_TRUE(messaging_->ListMessages(Call().get(), list, &page).ok());
    sent = page.messages_size();
    if (sent < kMessages) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(sent, kMessages);
}

}  // namespace
}  // namespace karton::testing
