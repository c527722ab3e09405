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
#include "reference/mobsync/mobsync.h"
#include "windows/platform/self_registration.h"

namespace {

HINSTANCE g_module = nullptr;

constexpr const wchar_t* kDescription =
    L"Synchronization Manager (syncmgr-conformance reference)";

}  // namespace

extern "C" BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID) {
  if (reason == DLL_PROCESS_ATTACH) {
    g_module = instance;
    DisableThreadLibraryCalls(instance);
  }
  return TRUE;
}

STDAPI DllRegisterServer() {
  return syncmgr::windows::RegisterInprocServerKeys(g_module, CLSID_SyncMgr,
                                                    kDescription, L"Both");
}

STDAPI DllUnregisterServer() {
  return syncmgr::windows::UnregisterInprocServerKeys(CLSID_SyncMgr);
}

// Headless: no dialog is shown and the caller is told the user cancelled,
// so that it keeps both versions untouched.
extern "C" int WINAPI SyncMgrResolveConflictW(HWND, RFCDLGPARAMW*) {
  return RFC_CANCEL;
}
extern "C" int WINAPI SyncMgrResolveConflictA(HWND, RFCDLGPARAMA*) {
  return RFC_CANCEL;
}
