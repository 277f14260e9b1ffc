#include "partner_filter.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <cctype>

namespace karton::partners {
namespace {

enum class TokenKind { kIdentifier, kString, kNumber, kOperator, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // a string's text is unescaped
  std::size_t position = 0;
};

// What a field is, which decides its SQL and the operators it takes.
enum class FieldKind {
  kArray,    // tags, emails, phones: "has this element"
  kAddress,  // a key of any of the addresses
  kText,     // a plain column, equality only
  kKind,     // organization | person
  kRisk,     // low | medium | high | blocked
  kId,       // a number column
  kBool,
  kTime,
  kParent,  // parent_partner_id: a partner id, 0 for none
};

struct FieldSpec {
  const char* name;
  FieldKind kind;
  const char* target;  // column, or the address's JSON key
};

constexpr FieldSpec kFields[] = {
    {"tag", FieldKind::kArray, "tags"},
    {"email", FieldKind::kArray, "emails"},
    {"phone", FieldKind::kArray, "phones"},
    {"city", FieldKind::kAddress, "city"},
    {"country", FieldKind::kAddress, "country"},
    {"postal_code", FieldKind::kAddress, "postalCode"},
    {"display_name", FieldKind::kText, "display_name"},
    {"legal_name", FieldKind::kText, "legal_name"},
    {"tax_number", FieldKind::kText, "tax_number"},
    {"eu_vat_number", FieldKind::kText, "eu_vat_number"},
    {"registration_number", FieldKind::kText, "registration_number"},
    {"name_day", FieldKind::kText, "name_day"},
    {"kind", FieldKind::kKind, "kind"},
    {"risk_class", FieldKind::kRisk, "risk_class"},
    {"owner_user_id", FieldKind::kId, "owner_user_id"},
    {"id", FieldKind::kId, "id"},
    {"archived", FieldKind::kBool, "archived"},
    {"customer", FieldKind::kBool, "customer"},
    {"supplier", FieldKind::kBool, "supplier"},
    {"parent_partner_id", FieldKind::kParent, "parent_partner_id"},
    {"payment_terms_days", FieldKind::kId, "payment_terms_days"},
    {"default_currency_code", FieldKind::kText, "default_currency_code"},
    {"preferred_language", FieldKind::kText, "preferred_language"},
    {"create_time", FieldKind::kTime, "create_time"},
    {"update_time", FieldKind::kTime, "update_time"},
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

bool IsEquality(const std::string& op) { return op == "=" || op == "!="; }

std::string SqlOperator(const std::string& op) { return op == "!=" ? "<>" : op; }

bool IsNumber(const std::string& text) {
  static const RE2 kNumber(R"(-?\d{1,18}(\.\d{1,12})?)");
  return RE2::FullMatch(text, kNumber);
}

bool IsTimestamp(const std::string& text) {
  static const RE2 kTimestamp(
      R"(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?)");
  return RE2::FullMatch(text, kTimestamp);
}

bool IsDate(const std::string& text) {
  static const RE2 kDate(R"(\d{4}-\d{2}-\d{2})");
  return RE2::FullMatch(text, kDate);
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

std::string FilterableFields() {
  std::string names;
  for (const auto& field : kFields) names += std::string(names.empty() ? "" : ", ") + field.name;
  return names + ", custom.<key>";
}

std::optional<FilterSql> ParseFilter(std::string_view filter, const CustomFieldTypes& custom,
                                     std::string& problem) {
  FilterSql sql;
  Lexer lexer(filter);
  Token token;
  if (!lexer.Next(token, problem)) return std::nullopt;
  std::vector<std::string> conditions;
  auto placeholder = [&sql](std::string value) {
    sql.params.push_back(std::move(value));
    return fmt::format(":f{}", sql.params.size() - 1);
  };
  while (token.kind != TokenKind::kEnd) {
    if (!conditions.empty()) {
      if (token.kind != TokenKind::kIdentifier || Lower(token.text) != "and") {
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
    const bool quoted = value.kind == TokenKind::kString;
    const bool is_bool_word =
        value.kind == TokenKind::kIdentifier && (value.text == "true" || value.text == "false");
    if (value.kind == TokenKind::kIdentifier && !is_bool_word) {
      problem =
          fmt::format("'{}' at {} is not a value: quote strings", value.text, value.position + 1);
      return std::nullopt;
    }
    auto refuse_operator = [&](const char* allowed) {
      problem = fmt::format("'{}' takes {} only", field.text, allowed);
      return std::nullopt;
    };
    auto want_string = [&]() -> bool {
      if (quoted) return true;
      problem = fmt::format("'{}' compares with a quoted string, e.g. {} = \"...\"", field.text,
                            field.text);
      return false;
    };

    std::string condition;
    if (field.text.rfind("custom.", 0) == 0) {
      const std::string key = field.text.substr(7);
      const auto type = custom.find(key);
      if (type == custom.end()) {
        problem = fmt::format("'{}' is not a defined custom field", key);
        return std::nullopt;
      }
      const std::string key_param = placeholder(key);
      if (type->second == "number" || type->second == "date") {
        const bool number = type->second == "number";
        if (number ? !IsNumber(value.text) : !(quoted && IsDate(value.text))) {
          problem = fmt::format("custom.{} compares with {}", key,
                                number ? "a number" : "a date, \"YYYY-MM-DD\"");
          return std::nullopt;
        }
        const char* cast = number ? "numeric" : "date";
        condition =
            fmt::format("cast(p.custom_fields ->> cast({} AS text) AS {}) {} cast({} AS {})",
                        key_param, cast, SqlOperator(op.text), placeholder(value.text), cast);
      } else {
        if (!IsEquality(op.text)) return refuse_operator("= and !=");
        if (type->second == "bool") {
          if (value.text != "true" && value.text != "false") {
            problem = fmt::format("custom.{} compares with true or false", key);
            return std::nullopt;
          }
        } else if (!want_string()) {
          return std::nullopt;
        }
        // Containment, so the GIN index on custom_fields serves it.
        condition = fmt::format(
            "{}p.custom_fields @> jsonb_build_object(cast({} AS text), cast({} AS text))",
            op.text == "!=" ? "NOT " : "", key_param, placeholder(value.text));
      }
      conditions.push_back("(" + condition + ")");
      if (!lexer.Next(token, problem)) return std::nullopt;
      continue;
    }

    const FieldSpec* spec = nullptr;
    for (const auto& candidate : kFields) {
      if (field.text == candidate.name) spec = &candidate;
    }
    if (spec == nullptr) {
      problem =
          fmt::format("'{}' is not a field a filter may use ({})", field.text, FilterableFields());
      return std::nullopt;
    }
    const std::string negate = op.text == "!=" ? "NOT " : "";
    switch (spec->kind) {
      case FieldKind::kArray: {
        if (!IsEquality(op.text)) return refuse_operator("= and !=");
        if (!want_string()) return std::nullopt;
        const std::string element =
            spec->target == std::string("phones") ? value.text : Lower(value.text);
        condition = fmt::format("{}p.{} @> ARRAY[cast({} AS text)]", negate, spec->target,
                                placeholder(element));
        break;
      }
      case FieldKind::kAddress: {
        if (!IsEquality(op.text)) return refuse_operator("= and !=");
        if (!want_string()) return std::nullopt;
        std::string element = value.text;
        if (spec->target == std::string("country")) {
          for (char& c : element)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        condition = fmt::format(
            "{}p.addresses @> jsonb_build_array(jsonb_build_object('{}', cast({} AS text)))",
            negate, spec->target, placeholder(element));
        break;
      }
      case FieldKind::kText:
        if (!IsEquality(op.text)) return refuse_operator("= and !=");
        if (!want_string()) return std::nullopt;
        condition = fmt::format("p.{} {} cast({} AS text)", spec->target, SqlOperator(op.text),
                                placeholder(value.text));
        break;
      case FieldKind::kKind:
      case FieldKind::kRisk: {
        if (!IsEquality(op.text)) return refuse_operator("= and !=");
        if (!want_string()) return std::nullopt;
        const std::string word = Lower(value.text);
        const bool known = spec->kind == FieldKind::kKind
                               ? (word == "organization" || word == "person")
                               : (word == "low" || word == "medium" || word == "high" ||
                                  word == "blocked" || word.empty());
        if (!known) {
          problem = spec->kind == FieldKind::kKind
                        ? "kind is \"organization\" or \"person\""
                        : "risk_class is \"low\", \"medium\", \"high\", \"blocked\" or \"\"";
          return std::nullopt;
        }
        condition = fmt::format("p.{} {} cast({} AS text)", spec->target, SqlOperator(op.text),
                                placeholder(word));
        break;
      }
      case FieldKind::kId:
        if (value.kind != TokenKind::kNumber || value.text.find('.') != std::string::npos ||
            !IsNumber(value.text)) {
          problem = fmt::format("'{}' compares with a whole number", field.text);
          return std::nullopt;
        }
        condition = fmt::format("p.{} {} cast({} AS bigint)", spec->target, SqlOperator(op.text),
                                placeholder(value.text));
        break;
      case FieldKind::kBool:
        if (!IsEquality(op.text)) return refuse_operator("= and !=");
        if (!is_bool_word) {
          problem = fmt::format("'{}' compares with true or false", field.text);
          return std::nullopt;
        }
        sql.mentions_archived = sql.mentions_archived || field.text == "archived";
        condition = fmt::format("p.{} {} cast({} AS boolean)", spec->target, SqlOperator(op.text),
                                placeholder(value.text));
        break;
      case FieldKind::kParent: {
        if (!IsEquality(op.text)) return refuse_operator("= and !=");
        if (value.kind != TokenKind::kNumber || !IsNumber(value.text) ||
            value.text.find('.') != std::string::npos || value.text[0] == '-') {
          problem = fmt::format("'{}' compares with a partner id, or 0 for none", field.text);
          return std::nullopt;
        }
        // NULL is "no parent": 0 asks for it; a partner without a parent is
        // not that of any other.
        if (std::stoll(value.text) == 0) {
          condition = fmt::format("p.{} IS {}NULL", spec->target, op.text == "!=" ? "NOT " : "");
        } else if (op.text == "=") {
          condition =
              fmt::format("p.{} = cast({} AS bigint)", spec->target, placeholder(value.text));
        } else {
          condition = fmt::format("p.{} IS DISTINCT FROM cast({} AS bigint)", spec->target,
                                  placeholder(value.text));
        }
        break;
      }
      case FieldKind::kTime:
        if (!quoted || !IsTimestamp(value.text)) {
          problem = fmt::format(
              "'{}' compares with an RFC 3339 time, e.g. \"2026-01-31T08:00:00Z\"", field.text);
          return std::nullopt;
        }
        condition = fmt::format("p.{} {} cast({} AS timestamptz)", spec->target,
                                SqlOperator(op.text), placeholder(value.text));
        break;
    }
    conditions.push_back("(" + condition + ")");
    if (!lexer.Next(token, problem)) return std::nullopt;
  }
  for (const auto& condition : conditions) {
    sql.where += (sql.where.empty() ? "" : " AND ") + condition;
  }
  return sql;
}

}  // namespace karton::partners
