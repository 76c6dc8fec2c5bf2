// The verification page (web/, doc/operator.md "Verification page") served by the node at `/`.
// The page's files are compiled into the binary (web_assets.cc, generated from web/ at build time
// by web/embed_assets.cmake), so an installed node serves them without the source tree.
//
// Responses carry a strict Content-Security-Policy (scripts and styles from the node only, no
// inline script, fetches only to the node), and `Cache-Control: no-cache` with an ETag: browsers
// revalidate on every load and get `304 Not Modified` until the node is upgraded.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "node/http_server.h"

namespace govledger::node {

struct WebAsset {
  std::string_view path;          // "/index.html"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view etag;          // quoted, e.g. "\"3f2a...\""
  std::string_view body;
};

// Every embedded file (defined in the generated web_assets.cc).
const std::vector<WebAsset>& WebAssets();

// The Content-Security-Policy sent with the page's files.
extern const char kWebContentSecurityPolicy[];

// The answer to a GET or HEAD of one of the page's files ("/" is "/index.html"); nullopt when
// `req.path` is not one of them.
std::optional<HttpResponse> WebRoute(const HttpRequest& req);

}  // namespace govledger::node
