// sample_handler.dll: the bundled sample handler
// (conformance/handlers/sample_handler.cc, with its DllGetClassObject and
// DllCanUnloadNow from sample_handler_module.cc) as a Windows in-proc
// server that registers itself the way Windows handlers do:
//
//   regsvr32 sample_handler.dll
//     -> HKCR\CLSID\{5A3F1E00-...}\InprocServer32 = this DLL (Both)
//     -> CoCreateInstance(CLSID_SyncMgr) -> ISyncMgrRegister::
//        RegisterSyncMgrHandler(clsid, L"Sample handler", 0)
//   regsvr32 /u sample_handler.dll   undoes both.
#include "conformance/handlers/sample_handler.h"
#include "reference/mobsync/mobsync.h"
#include "windows/platform/self_registration.h"

namespace {

HINSTANCE g_module = nullptr;

}  // namespace

extern "C" BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID) {
  if (reason == DLL_PROCESS_ATTACH) {
    g_module = instance;
    DisableThreadLibraryCalls(instance);
  }
  return TRUE;
}

STDAPI DllRegisterServer() {
  return syncmgr::windows::RegisterSyncHandler(
      g_module, syncmgr::sample::kSampleHandlerClsid, L"Sample handler",
      L"Both");
}

STDAPI DllUnregisterServer() {
  return syncmgr::windows::UnregisterSyncHandler(
      syncmgr::sample::kSampleHandlerClsid);
}
