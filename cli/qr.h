// QR codes for `govledger proof qr`: encoding (libqrencode, error correction level M), a
// terminal rendering and a PNG file (libpng). Nothing here knows what the text means.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/status.h"

namespace govledger::cli {

struct QrCode {
  int width = 0;                // modules per side
  std::vector<uint8_t> dark;    // width * width, row-major, 1 = dark module
  bool Dark(int x, int y) const { return dark[static_cast<size_t>(y) * width + x] != 0; }
};

// Fails ("qr_too_long") when the text does not fit a version-40 symbol.
Result<QrCode> EncodeQr(const std::string& text);
// Two modules per character line (half blocks), with a 2-module quiet zone. `ansi`: colours
// (black on white, readable on dark and light terminals); otherwise plain block characters
// drawn dark-on-light, for a terminal with a light background or a file.
std::string RenderQrTerminal(const QrCode& code, bool ansi);
// An 8-bit greyscale PNG, `scale` pixels per module, 4-module quiet zone. Written atomically.
Status WriteQrPng(const QrCode& code, const std::string& path, int scale = 8);
// Whether stdout is a terminal.
bool IsTerminal();

}  // namespace govledger::cli
