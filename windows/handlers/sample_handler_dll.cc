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

// Runs `call` with COM initialized on this thread (regsvr32 may not have).
template <typename Call>
HRESULT WithSyncManager(Call&& call) {
  const HRESULT init = CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED);
  ISyncMgrRegister* reg = nullptr;
  HRESULT hr =
      CoCreateInstance(CLSID_SyncMgr, nullptr, CLSCTX_INPROC_SERVER,
                       IID_ISyncMgrRegister, reinterpret_cast<void**>(&reg));
  if (SUCCEEDED(hr)) {
    hr = call(reg);
    reg->Release();
  }
  if (SUCCEEDED(init)) CoUninitialize();
  return hr;
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
  const HRESULT hr = syncmgr::windows::RegisterInprocServerKeys(
      g_module, syncmgr::sample::kSampleHandlerClsid, L"Sample sync handler",
      L"Both");
  if (FAILED(hr)) return hr;
  // The Sync Manager learns about the handler from the handler itself.
  return WithSyncManager([](ISyncMgrRegister* reg) {
    return reg->RegisterSyncMgrHandler(syncmgr::sample::kSampleHandlerClsid,
                                       L"Sample handler", 0);
  });
}

STDAPI DllUnregisterServer() {
  const HRESULT hr = WithSyncManager([](ISyncMgrRegister* reg) {
    return reg->UnregisterSyncMgrHandler(syncmgr::sample::kSampleHandlerClsid,
                                         0);
  });
  const HRESULT keys = syncmgr::windows::UnregisterInprocServerKeys(
      syncmgr::sample::kSampleHandlerClsid);
  if (FAILED(keys)) return keys;
  return SUCCEEDED(hr) ? S_OK : hr;
}
