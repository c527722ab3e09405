// File: reference/mobsync/hresult.h
//
// HRESULTs for people: every message of the suite prints a code as its name
// and hex value, `E_INVALIDARG (0x80070057)`.
//
// Example:
//   HRESULT hr = invoke->UpdateItems(0x1, clsid, 0, nullptr);
//   std::cerr << "UpdateItems returned " << syncmgr::DescribeHresult(hr);
#ifndef SYNCMGR_REFERENCE_MOBSYNC_HRESULT_H_
#define SYNCMGR_REFERENCE_MOBSYNC_HRESULT_H_

#include <string>
#include <string_view>

#include "reference/mobsync/windows_types.h"

namespace syncmgr {

// The symbolic name (e.g. "E_INVALIDARG"), or nullptr for a code we do not
// know by name.
const char* HresultName(HRESULT hr);

// "E_INVALIDARG (0x80070057)", or "0x80001234" for an unnamed code.
std::string DescribeHresult(HRESULT hr);

// Reads a name ("E_FAIL") or a hex value ("0x80004005"). Returns false on
// anything else.
bool ParseHresult(std::string_view text, HRESULT* hr);

}  // namespace syncmgr

#endif  // SYNCMGR_REFERENCE_MOBSYNC_HRESULT_H_
