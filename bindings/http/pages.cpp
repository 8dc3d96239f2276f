// The pages shipped with the daemon, served from memory (pages.hpp).
#include "houqin/http/pages.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "houqin/core/error.hpp"

namespace houqin::http {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_files = 2000;
constexpr std::uintmax_t max_bytes = 16u << 20;

std::string content_type(const fs::path& file) {
  auto ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".webmanifest") return "application/manifest+json";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(ErrorCode::invalid_argument, file.string() + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Page make_page(const fs::path& file, std::string body) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a: a validator, not a secret
  for (unsigned char c : body) h = (h ^ c) * 1099511628211ull;
  char etag[24];
  std::snprintf(etag, sizeof etag, "\"%016llx\"", static_cast<unsigned long long>(h));
  return {content_type(file), etag, std::move(body)};
}

}  // namespace

Pages Pages::load(const std::string& dir, const std::string& chart_js) {
  Pages pages;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    fail(ErrorCode::invalid_argument, "api.pages_dir: " + dir + " is not a directory");
  std::uintmax_t bytes = 0;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    auto name = it->path().filename().string();
    if (name.starts_with(".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    bytes += it->file_size();
    if (pages.pages_.size() >= max_files || bytes > max_bytes)
      fail(ErrorCode::invalid_argument, "api.pages_dir: " + dir +
                                            " holds more than 2000 files or 16 MiB; these are "
                                            "pages, not a file server");
    auto rel = "/" + fs::relative(it->path(), dir).generic_string();
    pages.pages_[rel] = make_page(it->path(), read_file(it->path()));
  }
  for (auto index : {"/index.html", "/m/index.html"}) {
    auto found = pages.pages_.find(std::string_view(index));
    if (found != pages.pages_.end())
      pages.pages_[std::string(index).substr(0, std::string_view(index).rfind('/') + 1)] =
          found->second;
  }
  if (!chart_js.empty() && fs::is_regular_file(chart_js, ec))
    pages.pages_["/vendor/chart.min.js"] = make_page(chart_js, read_file(chart_js));
  return pages;
}

const Page* Pages::find(std::string_view path) const {
  auto it = pages_.find(path);
  return it == pages_.end() ? nullptr : &it->second;
}

Response Pages::answer(const Request& request, std::string_view path) const {
  const Page* page = find(path);
  if (!page)
    return problem(ErrorCode::not_found, "no such page: " + std::string(path), std::string(path));
  if (request.method != "GET") {
    auto r =
        problem(ErrorCode::invalid_argument,
                std::string(path) + ": only GET, not " + request.method, std::string(path), 405);
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  Response r;
  r.headers = {{"Content-Type", page->type},
               {"ETag", page->etag},
               {"Cache-Control", "no-cache"},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "same-origin"},
               {"X-Frame-Options", "DENY"},
               // Only this server's own scripts, styles and API: no inline script, no CDN.
               {"Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: "
                "blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                "form-action 'self'"}};
  auto inm = request.headers.find("if-none-match");
  if (inm != request.headers.end() && inm->second == page->etag) {
    r.status = 304;
    return r;
  }
  r.body = page->body;
  return r;
}

}  // namespace houqin::http
