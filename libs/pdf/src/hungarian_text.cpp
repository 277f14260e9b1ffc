#include "karton/pdf/hungarian_text.h"

#include <fmt/format.h>

#include <stdexcept>

namespace karton::pdf {

std::string VatLabel(common::v1::VatCategory category) {
  using namespace common::v1;
  switch (category) {
    case VAT_CATEGORY_STANDARD_27:
      return "27%";
    case VAT_CATEGORY_REDUCED_18:
      return "18%";
    case VAT_CATEGORY_REDUCED_5:
      return "5%";
    case VAT_CATEGORY_ZERO:
      return "0%";
    case VAT_CATEGORY_EXEMPT_AAM:
      return "AAM";
    case VAT_CATEGORY_EXEMPT_TAM:
      return "TAM";
    case VAT_CATEGORY_EXEMPT_KBAET:
      return "KBAET";
    case VAT_CATEGORY_EXEMPT_KBAUK:
      return "KBAUK";
    case VAT_CATEGORY_EXEMPT_EAM:
      return "EAM";
    case VAT_CATEGORY_EXEMPT_NAM:
      return "NAM";
    case VAT_CATEGORY_OUT_OF_SCOPE_ATK:
      return "ATK";
    case VAT_CATEGORY_OUT_OF_SCOPE_EUFAD37:
      return "EUFAD37";
    case VAT_CATEGORY_OUT_OF_SCOPE_EUFADE:
      return "EUFADE";
    case VAT_CATEGORY_OUT_OF_SCOPE_EUE:
      return "EUE";
    case VAT_CATEGORY_OUT_OF_SCOPE_HO:
      return "HO";
    case VAT_CATEGORY_DOMESTIC_REVERSE_CHARGE:
      return "FAD";
    default:
      throw std::invalid_argument(
          fmt::format("VAT category {} has no label", static_cast<int>(category)));
  }
}

std::string VatReason(common::v1::VatCategory category) {
  using namespace common::v1;
  switch (category) {
    case VAT_CATEGORY_EXEMPT_AAM:
      return "alanyi adómentes (Áfa tv. XIII. fejezet)";
    case VAT_CATEGORY_EXEMPT_TAM:
      return "tárgyi adómentes (Áfa tv. 85–86. §)";
    case VAT_CATEGORY_EXEMPT_KBAET:
      return "adómentes Közösségen belüli termékértékesítés (Áfa tv. 89. §)";
    case VAT_CATEGORY_EXEMPT_KBAUK:
      return "adómentes új közlekedési eszköz Közösségen belüli értékesítése (Áfa tv. 89. § (2))";
    case VAT_CATEGORY_EXEMPT_EAM:
      return "adómentes termékexport harmadik országba (Áfa tv. 98–109. §)";
    case VAT_CATEGORY_EXEMPT_NAM:
      return "adómentes egyéb nemzetközi ügylet (Áfa tv. 110–118. §)";
    case VAT_CATEGORY_OUT_OF_SCOPE_ATK:
      return "az Áfa tv. hatályán kívüli ügylet (Áfa tv. 2–3. §)";
    case VAT_CATEGORY_OUT_OF_SCOPE_EUFAD37:
      return "fordított adózás: a szolgáltatás teljesítési helye másik tagállam (Áfa tv. 37. § "
             "(1)), az adót a vevő fizeti";
    case VAT_CATEGORY_OUT_OF_SCOPE_EUFADE:
      return "fordított adózás: másik tagállamban teljesített ügylet, az adót a vevő fizeti";
    case VAT_CATEGORY_OUT_OF_SCOPE_EUE:
      return "másik tagállamban teljesített ügylet";
    case VAT_CATEGORY_OUT_OF_SCOPE_HO:
      return "harmadik országban teljesített ügylet";
    case VAT_CATEGORY_DOMESTIC_REVERSE_CHARGE:
      return "fordított adózás (Áfa tv. 142. §), az adót a vevő fizeti";
    default:
      return "";
  }
}

std::int64_t GrossOf(std::int64_t net_minor, std::int64_t vat_minor) {
  std::int64_t gross = 0;
  if (__builtin_add_overflow(net_minor, vat_minor, &gross)) {
    throw std::overflow_error("a VAT summary row's gross does not fit");
  }
  return gross;
}

std::string HungarianDate(const common::v1::Date& date) {
  if (date.year() == 0) return "";
  return fmt::format("{:04}.{:02}.{:02}.", date.year(), date.month(), date.day());
}

std::string AddressLines(const common::v1::Address& address) {
  std::string text;
  const auto line = [&](const std::string& part) {
    if (part.empty()) return;
    if (!text.empty()) text += '\n';
    text += part;
  };
  line(address.postal_code() + (address.postal_code().empty() ? "" : " ") + address.city());
  line(address.street());
  line(address.extra());
  line(address.region());
  if (address.country() != "HU") line(address.country());
  return text;
}

}  // namespace karton::pdf
