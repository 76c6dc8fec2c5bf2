#include "cli/qr.h"

#include <png.h>
#include <qrencode.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace govledger::cli {

Result<QrCode> EncodeQr(const std::string& text) {
  std::unique_ptr<QRcode, decltype(&QRcode_free)> q(
      QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_M), &QRcode_free);
  if (!q) {
    return Status::Error("qr_too_long", "the text (" + std::to_string(text.size()) +
                                            " bytes) does not fit in a QR code");
  }
  QrCode code;
  code.width = q->width;
  code.dark.resize(static_cast<size_t>(q->width) * q->width);
  for (size_t i = 0; i < code.dark.size(); ++i) code.dark[i] = q->data[i] & 1;
  return code;
}

std::string RenderQrTerminal(const QrCode& code, bool ansi) {
  constexpr int kQuiet = 2;
  const int n = code.width + 2 * kQuiet;
  auto dark = [&](int x, int y) {
    x -= kQuiet;
    y -= kQuiet;
    return x >= 0 && y >= 0 && x < code.width && y < code.width && code.Dark(x, y);
  };
  std::string out;
  for (int y = 0; y < n; y += 2) {
    if (ansi) out += "\x1b[30;47m";  // black ink on white paper
    for (int x = 0; x < n; ++x) {
      const bool top = dark(x, y), bottom = y + 1 < n && dark(x, y + 1);
      if (top && bottom) {
        out += "\u2588";
      } else if (top) {
        out += "\u2580";
      } else if (bottom) {
        out += "\u2584";
      } else {
        out += " ";
      }
    }
    if (ansi) out += "\x1b[0m";
    out += "\n";
  }
  return out;
}

Status WriteQrPng(const QrCode& code, const std::string& path, int scale) {
  constexpr int kQuiet = 4;
  const int side = (code.width + 2 * kQuiet) * scale;
  const std::string tmp = path + ".tmp";
  std::unique_ptr<FILE, decltype(&std::fclose)> f(std::fopen(tmp.c_str(), "wb"), &std::fclose);
  if (!f) return Status::Error("io_error", "cannot write " + tmp);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_write_struct(&png, &info);
    return Status::Error("io_error", "libpng could not start");
  }
  std::vector<png_byte> row(static_cast<size_t>(side));
  // libpng reports errors by longjmp: nothing with a destructor may be created below this point.
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return Status::Error("io_error", "libpng failed writing " + tmp);
  }
  png_init_io(png, f.get());
  png_set_IHDR(png, info, static_cast<png_uint_32>(side), static_cast<png_uint_32>(side), 8,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < side; ++y) {
    const int my = y / scale - kQuiet;
    for (int x = 0; x < side; ++x) {
      const int mx = x / scale - kQuiet;
      const bool dark = mx >= 0 && my >= 0 && mx < code.width && my < code.width &&
                        code.Dark(mx, my);
      row[static_cast<size_t>(x)] = dark ? 0 : 255;
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fflush(f.get()) != 0 || fsync(fileno(f.get())) != 0) {
    return Status::Error("io_error", "cannot write " + tmp);
  }
  f.reset();
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::Error("io_error", "cannot rename " + tmp + ": " + ec.message());
  return Status::Ok();
}

bool IsTerminal() { return isatty(STDOUT_FILENO) == 1; }

}  // namespace govledger::cli
