#include "node/web.h"

#include <string>

namespace govledger::node {

const char kWebContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

namespace {

const WebAsset* FindAsset(const std::string& path) {
  const std::string_view wanted = path == "/" ? std::string_view("/index.html") : path;
  for (const WebAsset& a : WebAssets()) {
    if (a.path == wanted) return &a;
  }
  return nullptr;
}

// True when an If-None-Match header value names `etag` (a list, weak validators, or "*").
bool MatchesEtag(std::string_view header, std::string_view etag) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view tag = header.substr(pos, comma - pos);
    pos = comma + 1;
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

}  // namespace

std::optional<HttpResponse> WebRoute(const HttpRequest& req) {
  const WebAsset* asset = FindAsset(req.path);
  if (asset == nullptr) return std::nullopt;
  HttpResponse r;
  r.content_type = std::string(asset->content_type);
  r.headers["Content-Security-Policy"] = kWebContentSecurityPolicy;
  r.headers["X-Content-Type-Options"] = "nosniff";
  r.headers["Referrer-Policy"] = "no-referrer";
  r.headers["X-Frame-Options"] = "DENY";
  // Revalidate every time: a node upgrade changes the page at once, an unchanged page costs a 304.
  r.headers["Cache-Control"] = "no-cache";
  r.headers["ETag"] = std::string(asset->etag);
  if (!req.if_none_match.empty() && MatchesEtag(req.if_none_match, asset->etag)) {
    r.status = 304;
    return r;
  }
  r.body = std::string(asset->body);
  return r;
}

}  // namespace govledger::node
