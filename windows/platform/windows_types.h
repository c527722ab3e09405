// File: windows/platform/windows_types.h
//
// The Windows side of reference/mobsync/windows_types.h: on a MinGW-w64
// build (_WIN32) that header includes this one instead of its own Linux
// declarations. The base types, HRESULTs, GUIDs, IUnknown, IClassFactory and
// the Co* functions are the real ones (<windows.h>, <objbase.h>); this file
// only adds the few names the project's sources use beyond them, so that
// reference/ and conformance/ compile unchanged against either. NOMINMAX
// keeps <windows.h>'s min/max macros away from std::min and std::max.
//
// Example (the same line on Linux and Windows):
//   register->RegisterSyncMgrHandler(clsid, WSTR("My handler"), 0);
#ifndef SYNCMGR_WINDOWS_PLATFORM_WINDOWS_TYPES_H_
#define SYNCMGR_WINDOWS_PLATFORM_WINDOWS_TYPES_H_

#ifndef _WIN32
#error "windows/platform/windows_types.h is for MinGW-w64 (Windows) builds"
#endif

#ifndef NOMINMAX
#define NOMINMAX  // std::min/std::max, not the macros
#endif
#include <windows.h>
// windows.h first.
#include <objbase.h>
#include <olectl.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

// A wide string literal: WCHAR is wchar_t on Windows (char16_t on Linux).
#define WSTR(s) L##s

constexpr HRESULT HResultFromU32(std::uint32_t v) {
  return static_cast<HRESULT>(v);
}

// Maps an interface type to its IID (our sources' stand-in for __uuidof,
// which MinGW-w64 does not provide for the mobsync interfaces).
template <typename Interface>
struct InterfaceId;
#define SYNCMGR_DECLARE_IID(Interface, iid)   \
  template <>                                 \
  struct InterfaceId<Interface> {             \
    static const IID& value() { return iid; } \
  }
SYNCMGR_DECLARE_IID(IUnknown, IID_IUnknown);
SYNCMGR_DECLARE_IID(IClassFactory, IID_IClassFactory);

// IID_PPV_ARGS through InterfaceId, as on Linux.
template <typename T>
void** SyncmgrPpvArgsHelper(T** pp) {
  static_assert(sizeof(static_cast<IUnknown*>(*pp)) == sizeof(void*),
                "IID_PPV_ARGS needs a COM interface pointer");
  return reinterpret_cast<void**>(pp);
}
#undef IID_PPV_ARGS
#define IID_PPV_ARGS(ppType)                              \
  InterfaceId<std::remove_pointer_t<                      \
      std::remove_pointer_t<decltype(ppType)>>>::value(), \
      SyncmgrPpvArgsHelper(ppType)

#endif  // SYNCMGR_WINDOWS_PLATFORM_WINDOWS_TYPES_H_
