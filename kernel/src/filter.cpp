#include "karton/kernel/filter.h"

#include <fmt/format.h>

#include <cctype>
#include <string>

namespace karton::kernel {
namespace {

enum class TokenKind { kIdentifier, kString, kNumber, kOperator, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // a string's text is unescaped
  std::size_t position = 0;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // False (and `problem`) on a malformed token.
  bool Next(Token& token, std::string& problem) {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    token = Token{TokenKind::kEnd, "", pos_};
    if (pos_ >= text_.size()) return true;
    const char c = text_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::size_t start = pos_;
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                     text_[pos_] == '_' || text_[pos_] == '.')) {
        ++pos_;
      }
      token = {TokenKind::kIdentifier, std::string(text_.substr(start, pos_ - start)), start};
      return true;
    }
    if (c == '"') {
      const std::size_t start = pos_++;
      std::string value;
      while (pos_ < text_.size() && text_[pos_] != '"') {
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
        value += text_[pos_++];
      }
      if (pos_ >= text_.size()) {
        problem = fmt::format("the string starting at {} has no closing quote", start + 1);
        return false;
      }
      ++pos_;
      token = {TokenKind::kString, std::move(value), start};
      return true;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
      const std::size_t start = pos_++;
      while (pos_ < text_.size() &&
             (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.')) {
        ++pos_;
      }
      token = {TokenKind::kNumber, std::string(text_.substr(start, pos_ - start)), start};
      return true;
    }
    for (const char* op : {"!=", "<=", ">=", "=", "<", ">"}) {
      if (text_.substr(pos_, std::char_traits<char>::length(op)) == op) {
        token = {TokenKind::kOperator, op, pos_};
        pos_ += token.text.size();
        return true;
      }
    }
    problem = fmt::format("unexpected '{}' at {}", c, pos_ + 1);
    return false;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool IsAnd(const Token& token) {
  if (token.kind != TokenKind::kIdentifier || token.text.size() != 3) return false;
  std::string lower;
  for (char c : token.text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "and";
}

}  // namespace

std::optional<std::vector<FilterComparison>> ParseFilterExpression(std::string_view filter,
                                                                   std::string& problem) {
  std::vector<FilterComparison> comparisons;
  Lexer lexer(filter);
  Token token;
  if (!lexer.Next(token, problem)) return std::nullopt;
  while (token.kind != TokenKind::kEnd) {
    if (!comparisons.empty()) {
      if (!IsAnd(token)) {
        problem = fmt::format("expected AND at {}", token.position + 1);
        return std::nullopt;
      }
      if (!lexer.Next(token, problem)) return std::nullopt;
    }
    if (token.kind != TokenKind::kIdentifier) {
      problem = fmt::format("expected a field name at {}", token.position + 1);
      return std::nullopt;
    }
    const Token field = token;
    Token op, value;
    if (!lexer.Next(op, problem) || !lexer.Next(value, problem)) return std::nullopt;
    if (op.kind != TokenKind::kOperator) {
      problem = fmt::format("expected =, !=, <, <=, > or >= after '{}' at {}", field.text,
                            op.position + 1);
      return std::nullopt;
    }
    if (value.kind != TokenKind::kString && value.kind != TokenKind::kNumber &&
        value.kind != TokenKind::kIdentifier) {
      problem = fmt::format("expected a value after '{}' at {}", op.text, value.position + 1);
      return std::nullopt;
    }
    if (value.text.size() > 200) {
      problem = fmt::format("the value at {} is longer than 200 characters", value.position + 1);
      return std::nullopt;
    }
    FilterValueKind kind = FilterValueKind::kString;
    if (value.kind == TokenKind::kNumber) {
      kind = FilterValueKind::kNumber;
    } else if (value.kind == TokenKind::kIdentifier) {
      if (value.text != "true" && value.text != "false") {
        problem =
            fmt::format("'{}' at {} is not a value: quote strings", value.text, value.position + 1);
        return std::nullopt;
      }
      kind = FilterValueKind::kBool;
    }
    comparisons.push_back(
        {field.text, op.text, value.text, kind, field.position + 1, value.position + 1});
    if (!lexer.Next(token, problem)) return std::nullopt;
  }
  return comparisons;
}

}  // namespace karton::kernel
