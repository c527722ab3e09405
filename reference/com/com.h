// File: reference/com/com.h
//
// A small COM runtime for Linux with Windows' names and signatures (ole32's
// Co* functions), so that code written for Windows compiles and links
// unchanged, plus the few extensions a host needs to play the part of the
// Windows registry (which in-proc server serves which CLSID).
//
// The runtime is free-threaded: there are no apartments, CoInitializeEx only
// counts, and every function may be called from any thread.
//
// Plug-ins (handlers, Sync Manager implementations) call these functions by
// their plain C names and leave them undefined; the host exports them
// (README.md, "The plug-in contract").
//
// Example (host):
//   std::string error;
//   if (FAILED(syncmgr::com::RegisterInprocServer(kHandlerClsid,
//                                                 "/path/handler.so",
//                                                 &error))) {
//     std::cerr << error << "\n";
//   }
//   ISyncMgrSynchronize* handler = nullptr;
//   HRESULT hr = CoCreateInstance(kHandlerClsid, nullptr,
//                                 CLSCTX_INPROC_SERVER,
//                                 IID_PPV_ARGS(&handler));
#ifndef SYNCMGR_REFERENCE_COM_COM_H_
#define SYNCMGR_REFERENCE_COM_COM_H_

#ifdef _WIN32
// MinGW-w64 builds (windows/): ole32 itself, plus the same extensions.
#include "windows/platform/com.h"
#else  // Linux

#include <cstddef>
#include <functional>
#include <string>

#include "reference/mobsync/windows_types.h"

// IIDFromString's code for malformed text (winerror.h value).
#ifndef CO_E_IIDSTRING
#define CO_E_IIDSTRING HResultFromU32(0x800401F4u)
#endif

// ---- ole32 entry points (Windows names and signatures) ----
extern "C" {

// Counts per thread: S_OK for the first call on a thread, S_FALSE after it
// (until as many CoUninitialize calls), E_INVALIDARG if pvReserved is not
// NULL. dwCoInit is accepted and ignored. No function requires it.
HRESULT CoInitializeEx(LPVOID pvReserved, DWORD dwCoInit);
HRESULT CoInitialize(LPVOID pvReserved);
void CoUninitialize(void);

// Looks up, in order: class objects registered with CoRegisterClassObject,
// then in-proc servers registered with syncmgr::com::RegisterInprocServer
// (loading the shared object on first use). Returns REGDB_E_CLASSNOTREG for
// an unknown CLSID, CLASS_E_NOAGGREGATION when pUnkOuter is not NULL,
// E_POINTER for a NULL ppv, CO_E_DLLNOTFOUND / CO_E_ERRORINDLL when the
// server cannot be loaded, and whatever the server's factory returns
// otherwise (a factory that returns S_OK with a NULL object yields
// E_UNEXPECTED). syncmgr::com::LastActivationError() explains a failure.
// Only in-process servers exist: a dwClsContext without CLSCTX_INPROC_SERVER
// yields REGDB_E_CLASSNOTREG.
HRESULT CoCreateInstance(REFCLSID rclsid, LPUNKNOWN pUnkOuter,
                         DWORD dwClsContext, REFIID riid, LPVOID* ppv);
// The lookup of CoCreateInstance, returning the class object itself (asked
// for riid). E_INVALIDARG for a NULL ppv, as ole32. pvReserved is ignored.
HRESULT CoGetClassObject(REFCLSID rclsid, DWORD dwClsContext, LPVOID pvReserved,
                         REFIID riid, LPVOID* ppv);
// Holds a reference to pUnk (AddRef) until CoRevokeClassObject or
// syncmgr::com::ResetRegistrations releases it, and returns a cookie that is
// non-zero and unique among the current registrations. The registration
// serves activations whose dwClsContext shares a bit with dwClsContext; when
// several serve a CLSID, the earliest wins (as Wine). flags (REGCLS_*) are
// accepted and ignored. E_INVALIDARG for a NULL pUnk or lpdwRegister.
HRESULT CoRegisterClassObject(REFCLSID rclsid, LPUNKNOWN pUnk,
                              DWORD dwClsContext, DWORD flags,
                              LPDWORD lpdwRegister);
// S_OK, or CO_E_OBJNOTREG for a cookie that is not registered (any more).
HRESULT CoRevokeClassObject(DWORD dwRegister);

// The task allocator: CoTaskMemAlloc(0) returns a unique non-NULL pointer,
// CoTaskMemFree(NULL) does nothing, CoTaskMemRealloc follows realloc
// (CoTaskMemRealloc(NULL, cb) allocates; CoTaskMemRealloc(pv, 0) frees pv
// and returns NULL; on failure pv is left allocated and unchanged).
LPVOID CoTaskMemAlloc(SIZE_T cb);
LPVOID CoTaskMemRealloc(LPVOID pv, SIZE_T cb);
void CoTaskMemFree(LPVOID pv);

// GUID <-> text, as ole32: StringFromGUID2 writes 39 WCHARs (with the NUL)
// and returns that count, or 0 if cchMax is too small. CLSIDFromString
// accepts "{...}" and returns CO_E_CLASSSTRING on malformed text.
// As Wine's ole32: a NULL lpsz yields GUID_NULL and S_OK, a NULL out-pointer
// E_INVALIDARG. CLSIDFromString sets *pclsid to CLSID_NULL on failure.
// IIDFromString returns E_INVALIDARG (leaving *lpiid alone) for text that is
// not 38 characters long and CO_E_IIDSTRING (setting IID_NULL) for malformed
// text of that length. Characters outside ASCII are malformed.
int StringFromGUID2(REFGUID rguid, LPOLESTR lpsz, int cchMax);
HRESULT CLSIDFromString(LPCOLESTR lpsz, LPCLSID pclsid);
HRESULT IIDFromString(LPCOLESTR lpsz, LPIID lpiid);

}  // extern "C"

// What an in-proc server exports (the plug-in contract).
using DllGetClassObjectFn = HRESULT (*)(REFCLSID, REFIID, LPVOID*);
using DllCanUnloadNowFn = HRESULT (*)();

namespace syncmgr::com {

// ---- The registry of in-proc servers (HKCR\CLSID\{...}\InprocServer32) ----

// Records that `path` serves `clsid`. The shared object is opened and its
// DllGetClassObject resolved now, so that a bad plug-in is reported here:
// CO_E_DLLNOTFOUND (not a loadable shared object), CO_E_ERRORINDLL (no
// DllGetClassObject). Re-registering a CLSID replaces the path. Shared
// objects are never unloaded during a run. A failure is also put in *error
// (if not null), the same line as LastActivationError().
HRESULT RegisterInprocServer(REFCLSID clsid, const std::string& path,
                             std::string* error);
// S_OK if it was registered, S_FALSE if not.
HRESULT UnregisterInprocServer(REFCLSID clsid);

// Calls the DllCanUnloadNow of the shared object at `path` (loaded earlier):
// S_OK or S_FALSE from the server; S_FALSE if it exports no
// DllCanUnloadNow; CO_E_DLLNOTFOUND if it was never loaded.
HRESULT InprocServerCanUnloadNow(const std::string& path);

// Opens a shared object as a plug-in without registering any CLSID, and
// returns its entry points (can_unload may be null). Same codes as
// RegisterInprocServer, with a one-line reason in *error (if not null).
HRESULT LoadInprocServer(const std::string& path,
                         DllGetClassObjectFn* get_class_object,
                         DllCanUnloadNowFn* can_unload, std::string* error);

// Forgets every class object and in-proc server registration (tests),
// releasing the class objects. Loaded shared objects stay loaded.
void ResetRegistrations();

// A one-line explanation of the last failure of CoCreateInstance,
// CoGetClassObject or RegisterInprocServer on this thread: the API, the CLSID
// in registry format, the HRESULT and the reason, e.g.
//   CoCreateInstance({...}): REGDB_E_CLASSNOTREG (0x80040154): no class
//   object or in-proc server is registered for this CLSID
// Empty until a failure; a later success does not clear it.
std::string LastActivationError();

// ---- Task allocator instrumentation (tests, fuzzing) ----

// Blocks still allocated with CoTaskMemAlloc/Realloc and not yet freed.
long OutstandingTaskMemAllocations();

// Whether `pv` is a live block of CoTaskMemAlloc/Realloc (not malloc's, new's
// or another allocator's, and not one already freed). CoTaskMemFree of
// another block frees it with free() and does not count it.
bool IsTaskMemBlock(const void* pv);

// Whether `pv` is a block of CoTaskMemAlloc/Realloc not yet freed, exactly.
// Here the same as IsTaskMemBlock; windows/platform/com.h has both too, and
// there only this one is exact for a freed block (it watches the blocks
// allocated after the first call of OutstandingTaskMemAllocations).
bool IsLiveTaskMemBlock(const void* pv);

// While set, CoTaskMemAlloc/Realloc call `fail(size)` first and return NULL
// when it returns true. Pass nullptr to clear. Process-wide.
void SetTaskMemFailureHook(std::function<bool(SIZE_T)> fail);

}  // namespace syncmgr::com

#endif  // _WIN32
#endif  // SYNCMGR_REFERENCE_COM_COM_H_
