// Synthetic partners for the benchmarks: names from Hungarian word lists (so
// 3-letter fragments match as they would in a real customer base), valid and
// unique tax numbers, emails and phones.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "karton/partners/v1/partner.pb.h"

namespace karton::bench {

// Writes `rows` partners as CSV in the import's column names. False when the
// file cannot be written.
bool WritePartnerCsv(std::int64_t rows, const std::string& path, std::int64_t first = 0);

// The email address of generated partner `serial` (WritePartnerCsv's row
// `serial`, SyntheticPartner(serial)): info@<a word made of the serial>.hu.
std::string PartnerEmail(std::int64_t serial);

// Partner number `serial` as CreatePartner would get it from a client.
partners::v1::Partner SyntheticPartner(std::int64_t serial);

// What people type into a search box: starts of words from the lists.
std::span<const std::string_view> SearchFragments();

}  // namespace karton::bench
