// The pages shipped with the daemon (docs/http.md, "Pages"): plain HTML, CSS and JavaScript
// without a build step, read once from a directory when the server starts and served from
// memory. A request's path is only ever looked up in that set, never joined to a file name, so
// no path can reach a file outside it. Chart.js comes from Debian (libjs-chart.js), not a CDN.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "houqin/http/api.hpp"

namespace houqin::http {

struct Page {
  std::string type;  // Content-Type
  std::string etag;  // a strong validator of the content
  std::string body;
};

class HOUQIN_HTTP_EXPORT Pages {
 public:
  Pages() = default;
  /// Every regular file under `dir` (names starting with '.' left out) at "/<relative path>",
  /// "/" and "/m/" for the index.html beside them, and `chart_js` at /vendor/chart.min.js.
  /// Error(invalid_argument) naming the setting when `dir` is not a directory or holds more
  /// than 2,000 files or 16 MiB; a missing `chart_js` is left out (the charts say so).
  static Pages load(const std::string& dir, const std::string& chart_js);
  /// The page at a decoded path; null when there is none.
  const Page* find(std::string_view path) const;
  /// GET of a page: 200 with its security headers, 304 when If-None-Match matches its
  /// ETag, problem+json 404 or 405 otherwise.
  Response answer(const Request& request, std::string_view path) const;
  std::size_t size() const noexcept { return pages_.size(); }

 private:
  std::map<std::string, Page, std::less<>> pages_;
};

}  // namespace houqin::http
