// File: reference/mobsync/windows_types.h
//
// The Windows base types, HRESULTs, GUIDs and the two COM interfaces every
// in-process server needs (IUnknown, IClassFactory), with the sizes and
// layouts they have on 64-bit Windows, for Linux x86-64 (LP64).
//
// The rule that makes this work: every type that is 32-bit on Windows is a
// fixed-width 32-bit type here (DWORD is `uint32_t`, never `unsigned long`,
// which is 8 bytes on LP64), WCHAR is `char16_t` (Linux `wchar_t` is 4 bytes),
// and interfaces are classes of pure virtual functions with no virtual
// destructor, so the Itanium C++ ABI lays their vtables out in the same slot
// order as MIDL's C vtables. reference/mobsync/layout_check.cc asserts it.
//
// Example:
//   IUnknown* unknown = ...;
//   ISyncMgrSynchronizeInvoke* invoke = nullptr;
//   HRESULT hr = unknown->QueryInterface(IID_PPV_ARGS(&invoke));
//   if (SUCCEEDED(hr)) { ...; invoke->Release(); }
#ifndef SYNCMGR_REFERENCE_MOBSYNC_WINDOWS_TYPES_H_
#define SYNCMGR_REFERENCE_MOBSYNC_WINDOWS_TYPES_H_

#ifdef _WIN32
// MinGW-w64 builds (windows/): the real Windows headers.
#include "windows/platform/windows_types.h"
#else  // Linux

#include <cstddef>
#include <cstdint>
#include <type_traits>

// Calling-convention and declaration macros. x64 has a single calling
// convention, so they expand to nothing but keep Windows code compiling.
#define WINAPI
#define STDMETHODCALLTYPE
#define STDAPICALLTYPE
#define STDAPI extern "C" HRESULT STDAPICALLTYPE
#define STDAPI_(type) extern "C" type STDAPICALLTYPE
#define STDMETHODIMP HRESULT STDMETHODCALLTYPE
#define STDMETHODIMP_(type) type STDMETHODCALLTYPE
#define EXTERN_C extern "C"

// Base types (docs/api-facts.md#base-types).
using BYTE = std::uint8_t;
using WORD = std::uint16_t;
using DWORD = std::uint32_t;
using ULONG = std::uint32_t;
using UINT = std::uint32_t;
using INT = std::int32_t;
using LONG = std::int32_t;
using BOOL = std::int32_t;
using WINBOOL = BOOL;
using HRESULT = std::int32_t;
using SCODE = std::int32_t;
using WCHAR = char16_t;
using OLECHAR = WCHAR;
using LPWSTR = WCHAR*;
using LPCWSTR = const WCHAR*;
using LPOLESTR = OLECHAR*;
using LPCOLESTR = const OLECHAR*;
using LPVOID = void*;
using LPDWORD = DWORD*;
using SIZE_T = std::size_t;
using ULONG_PTR = std::uintptr_t;
using LONG_PTR = std::intptr_t;
using WPARAM = std::uintptr_t;
using LPARAM = std::intptr_t;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

// Handles are distinct pointer types, as with Windows' STRICT.
#define DECLARE_HANDLE(name) \
  struct name##__ {          \
    int unused;              \
  };                         \
  typedef struct name##__* name
DECLARE_HANDLE(HWND);
DECLARE_HANDLE(HICON);
DECLARE_HANDLE(HINSTANCE);
using HMODULE = HINSTANCE;
using HANDLE = void*;

struct FILETIME {
  DWORD dwLowDateTime;
  DWORD dwHighDateTime;
};
using LPFILETIME = FILETIME*;

struct GUID {
  std::uint32_t Data1;
  std::uint16_t Data2;
  std::uint16_t Data3;
  std::uint8_t Data4[8];
};
using IID = GUID;
using CLSID = GUID;
using LPGUID = GUID*;
using LPIID = IID*;
using LPCLSID = CLSID*;
using REFGUID = const GUID&;
using REFIID = const IID&;
using REFCLSID = const CLSID&;

constexpr bool IsEqualGUID(REFGUID a, REFGUID b) {
  if (a.Data1 != b.Data1 || a.Data2 != b.Data2 || a.Data3 != b.Data3) {
    return false;
  }
  for (int i = 0; i < 8; ++i) {
    if (a.Data4[i] != b.Data4[i]) return false;
  }
  return true;
}
constexpr bool IsEqualIID(REFIID a, REFIID b) { return IsEqualGUID(a, b); }
constexpr bool IsEqualCLSID(REFCLSID a, REFCLSID b) {
  return IsEqualGUID(a, b);
}
constexpr bool operator==(REFGUID a, REFGUID b) { return IsEqualGUID(a, b); }
constexpr bool operator!=(REFGUID a, REFGUID b) { return !IsEqualGUID(a, b); }

// DEFINE_GUID(name, l, w1, w2, b1, ..., b8) defines a constant, as with
// INITGUID on Windows. Each module gets its own copy (C++17 inline variable).
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
  inline constexpr GUID name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}

DEFINE_GUID(GUID_NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
inline constexpr const GUID& CLSID_NULL = GUID_NULL;
inline constexpr const GUID& IID_NULL = GUID_NULL;

// HRESULTs (docs/api-facts.md#hresults; values checked against MinGW's
// winerror.h by the fidelity test).
#define SEVERITY_SUCCESS 0
#define SEVERITY_ERROR 1
#define FACILITY_NULL 0
#define FACILITY_RPC 1
#define FACILITY_ITF 4
#define FACILITY_WIN32 7
#define MAKE_HRESULT(sev, fac, code)                                       \
  ((HRESULT)(((unsigned long)(sev) << 31) | ((unsigned long)(fac) << 16) | \
             ((unsigned long)(code))))
#define MAKE_SCODE(sev, fac, code) MAKE_HRESULT(sev, fac, code)
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#define HRESULT_CODE(hr) ((hr)&0xFFFF)
#define HRESULT_FACILITY(hr) (((hr) >> 16) & 0x1fff)
#define HRESULT_SEVERITY(hr) (((hr) >> 31) & 0x1)

constexpr HRESULT HResultFromU32(std::uint32_t v) {
  return static_cast<HRESULT>(v);
}
#define S_OK ((HRESULT)0)
#define S_FALSE ((HRESULT)1)
#define E_NOTIMPL HResultFromU32(0x80004001u)
#define E_NOINTERFACE HResultFromU32(0x80004002u)
#define E_POINTER HResultFromU32(0x80004003u)
#define E_ABORT HResultFromU32(0x80004004u)
#define E_FAIL HResultFromU32(0x80004005u)
#define E_UNEXPECTED HResultFromU32(0x8000FFFFu)
#define E_PENDING HResultFromU32(0x8000000Au)
#define E_ACCESSDENIED HResultFromU32(0x80070005u)
#define E_HANDLE HResultFromU32(0x80070006u)
#define E_OUTOFMEMORY HResultFromU32(0x8007000Eu)
#define E_INVALIDARG HResultFromU32(0x80070057u)
#define E_NOT_SUFFICIENT_BUFFER HResultFromU32(0x8007007Au)
#define CLASS_E_NOAGGREGATION HResultFromU32(0x80040110u)
#define CLASS_E_CLASSNOTAVAILABLE HResultFromU32(0x80040111u)
#define REGDB_E_READREGDB HResultFromU32(0x80040150u)
#define REGDB_E_WRITEREGDB HResultFromU32(0x80040151u)
#define REGDB_E_KEYMISSING HResultFromU32(0x80040152u)
#define REGDB_E_CLASSNOTREG HResultFromU32(0x80040154u)
#define CO_E_NOTINITIALIZED HResultFromU32(0x800401F0u)
#define CO_E_CLASSSTRING HResultFromU32(0x800401F3u)
#define CO_E_DLLNOTFOUND HResultFromU32(0x800401F8u)
#define CO_E_ERRORINDLL HResultFromU32(0x800401F9u)
#define CO_E_OBJNOTREG HResultFromU32(0x800401FBu)
#define CO_E_SERVER_EXEC_FAILURE HResultFromU32(0x80080005u)
#define RPC_E_CALL_REJECTED HResultFromU32(0x80010001u)
#define RPC_E_CANTCALLOUT_ININPUTSYNCCALL HResultFromU32(0x8001010Du)
#define RPC_E_WRONG_THREAD HResultFromU32(0x8001010Eu)
#define HRESULT_FROM_WIN32(x) \
  ((HRESULT)(x) <= 0          \
       ? ((HRESULT)(x))       \
       : ((HRESULT)(((x)&0x0000FFFF) | (FACILITY_WIN32 << 16) | 0x80000000)))

// CLSCTX and class-object registration flags (objbase.h values).
enum tagCLSCTX : DWORD {
  CLSCTX_INPROC_SERVER = 0x1,
  CLSCTX_INPROC_HANDLER = 0x2,
  CLSCTX_LOCAL_SERVER = 0x4,
  CLSCTX_REMOTE_SERVER = 0x10,
};
#define CLSCTX_INPROC (CLSCTX_INPROC_SERVER | CLSCTX_INPROC_HANDLER)
#define CLSCTX_SERVER \
  (CLSCTX_INPROC_SERVER | CLSCTX_LOCAL_SERVER | CLSCTX_REMOTE_SERVER)
#define CLSCTX_ALL                                                      \
  (CLSCTX_INPROC_SERVER | CLSCTX_INPROC_HANDLER | CLSCTX_LOCAL_SERVER | \
   CLSCTX_REMOTE_SERVER)
enum tagREGCLS : DWORD {
  REGCLS_SINGLEUSE = 0,
  REGCLS_MULTIPLEUSE = 1,
  REGCLS_MULTI_SEPARATE = 2,
  REGCLS_SUSPENDED = 4,
  REGCLS_SURROGATE = 8,
};
enum tagCOINIT : DWORD {
  COINIT_MULTITHREADED = 0x0,
  COINIT_APARTMENTTHREADED = 0x2,
  COINIT_DISABLE_OLE1DDE = 0x4,
  COINIT_SPEED_OVER_MEMORY = 0x8,
};

// IID_IUnknown {00000000-0000-0000-C000-000000000046}
DEFINE_GUID(IID_IUnknown, 0x00000000, 0x0000, 0x0000, 0xC0, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x46);
// IID_IClassFactory {00000001-0000-0000-C000-000000000046}
DEFINE_GUID(IID_IClassFactory, 0x00000001, 0x0000, 0x0000, 0xC0, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x46);

// Maps an interface type to its IID, the role of __uuidof on Windows:
// SYNCMGR_DECLARE_IID(IFoo, IID_IFoo) after the interface's definition.
template <typename Interface>
struct InterfaceId;
#define SYNCMGR_DECLARE_IID(Interface, iid)             \
  template <>                                           \
  struct InterfaceId<Interface> {                       \
    static constexpr const IID& value() { return iid; } \
  }

class IUnknown {
 public:
  virtual HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid,
                                                   void** ppvObject) = 0;
  virtual ULONG STDMETHODCALLTYPE AddRef() = 0;
  virtual ULONG STDMETHODCALLTYPE Release() = 0;
};
using LPUNKNOWN = IUnknown*;
SYNCMGR_DECLARE_IID(IUnknown, IID_IUnknown);

class IClassFactory : public IUnknown {
 public:
  virtual HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* pUnkOuter,
                                                   REFIID riid,
                                                   void** ppvObject) = 0;
  virtual HRESULT STDMETHODCALLTYPE LockServer(BOOL fLock) = 0;
};
using LPCLASSFACTORY = IClassFactory*;
SYNCMGR_DECLARE_IID(IClassFactory, IID_IClassFactory);

// IID_PPV_ARGS(&p): the IID of *p and p's address as void**.
template <typename T>
void** IID_PPV_ARGS_Helper(T** pp) {
  static_assert(sizeof(static_cast<IUnknown*>(*pp)) == sizeof(void*),
                "IID_PPV_ARGS needs a COM interface pointer");
  return reinterpret_cast<void**>(pp);
}
#define IID_PPV_ARGS(ppType)                              \
  InterfaceId<std::remove_pointer_t<                      \
      std::remove_pointer_t<decltype(ppType)>>>::value(), \
      IID_PPV_ARGS_Helper(ppType)

// A wide string literal, WSTR("text"): WCHAR is char16_t here (wchar_t on
// Windows).
#define WSTR(s) u##s

#endif  // _WIN32
#endif  // SYNCMGR_REFERENCE_MOBSYNC_WINDOWS_TYPES_H_
