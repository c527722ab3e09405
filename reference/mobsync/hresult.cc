#include "reference/mobsync/hresult.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "reference/mobsync/mobsync.h"

namespace syncmgr {
namespace {

struct NamedHresult {
  HRESULT value;
  const char* name;
};

#define NAMED(code) \
  { code, #code }
constexpr NamedHresult kNames[] = {
    NAMED(S_OK),
    NAMED(S_FALSE),
    NAMED(S_SYNCMGR_MISSINGITEMS),
    NAMED(S_SYNCMGR_RETRYSYNC),
    NAMED(S_SYNCMGR_CANCELITEM),
    NAMED(S_SYNCMGR_CANCELALL),
    NAMED(S_SYNCMGR_ITEMDELETED),
    NAMED(S_SYNCMGR_ENUMITEMS),
    NAMED(E_NOTIMPL),
    NAMED(E_NOINTERFACE),
    NAMED(E_POINTER),
    NAMED(E_ABORT),
    NAMED(E_FAIL),
    NAMED(E_UNEXPECTED),
    NAMED(E_PENDING),
    NAMED(E_ACCESSDENIED),
    NAMED(E_HANDLE),
    NAMED(E_OUTOFMEMORY),
    NAMED(E_INVALIDARG),
    NAMED(E_NOT_SUFFICIENT_BUFFER),
    NAMED(CLASS_E_NOAGGREGATION),
    NAMED(CLASS_E_CLASSNOTAVAILABLE),
    NAMED(REGDB_E_READREGDB),
    NAMED(REGDB_E_WRITEREGDB),
    NAMED(REGDB_E_KEYMISSING),
    NAMED(REGDB_E_CLASSNOTREG),
    NAMED(CO_E_NOTINITIALIZED),
    NAMED(CO_E_CLASSSTRING),
    NAMED(CO_E_DLLNOTFOUND),
    NAMED(CO_E_ERRORINDLL),
    NAMED(CO_E_OBJNOTREG),
    NAMED(CO_E_SERVER_EXEC_FAILURE),
    NAMED(RPC_E_CALL_REJECTED),
    NAMED(RPC_E_CANTCALLOUT_ININPUTSYNCCALL),
    NAMED(RPC_E_WRONG_THREAD),
};
#undef NAMED

}  // namespace

const char* HresultName(HRESULT hr) {
  for (const NamedHresult& n : kNames) {
    if (n.value == hr) return n.name;
  }
  return nullptr;
}

std::string DescribeHresult(HRESULT hr) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08X", static_cast<unsigned>(hr));
  const char* name = HresultName(hr);
  if (name == nullptr) return hex;
  return std::string(name) + " (" + hex + ")";
}

bool ParseHresult(std::string_view text, HRESULT* hr) {
  for (const NamedHresult& n : kNames) {
    if (text == n.name) {
      *hr = n.value;
      return true;
    }
  }
  if (text.size() < 3 || text.size() > 10 || text[0] != '0' ||
      (text[1] != 'x' && text[1] != 'X')) {
    return false;
  }
  const std::string digits(text.substr(2));
  for (char c : digits) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  char* end = nullptr;
  const unsigned long v = std::strtoul(digits.c_str(), &end, 16);
  if (end == digits.c_str() || *end != '\0') return false;
  *hr = static_cast<HRESULT>(static_cast<std::uint32_t>(v));
  return true;
}

}  // namespace syncmgr
