#include "reference/mobsync/guid.h"

#include <cstdio>

namespace syncmgr {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string FormatGuid(const GUID& g) {
  char text[39];
  std::snprintf(
      text, sizeof text, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
      static_cast<unsigned>(g.Data1), g.Data2, g.Data3, g.Data4[0], g.Data4[1],
      g.Data4[2], g.Data4[3], g.Data4[4], g.Data4[5], g.Data4[6], g.Data4[7]);
  return text;
}

bool ParseGuid(std::string_view text, GUID* guid, std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error != nullptr) {
      *error = "not a GUID (" + why +
               "); expected {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";
    }
    return false;
  };
  std::string_view body = text;
  if (!body.empty() && body.front() == '{') {
    if (body.size() < 2 || body.back() != '}') return fail("unbalanced brace");
    body = body.substr(1, body.size() - 2);
  } else if (!body.empty() && body.back() == '}') {
    return fail("unbalanced brace");
  }
  if (body.size() != 36) {
    return fail(std::to_string(body.size()) +
                " characters between the braces, not 36");
  }
  unsigned char bytes[16];
  int nibbles = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    const bool dash_here = (i == 8 || i == 13 || i == 18 || i == 23);
    if (dash_here) {
      if (body[i] != '-') {
        return fail("expected '-' at position " + std::to_string(i + 1));
      }
      continue;
    }
    const int v = HexValue(body[i]);
    if (v < 0) {
      return fail("'" + std::string(1, body[i]) + "' at position " +
                  std::to_string(i + 1) + " is not a hex digit");
    }
    if (nibbles % 2 == 0) {
      bytes[nibbles / 2] = static_cast<unsigned char>(v << 4);
    } else {
      bytes[nibbles / 2] |= static_cast<unsigned char>(v);
    }
    ++nibbles;
  }
  // The text is big-endian digit order for every field.
  GUID g;
  g.Data1 = (static_cast<std::uint32_t>(bytes[0]) << 24) |
            (static_cast<std::uint32_t>(bytes[1]) << 16) |
            (static_cast<std::uint32_t>(bytes[2]) << 8) | bytes[3];
  g.Data2 = static_cast<std::uint16_t>((bytes[4] << 8) | bytes[5]);
  g.Data3 = static_cast<std::uint16_t>((bytes[6] << 8) | bytes[7]);
  for (int i = 0; i < 8; ++i) g.Data4[i] = bytes[8 + i];
  *guid = g;
  return true;
}

}  // namespace syncmgr

std::ostream& operator<<(std::ostream& os, const GUID& guid) {
  return os << syncmgr::FormatGuid(guid);
}
