#include "letters/letter_pdf.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

// The PDFs are checked with poppler's pdftotext/pdfinfo (Debian: poppler-utils),
// i.e. by what a reader of the file gets back, not by how cairo encodes it.
namespace karton::messaging {
namespace {

constexpr char kHungarian[] = "Árvíztűrő tükörfúrógép ŐŰőű";

// The bytes in a temporary file, for the poppler tools; removed afterwards.
class TempPdf {
 public:
  explicit TempPdf(const std::string& bytes) {
    char name[] = "/tmp/letter_pdf_test_XXXXXX";
    const int fd = mkstemp(name);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    path_ = name;
    const bool written =
        write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
    close(fd);
    if (!written) throw std::runtime_error("cannot write " + path_);
  }
  ~TempPdf() { unlink(path_.c_str()); }
  TempPdf(const TempPdf&) = delete;
  TempPdf& operator=(const TempPdf&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// stdout of `command`; a tool that is missing or fails fails the test.
std::string Run(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command << " failed";
  return output;
}

// `options` e.g. "-f 2 -l 2" (one page) or "-x .. -y .. -W .. -H .." (a crop, in points).
std::string PdfText(const std::string& pdf, const std::string& options = "") {
  TempPdf file(pdf);
  return Run("pdftotext -enc UTF-8 " + options + " '" + file.path() + "' -");
}

std::string PdfInfo(const std::string& pdf) {
  TempPdf file(pdf);
  return Run("pdfinfo -enc UTF-8 '" + file.path() + "'");
}

// The value of a "Name:   value" line of pdfinfo; empty if there is none.
std::string InfoField(const std::string& info, const std::string& name) {
  std::istringstream lines(info);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + ":", 0) == 0) {
      return line.substr(line.find_first_not_of(' ', name.size() + 1));
    }
  }
  return "";
}

int PageCount(const std::string& pdf) { return std::stoi(InfoField(PdfInfo(pdf), "Pages")); }

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Text with "N / M" footer lines taken out (into `footers`) and all whitespace
// (line and page breaks too) collapsed, so wrapped paragraphs read back whole.
std::string FlowText(const std::string& text, std::vector<std::string>* footers) {
  const auto is_digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  std::string flow;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);  // splits at any whitespace, \f too
    std::string word, compact;
    std::vector<std::string> split;
    while (words >> word) {
      split.push_back(word);
      compact += word;
    }
    // pdftotext guesses spaces from glyph gaps and sometimes reads "1/1".
    const std::size_t slash = compact.find('/');
    if (slash != std::string::npos && slash > 0 && slash + 1 < compact.size() &&
        std::count_if(compact.begin(), compact.end(), is_digit) + 1 ==
            static_cast<std::ptrdiff_t>(compact.size())) {
      footers->push_back(compact.substr(0, slash) + " / " + compact.substr(slash + 1));
      continue;
    }
    for (const std::string& w : split) flow += w + ' ';
  }
  return flow;
}

Letter SampleLetter(const std::string& subject, std::string body) {
  return Letter{.sender = "Karton Kft.\nVáci út 1.\n1062 Budapest",
                .recipient = "Kovács Éva\nŐrház utca 12.\n7621 Pécs",
                .place_date = "Budapest, 2026. december 1.",
                .subject = subject,
                .body = std::move(body)};
}

std::string Paragraphs(int count) {
  std::string body;
  for (int i = 1; i <= count; ++i) {
    if (i > 1) body += "\n\n";
    body += "Bekezdés " + std::to_string(i) + ": " + kHungarian +
            ", a számla harminc napon belül esedékes, kérjük, utalja át a megadott "
            "bankszámlaszámra, és a közleményben tüntesse fel a számla sorszámát.";
  }
  return body;
}

TEST(LetterPdfTest, KeepsHungarianTextAndTheAddressOnOnePage) {
  const std::string body =
      std::string("Tisztelt Kovács Éva!\n\n") + kHungarian + "\n\nÜdvözlettel:";
  const std::string pdf = RenderLetterPdf(SampleLetter(kHungarian, body));
  ASSERT_EQ(pdf.rfind("%PDF-", 0), 0u);

  const std::string text = PdfText(pdf);
  EXPECT_TRUE(Contains(text, kHungarian)) << text;
  for (const char* expected :
       {"Tisztelt Kovács Éva!", "Üdvözlettel:", "Kovács Éva", "Őrház utca 12.", "7621 Pécs",
        "Budapest, 2026. december 1.", "Váci út 1."}) {
    EXPECT_TRUE(Contains(text, expected)) << expected << " missing from:\n" << text;
  }
  std::vector<std::string> footers;
  FlowText(text, &footers);
  EXPECT_TRUE(footers.empty()) << "single pages need no page number";
  EXPECT_EQ(PageCount(pdf), 1);
  EXPECT_EQ(InfoField(PdfInfo(pdf), "Title"), kHungarian);
}

TEST(LetterPdfTest, RecipientIsInsideTheEnvelopeWindow) {
  const std::string pdf = RenderLetterPdf(SampleLetter("Tárgy", "Szöveg."));
  // DIN 5008 type B window: 20 mm from the left, 45 mm from the top, 85 x 45 mm.
  const double mm = 72 / 25.4;
  const std::string window = PdfText(
      pdf, "-f 1 -l 1 -x " + std::to_string(int(20 * mm)) + " -y " + std::to_string(int(45 * mm)) +
               " -W " + std::to_string(int(85 * mm)) + " -H " + std::to_string(int(45 * mm)));
  for (const char* line : {"Kovács Éva", "Őrház utca 12.", "7621 Pécs"}) {
    EXPECT_TRUE(Contains(window, line)) << line << " not in the window:\n" << window;
  }
  for (const char* outside : {"Karton Kft.", "Tárgy", "Szöveg.", "Budapest, 2026"}) {
    EXPECT_FALSE(Contains(window, outside)) << outside << " shows in the window";
  }
}

TEST(LetterPdfTest, LongBodyFlowsOntoNumberedPages) {
  constexpr int kParagraphs = 300;
  const std::string pdf = RenderLetterPdf(SampleLetter("Hosszú levél", Paragraphs(kParagraphs)));
  const int pages = PageCount(pdf);
  EXPECT_GE(pages, 5);

  std::vector<std::string> footers;
  const std::string flow = FlowText(PdfText(pdf), &footers);
  for (int i = 1; i <= kParagraphs; ++i) {
    // Whole paragraphs, each exactly once: no line lost or repeated at a page break.
    const std::string paragraph = "Bekezdés " + std::to_string(i) + ": " + kHungarian + ",";
    const std::size_t at = flow.find(paragraph);
    ASSERT_NE(at, std::string::npos) << paragraph;
    EXPECT_EQ(flow.find(paragraph, at + 1), std::string::npos) << paragraph;
    EXPECT_TRUE(Contains(flow.substr(at), "a számla sorszámát.")) << paragraph;
  }
  std::vector<std::string> expected_footers;
  for (int page = 1; page <= pages; ++page) {
    expected_footers.push_back(std::to_string(page) + " / " + std::to_string(pages));
  }
  EXPECT_EQ(footers, expected_footers);
  EXPECT_TRUE(Contains(PdfText(pdf, "-f 1 -l 1"), "Bekezdés 1:"));
  EXPECT_TRUE(Contains(PdfText(pdf, "-f " + std::to_string(pages) + " -l " + std::to_string(pages)),
                       "Bekezdés 300:"));
}

TEST(LetterPdfTest, BatchStartsEveryLetterOnAFrontPage) {
  const Letter first = SampleLetter("Első levél", "Rövid.");
  const Letter second = SampleLetter("Második levél", Paragraphs(40));
  const Letter third = SampleLetter("Harmadik levél", "Rövid.");
  ASSERT_EQ(PageCount(RenderLetterPdf(second)), 3) << "fixture needs a 3-page letter";
  // Paragraph gaps at a page break are dropped, so trailing blank lines add no page.
  EXPECT_EQ(PageCount(RenderLetterPdf(
                SampleLetter("Üres sorok", Paragraphs(40) + std::string(200, '\n')))),
            3);

  const std::string duplex = RenderLetterBatchPdf({first, second, third}, true);
  EXPECT_EQ(PageCount(duplex), 2 + 4 + 2);
  EXPECT_TRUE(Contains(PdfText(duplex, "-f 1 -l 1"), "Első levél"));
  EXPECT_EQ(PdfText(duplex, "-f 2 -l 2").find_first_not_of(" \n\f"), std::string::npos)
      << "page 2 is the blank back of the first letter";
  EXPECT_TRUE(Contains(PdfText(duplex, "-f 3 -l 3"), "Második levél"));
  EXPECT_TRUE(Contains(PdfText(duplex, "-f 7 -l 7"), "Harmadik levél"));

  const std::string simplex = RenderLetterBatchPdf({first, second, third}, false);
  EXPECT_EQ(PageCount(simplex), 1 + 3 + 1);
  EXPECT_TRUE(Contains(PdfText(simplex, "-f 5 -l 5"), "Harmadik levél"));
  EXPECT_EQ(InfoField(PdfInfo(simplex), "Title"), "") << "a batch has no single subject";
}

TEST(LetterPdfTest, RejectsBadInput) {
  Letter long_address = SampleLetter("Tárgy", "Szöveg.");
  long_address.recipient = "1\n2\n3\n4\n5\n6\n7\n8";
  EXPECT_NO_THROW(RenderLetterPdf(long_address));
  long_address.recipient += "\n9";
  EXPECT_THROW(RenderLetterPdf(long_address), std::invalid_argument);
  EXPECT_THROW(RenderLetterPdf(SampleLetter("Tárgy", "hib\xE1s")), std::invalid_argument);
  EXPECT_THROW(RenderLetterPdf(SampleLetter(std::string("a\0b", 3), "")), std::invalid_argument);
  EXPECT_THROW(RenderLetterBatchPdf({}, true), std::invalid_argument);
}

}  // namespace
}  // namespace karton::messaging
