// Form data from browsers (kernel/src/multipart_form.cpp), as the file
// bridge's uploads bring it: a Content-Type header and a body. Either the
// parse is refused with MultipartFormError, or every part lies inside the
// body, has a name, respects the part limit, and is followed in the body by
// the boundary line that ends it.
//
// The input: a Content-Type header, "\n", then the body.
#include <string>

#include "fuzz_check.h"
#include "multipart_form.h"

using karton::fuzz::Check;
namespace kernel = karton::kernel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  karton::fuzz::Input input(data, size);
  const std::string content_type(input.Until("\n"));
  const std::string body(input.Rest());
  std::vector<kernel::FormPart> parts;
  std::string boundary;
  try {
    boundary = kernel::FormBoundaryOf(content_type);
    parts = kernel::ParseMultipartForm(content_type, body, 4);
  } catch (const kernel::MultipartFormError&) {
    return 0;
  }
  Check(!boundary.empty() && boundary.size() <= 70, "a boundary is 1 to 70 characters", boundary);
  Check(parts.size() <= 4, "no more parts than the limit", body);
  const char* begin = body.data();
  const char* end = body.data() + body.size();
  for (const auto& part : parts) {
    Check(!part.name.empty(), "every part has a name", body);
    Check(part.body.data() >= begin && part.body.data() + part.body.size() <= end,
          "a part's content lies inside the body", body);
    const std::string_view after(
        part.body.data() + part.body.size(),
        static_cast<std::size_t>(end - (part.body.data() + part.body.size())));
    Check(after.substr(0, boundary.size() + 4) == "\r\n--" + boundary,
          "a part's content ends at a boundary line", body);
    Check(part.body.find("\r\n--" + boundary) == std::string_view::npos,
          "no boundary line inside a part", body);
  }
  return 0;
}
