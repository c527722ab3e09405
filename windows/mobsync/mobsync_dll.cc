// mobsync.dll: the reference Sync Manager as a Windows in-proc server, for
// Wine (which has none) or any Windows without one. DllGetClassObject and
// DllCanUnloadNow come from reference/plugin_entry.cc, the same entry points
// the Linux plug-in has; this file adds what a Windows in-proc server and
// Windows' mobsync.dll export beyond them:
//
//   DllRegisterServer    HKCR\CLSID\{6295DF27-...}\InprocServer32 = this DLL
//                        (ThreadingModel Both)
//   DllUnregisterServer  removes that key
//   SyncMgrResolveConflictW/A  the conflict dialog, headless: no UI, the
//                        documented "cancel" answer (RFC_CANCEL)
//
// Configuration as for the plug-in: SYNCMGR_REFERENCE_MODE=sync|async and
// SYNCMGR_REFERENCE_TIMEOUT_MS in the environment of the process.
#include <string>

#include "reference/mobsync/mobsync.h"

namespace {

HINSTANCE g_module = nullptr;

constexpr const wchar_t* kDescription =
    L"Synchronization Manager (syncmgr-conformance reference)";

std::wstring ClsidKey() {
  wchar_t text[40] = {};
  StringFromGUID2(CLSID_SyncMgr, text, 40);
  return std::wstring(L"CLSID\\") + text;
}

bool SetString(HKEY key, const wchar_t* name, const std::wstring& value) {
  return RegSetValueExW(
             key, name, 0, REG_SZ, reinterpret_cast<const BYTE*>(value.c_str()),
             static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t))) ==
         ERROR_SUCCESS;
}

}  // namespace

extern "C" BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID) {
  if (reason == DLL_PROCESS_ATTACH) {
    g_module = instance;
    DisableThreadLibraryCalls(instance);
  }
  return TRUE;
}

STDAPI DllRegisterServer() {
  wchar_t path[MAX_PATH * 4];
  const DWORD n = GetModuleFileNameW(g_module, path, MAX_PATH * 4);
  if (n == 0 || n >= MAX_PATH * 4) return SELFREG_E_CLASS;
  HKEY clsid = nullptr, server = nullptr;
  if (RegCreateKeyExW(HKEY_CLASSES_ROOT, ClsidKey().c_str(), 0, nullptr, 0,
                      KEY_WRITE, nullptr, &clsid, nullptr) != ERROR_SUCCESS) {
    return SELFREG_E_CLASS;
  }
  bool ok = SetString(clsid, nullptr, kDescription) &&
            RegCreateKeyExW(clsid, L"InprocServer32", 0, nullptr, 0, KEY_WRITE,
                            nullptr, &server, nullptr) == ERROR_SUCCESS;
  if (ok) {
    ok = SetString(server, nullptr, path) &&
         SetString(server, L"ThreadingModel", L"Both");
    RegCloseKey(server);
  }
  RegCloseKey(clsid);
  return ok ? S_OK : SELFREG_E_CLASS;
}

STDAPI DllUnregisterServer() {
  const LSTATUS status = RegDeleteTreeW(HKEY_CLASSES_ROOT, ClsidKey().c_str());
  return status == ERROR_SUCCESS || status == ERROR_FILE_NOT_FOUND
             ? S_OK
             : SELFREG_E_CLASS;
}

// Headless: no dialog is shown and the caller is told the user cancelled,
// so that it keeps both versions untouched.
extern "C" int WINAPI SyncMgrResolveConflictW(HWND, RFCDLGPARAMW*) {
  return RFC_CANCEL;
}
extern "C" int WINAPI SyncMgrResolveConflictA(HWND, RFCDLGPARAMA*) {
  return RFC_CANCEL;
}
