#include "windows/platform/self_registration.h"

#include <objbase.h>
#include <olectl.h>

#include <string>

namespace syncmgr::windows {
namespace {

std::wstring ClsidKey(REFCLSID clsid) {
  wchar_t text[40] = {};
  StringFromGUID2(clsid, text, 40);
  return std::wstring(L"CLSID\\") + text;
}

bool SetString(HKEY key, const wchar_t* name, const std::wstring& value) {
  return RegSetValueExW(
             key, name, 0, REG_SZ, reinterpret_cast<const BYTE*>(value.c_str()),
             static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t))) ==
         ERROR_SUCCESS;
}

}  // namespace

HRESULT RegisterInprocServerKeys(HMODULE module, REFCLSID clsid,
                                 const wchar_t* description,
                                 const wchar_t* threading_model) {
  wchar_t path[MAX_PATH * 4];
  const DWORD n = GetModuleFileNameW(module, path, MAX_PATH * 4);
  if (n == 0 || n >= MAX_PATH * 4) return SELFREG_E_CLASS;
  HKEY key = nullptr, server = nullptr;
  if (RegCreateKeyExW(HKEY_CLASSES_ROOT, ClsidKey(clsid).c_str(), 0, nullptr, 0,
                      KEY_WRITE, nullptr, &key, nullptr) != ERROR_SUCCESS) {
    return SELFREG_E_CLASS;
  }
  bool ok = SetString(key, nullptr, description) &&
            RegCreateKeyExW(key, L"InprocServer32", 0, nullptr, 0, KEY_WRITE,
                            nullptr, &server, nullptr) == ERROR_SUCCESS;
  if (ok) {
    ok = SetString(server, nullptr, path) &&
         SetString(server, L"ThreadingModel", threading_model);
    RegCloseKey(server);
  }
  RegCloseKey(key);
  return ok ? S_OK : SELFREG_E_CLASS;
}

HRESULT RegisterSyncHandler(HMODULE module, REFCLSID clsid, const wchar_t* name,
                            const wchar_t* threading_model) {
  const HRESULT hr =
      RegisterInprocServerKeys(module, clsid, name, threading_model);
  if (FAILED(hr)) return hr;
  // The Sync Manager learns about the handler from the handler itself.
  return WithSyncManager([&](ISyncMgrRegister* reg) {
    return reg->RegisterSyncMgrHandler(clsid, name, 0);
  });
}

HRESULT UnregisterSyncHandler(REFCLSID clsid) {
  const HRESULT hr = WithSyncManager([&](ISyncMgrRegister* reg) {
    return reg->UnregisterSyncMgrHandler(clsid, 0);
  });
  const HRESULT keys = UnregisterInprocServerKeys(clsid);
  if (FAILED(keys)) return keys;
  return SUCCEEDED(hr) ? S_OK : hr;
}

HRESULT UnregisterInprocServerKeys(REFCLSID clsid) {
  const LSTATUS status =
      RegDeleteTreeW(HKEY_CLASSES_ROOT, ClsidKey(clsid).c_str());
  return status == ERROR_SUCCESS || status == ERROR_FILE_NOT_FOUND
             ? S_OK
             : SELFREG_E_CLASS;
}

}  // namespace syncmgr::windows
