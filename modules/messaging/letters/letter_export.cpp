// MessagingService/ExportLetters: the print batch (one PDF) and the
// direct-mail address list (CSV) of rendered letters.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "letters/letters.h"
#include "message_repository.h"
#include "messaging_service.h"

namespace karton::messaging {
namespace {

// One export is one file in memory; beyond this many letters, ask for a
// narrower time range instead of exhausting the server.
constexpr std::size_t kMaxLettersPerExport = 10000;
constexpr std::size_t kChunkBytes = 1 << 20;

std::string CsvOf(const std::vector<v1::Message>& letters) {
  std::string csv = CsvRecord({"message_id", "partner_id", "contact_id", "name", "address_extra",
                               "street", "postal_code", "city", "region", "country", "subject"});
  for (const auto& letter : letters) {
    const auto& address = letter.postal_address();
    csv += CsvRecord({std::to_string(letter.id()), std::to_string(letter.recipient().partner_id()),
                      std::to_string(letter.recipient().contact_id()), letter.recipient_name(),
                      address.extra(), address.street(), address.postal_code(), address.city(),
                      address.region(), address.country(), letter.subject()});
  }
  return csv;
}

}  // namespace

grpc::Status MessagingServiceImpl::ExportLetters(
    grpc::ServerContext*, const v1::ExportLettersRequest* request,
    grpc::ServerWriter<v1::ExportLettersResponse>* writer) {
  if (request->format() != v1::LETTER_EXPORT_FORMAT_PDF &&
      request->format() != v1::LETTER_EXPORT_FORMAT_CSV) {
    return kernel::InvalidField("format", "is required: PDF or CSV");
  }
  repository::MessageFilter filter;
  if (request->category() != v1::CATEGORY_UNSPECIFIED) {
    filter.category = request->category() == v1::CATEGORY_MARKETING ? "marketing" : "transactional";
  }
  if (request->has_start_time()) filter.start_us = MicrosOf(request->start_time());
  if (request->has_end_time()) filter.end_us = MicrosOf(request->end_time());
  filter.key_prefix = request->idempotency_key_prefix();
  return kernel::Guarded(services_.log, "ExportLetters", [&]() -> grpc::Status {
    std::vector<v1::Message> letters;
    {
      auto lease = services_.database.Acquire();
      std::int64_t after = 0;
      for (;;) {
        auto page = repository::ListLetters(lease.Session(), filter, after, 500);
        if (page.empty()) break;
        after = page.back().id();
        for (auto& letter : page) letters.push_back(std::move(letter));
        if (letters.size() > kMaxLettersPerExport) {
          return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                              fmt::format("more than {} letters match: export a shorter time "
                                          "range (start_time, end_time) at a time",
                                          kMaxLettersPerExport));
        }
      }
    }
    std::string file;
    if (request->format() == v1::LETTER_EXPORT_FORMAT_CSV) {
      file = CsvOf(letters);
    } else if (!letters.empty()) {
      std::vector<Letter> pages;
      pages.reserve(letters.size());
      for (const auto& letter : letters) {
        const auto queued = kernel::TimePoint(std::chrono::microseconds(
            google::protobuf::util::TimeUtil::TimestampToMicroseconds(letter.create_time())));
        pages.push_back(
            Letter{.sender = settings_.letter.sender,
                   .recipient = letter.address(),
                   .place_date = LetterDate(queued, letter.language(), settings_.letter.place),
                   .subject = letter.subject(),
                   .body = letter.text_body()});
      }
      file = RenderLetterBatchPdf(pages, request->duplex());
    }
    v1::ExportLettersResponse part;
    part.set_letter_count(static_cast<int>(letters.size()));
    std::size_t at = 0;
    do {
      part.set_data(file.substr(at, kChunkBytes));
      if (!writer->Write(part)) return grpc::Status(grpc::StatusCode::CANCELLED, "client left");
      part.Clear();
      at += kChunkBytes;
    } while (at < file.size());
    return grpc::Status::OK;
  });
}

}  // namespace karton::messaging
