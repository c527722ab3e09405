// File: reference/mobsync/guid.h
//
// GUID text in the registry format, `{6295DF27-35EE-11D1-8707-00C04FD93327}`.
//
// Example:
//   GUID clsid;
//   std::string error;
//   if (!syncmgr::ParseGuid(argv[1], &clsid, &error)) {
//     std::cerr << "--clsid: " << error << "\n";
//     return 2;
//   }
//   std::cout << syncmgr::FormatGuid(clsid) << "\n";
#ifndef SYNCMGR_REFERENCE_MOBSYNC_GUID_H_
#define SYNCMGR_REFERENCE_MOBSYNC_GUID_H_

#include <ostream>
#include <string>
#include <string_view>

#include "reference/mobsync/windows_types.h"

namespace syncmgr {

// Upper-case hex, with braces: 38 characters.
std::string FormatGuid(const GUID& guid);

// Accepts exactly `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` (hex digits of
// either case; the braces are optional). On failure returns false, leaves
// *guid unchanged and puts a one-line reason in *error (if not null).
bool ParseGuid(std::string_view text, GUID* guid, std::string* error);

}  // namespace syncmgr

// GoogleTest and streams print GUIDs in registry format.
std::ostream& operator<<(std::ostream& os, const GUID& guid);

#endif  // SYNCMGR_REFERENCE_MOBSYNC_GUID_H_
