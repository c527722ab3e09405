// File: windows/platform/self_registration.h
//
// The registry keys of an in-proc server, for the DllRegisterServer and
// DllUnregisterServer of our DLLs:
//   HKCR\CLSID\{clsid}                  (default) = description
//   HKCR\CLSID\{clsid}\InprocServer32   (default) = the module's path,
//                                       ThreadingModel = threading_model
//
// and what a sync handler's DllRegisterServer and DllUnregisterServer do
// on top of them: tell the Sync Manager (CLSID_SyncMgr's ISyncMgrRegister).
//
// Example:
//   STDAPI DllRegisterServer() {
//     return syncmgr::windows::RegisterSyncHandler(g_module, kClsid,
//                                                  L"My handler", L"Both");
//   }
//   STDAPI DllUnregisterServer() {
//     return syncmgr::windows::UnregisterSyncHandler(kClsid);
//   }
#ifndef SYNCMGR_WINDOWS_PLATFORM_SELF_REGISTRATION_H_
#define SYNCMGR_WINDOWS_PLATFORM_SELF_REGISTRATION_H_

#include <objbase.h>
#include <windows.h>

#include "reference/mobsync/mobsync.h"

namespace syncmgr::windows {

// S_OK, or SELFREG_E_CLASS when a key or value cannot be written.
HRESULT RegisterInprocServerKeys(HMODULE module, REFCLSID clsid,
                                 const wchar_t* description,
                                 const wchar_t* threading_model);

// Removes HKCR\CLSID\{clsid}; S_OK also when it was not there.
HRESULT UnregisterInprocServerKeys(REFCLSID clsid);

// Runs call(ISyncMgrRegister*) on CLSID_SyncMgr's object, with COM
// initialized on this thread around it (regsvr32 may not have): call's
// answer, or CoCreateInstance's failure.
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

// The in-proc server keys (ThreadingModel `threading_model`), then
// RegisterSyncMgrHandler(clsid, name, 0).
HRESULT RegisterSyncHandler(HMODULE module, REFCLSID clsid, const wchar_t* name,
                            const wchar_t* threading_model);

// UnregisterSyncMgrHandler(clsid), then the keys: S_OK when both went.
HRESULT UnregisterSyncHandler(REFCLSID clsid);

}  // namespace syncmgr::windows

#endif  // SYNCMGR_WINDOWS_PLATFORM_SELF_REGISTRATION_H_
