// Business letters as printable A4 PDFs (cairo + pango), for the partners who
// still want paper. The layout follows DIN 5008 type B so that a folded sheet
// shows the recipient through the window of a DL/C5 window envelope and the
// print shop needs no per-letter handling.
//
// Needs the DejaVu fonts (Debian: fonts-dejavu-core); fontconfig silently
// substitutes another font when they are missing, so output would still be
// produced but would look different.
#pragma once

#include <string>
#include <vector>

namespace karton::messaging {

// All fields are UTF-8 plain text (no markup, so partner data cannot inject
// formatting); "\n" separates lines.
struct Letter {
  // Company name, street, postal code + city; small, top left, in the
  // letterhead zone above the window (lines past the 8th are dropped).
  std::string sender;
  // Postal address block, drawn inside the window of a DL/C5 envelope (DIN 5008
  // type B: window 20 mm from the left, 45 mm from the top, 85 x 45 mm), 5 mm
  // in from its edges because the sheet moves in the envelope. That leaves room
  // for 8 lines of 75 mm; a longer address is an error, not silently cut.
  std::string recipient;
  // E.g. "Budapest, 2026. december 1."; right-aligned above the subject.
  std::string place_date;
  // Bold; also the PDF title when the document holds exactly one letter, so
  // viewers and archives show something meaningful.
  std::string subject;
  // Blank lines separate paragraphs. Long text continues on further pages,
  // which then carry a "2 / 3" footer so loose sheets can be put back in order.
  std::string body;
};

// One letter as an A4 PDF (the bytes of the file).
// Throws std::invalid_argument if a field is not valid UTF-8 (pango would only
// log a warning and drop text) or the recipient does not fit the window, and
// std::runtime_error if cairo reports an error.
std::string RenderLetterPdf(const Letter& letter);

// A print batch in one PDF, so one print job yields the whole mailing. Every
// letter starts on a new sheet: with `duplex`, a letter with an odd page count
// (the last one too) gets a blank back page, so no letter is printed on the
// back of another recipient's sheet. Throws like RenderLetterPdf, and
// std::invalid_argument for an empty batch (cairo would emit a blank page).
std::string RenderLetterBatchPdf(const std::vector<Letter>& letters, bool duplex);

}  // namespace karton::messaging
