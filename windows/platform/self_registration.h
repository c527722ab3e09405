// File: windows/platform/self_registration.h
//
// The registry keys of an in-proc server, for the DllRegisterServer and
// DllUnregisterServer of our DLLs:
//   HKCR\CLSID\{clsid}                  (default) = description
//   HKCR\CLSID\{clsid}\InprocServer32   (default) = the module's path,
//                                       ThreadingModel = threading_model
//
// Example:
//   STDAPI DllRegisterServer() {
//     return syncmgr::windows::RegisterInprocServerKeys(
//         g_module, kClsid, L"My handler", L"Both");
//   }
#ifndef SYNCMGR_WINDOWS_PLATFORM_SELF_REGISTRATION_H_
#define SYNCMGR_WINDOWS_PLATFORM_SELF_REGISTRATION_H_

#include <windows.h>

namespace syncmgr::windows {

// S_OK, or SELFREG_E_CLASS when a key or value cannot be written.
HRESULT RegisterInprocServerKeys(HMODULE module, REFCLSID clsid,
                                 const wchar_t* description,
                                 const wchar_t* threading_model);

// Removes HKCR\CLSID\{clsid}; S_OK also when it was not there.
HRESULT UnregisterInprocServerKeys(REFCLSID clsid);

}  // namespace syncmgr::windows

#endif  // SYNCMGR_WINDOWS_PLATFORM_SELF_REGISTRATION_H_
