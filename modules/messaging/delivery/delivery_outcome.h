// What one delivery attempt on any channel came to.
#pragma once

#include <cstdint>
#include <string>

namespace karton::messaging {

struct DeliveryOutcome {
  enum class Kind { kSent, kTemporaryFailure, kPermanentFailure };
  Kind kind = Kind::kSent;
  // The server's reply or the transport error, for the message's last_error.
  std::string detail;
  // Sent: the provider's id for the message, when it gave one (SMS).
  std::string provider_message_id;
  // Sent letters: the PDF stored on the partner.
  std::int64_t document_id = 0;

  static DeliveryOutcome Temporary(std::string detail) {
    return {Kind::kTemporaryFailure, std::move(detail), "", 0};
  }
  static DeliveryOutcome Permanent(std::string detail) {
    return {Kind::kPermanentFailure, std::move(detail), "", 0};
  }
};

}  // namespace karton::messaging
