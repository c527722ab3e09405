#include "windows/platform/handler_store.h"

#include <cwchar>

namespace syncmgr::windows {
namespace {

constexpr const wchar_t* kHandlersKey =
    L"Software\\Microsoft\\Windows\\CurrentVersion\\Syncmgr\\Handlers";

std::wstring ClsidText(const GUID& clsid) {
  wchar_t text[40] = {};
  StringFromGUID2(clsid, text, 40);
  return text;
}

std::wstring KeyOf(const GUID& clsid) {
  return std::wstring(kHandlersKey) + L"\\" + ClsidText(clsid);
}

}  // namespace

bool StoreHandler(const GUID& clsid, const std::wstring& description,
                  DWORD flags) {
  HKEY key = nullptr;
  if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, KeyOf(clsid).c_str(), 0, nullptr, 0,
                      KEY_WRITE, nullptr, &key, nullptr) != ERROR_SUCCESS) {
    return false;
  }
  bool ok =
      RegSetValueExW(key, nullptr, 0, REG_SZ,
                     reinterpret_cast<const BYTE*>(description.c_str()),
                     static_cast<DWORD>((description.size() + 1) *
                                        sizeof(wchar_t))) == ERROR_SUCCESS;
  ok = ok && RegSetValueExW(key, L"RegisterFlags", 0, REG_DWORD,
                            reinterpret_cast<const BYTE*>(&flags),
                            sizeof flags) == ERROR_SUCCESS;
  RegCloseKey(key);
  return ok;
}

bool EraseStoredHandler(const GUID& clsid) {
  return RegDeleteKeyW(HKEY_LOCAL_MACHINE, KeyOf(clsid).c_str()) ==
         ERROR_SUCCESS;
}

bool LoadStoredHandler(const GUID& clsid, DWORD* flags) {
  HKEY key = nullptr;
  if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, KeyOf(clsid).c_str(), 0, KEY_READ,
                    &key) != ERROR_SUCCESS) {
    return false;
  }
  DWORD value = 0, size = sizeof value, type = 0;
  if (RegQueryValueExW(key, L"RegisterFlags", nullptr, &type,
                       reinterpret_cast<BYTE*>(&value),
                       &size) != ERROR_SUCCESS ||
      type != REG_DWORD) {
    value = 0;
  }
  RegCloseKey(key);
  if (flags != nullptr) *flags = value;
  return true;
}

std::vector<GUID> StoredHandlers() {
  std::vector<GUID> clsids;
  HKEY key = nullptr;
  if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, kHandlersKey, 0, KEY_READ, &key) !=
      ERROR_SUCCESS) {
    return clsids;
  }
  for (DWORD i = 0;; ++i) {
    wchar_t name[64];
    DWORD length = 64;
    if (RegEnumKeyExW(key, i, name, &length, nullptr, nullptr, nullptr,
                      nullptr) != ERROR_SUCCESS) {
      break;
    }
    GUID clsid;
    if (SUCCEEDED(CLSIDFromString(name, &clsid))) clsids.push_back(clsid);
  }
  RegCloseKey(key);
  return clsids;
}

}  // namespace syncmgr::windows
