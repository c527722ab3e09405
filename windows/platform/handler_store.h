// File: windows/platform/handler_store.h
//
// Where mobsync.dll keeps handler registrations on Windows: in the registry,
// so that a registration made in one process (a handler's
// DllRegisterServer, run by regsvr32) is seen by every other process, as
// with Windows' own Sync Manager. reference/internal/handler_registry.cc
// calls these on _WIN32 builds, beside its in-process table.
//
// Key: HKLM\Software\Microsoft\Windows\CurrentVersion\Syncmgr\Handlers
//      \{CLSID}   (default value: the description,
//      "RegisterFlags": the SYNCMGRREGISTERFLAGS, REG_DWORD)
// Windows' own mobsync.dll keeps its handler list under the same path
// (unverified beyond the key name); ours only needs to agree with itself.
#ifndef SYNCMGR_WINDOWS_PLATFORM_HANDLER_STORE_H_
#define SYNCMGR_WINDOWS_PLATFORM_HANDLER_STORE_H_

#include <string>
#include <vector>

#include "reference/mobsync/windows_types.h"

namespace syncmgr::windows {

// Each returns false when the registry could not be written or read.
bool StoreHandler(const GUID& clsid, const std::wstring& description,
                  DWORD flags);
// True if a stored registration was removed.
bool EraseStoredHandler(const GUID& clsid);
// True if `clsid` is stored; *flags (if not null) gets its flags.
bool LoadStoredHandler(const GUID& clsid, DWORD* flags);
std::vector<GUID> StoredHandlers();

}  // namespace syncmgr::windows

#endif  // SYNCMGR_WINDOWS_PLATFORM_HANDLER_STORE_H_
