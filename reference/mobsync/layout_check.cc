// Compile-time proof that reference/mobsync has 64-bit Windows' layouts and
// values. Every number below was measured on Windows x64 (MinGW-w64 headers
// run under Wine) or read from the SDK header, as docs/api-facts.md records;
// none was copied from our own header. The fidelity test
// (reference/mobsync/fidelity) re-checks them against the real header at run
// time.
#include <cstddef>

#include "reference/mobsync/mobsync.h"

namespace {

#define CHECK_SIZE(type, size, align)                   \
  static_assert(sizeof(type) == (size), #type " size"); \
  static_assert(alignof(type) == (align), #type " alignment")
#define CHECK_OFFSET(type, field, offset) \
  static_assert(offsetof(type, field) == (offset), #type "." #field " offset")

// Base types (docs/api-facts.md#base-types).
CHECK_SIZE(BYTE, 1, 1);
CHECK_SIZE(WORD, 2, 2);
CHECK_SIZE(DWORD, 4, 4);
CHECK_SIZE(ULONG, 4, 4);
CHECK_SIZE(UINT, 4, 4);
CHECK_SIZE(INT, 4, 4);
CHECK_SIZE(LONG, 4, 4);
CHECK_SIZE(BOOL, 4, 4);
CHECK_SIZE(HRESULT, 4, 4);
CHECK_SIZE(WCHAR, 2, 2);
CHECK_SIZE(LPCWSTR, 8, 8);
CHECK_SIZE(HICON, 8, 8);
CHECK_SIZE(HWND, 8, 8);
CHECK_SIZE(GUID, 16, 4);
CHECK_SIZE(FILETIME, 8, 4);
static_assert(static_cast<HRESULT>(-1) < 0, "HRESULT is signed");
static_assert(static_cast<DWORD>(-1) > 0, "DWORD is unsigned");
CHECK_OFFSET(GUID, Data1, 0);
CHECK_OFFSET(GUID, Data2, 4);
CHECK_OFFSET(GUID, Data3, 6);
CHECK_OFFSET(GUID, Data4, 8);
CHECK_OFFSET(FILETIME, dwLowDateTime, 0);
CHECK_OFFSET(FILETIME, dwHighDateTime, 4);

// Enums are 32-bit (docs/api-facts.md#base-types).
CHECK_SIZE(SYNCMGRFLAG, 4, 4);
CHECK_SIZE(SYNCMGRHANDLERFLAGS, 4, 4);
CHECK_SIZE(SYNCMGRSTATUS, 4, 4);
CHECK_SIZE(SYNCMGRLOGLEVEL, 4, 4);
CHECK_SIZE(SYNCMGRERRORFLAGS, 4, 4);
CHECK_SIZE(SYNCMGRITEMFLAGS, 4, 4);
CHECK_SIZE(SYNCMGRINVOKEFLAGS, 4, 4);
CHECK_SIZE(SYNCMGRREGISTERFLAGS, 4, 4);
CHECK_SIZE(SYNCMGRITEMSTATE, 4, 4);

// SYNCMGRITEM (docs/api-facts.md#syncmgritem).
CHECK_SIZE(SYNCMGRITEM, 304, 8);
CHECK_OFFSET(SYNCMGRITEM, cbSize, 0);
CHECK_OFFSET(SYNCMGRITEM, dwFlags, 4);
CHECK_OFFSET(SYNCMGRITEM, ItemID, 8);
CHECK_OFFSET(SYNCMGRITEM, dwItemState, 24);
CHECK_OFFSET(SYNCMGRITEM, hIcon, 32);
CHECK_OFFSET(SYNCMGRITEM, wszItemName, 40);
CHECK_OFFSET(SYNCMGRITEM, ftLastUpdate, 296);
static_assert(sizeof(SYNCMGRITEM::wszItemName) == 256, "128 WCHARs");

// SYNCMGRHANDLERINFO (docs/api-facts.md#syncmgrhandlerinfo).
CHECK_SIZE(SYNCMGRHANDLERINFO, 88, 8);
CHECK_OFFSET(SYNCMGRHANDLERINFO, cbSize, 0);
CHECK_OFFSET(SYNCMGRHANDLERINFO, hIcon, 8);
CHECK_OFFSET(SYNCMGRHANDLERINFO, SyncMgrHandlerFlags, 16);
CHECK_OFFSET(SYNCMGRHANDLERINFO, wszHandlerName, 20);
static_assert(sizeof(SYNCMGRHANDLERINFO::wszHandlerName) == 64, "32 WCHARs");

// SYNCMGRPROGRESSITEM (docs/api-facts.md#syncmgrprogressitem).
CHECK_SIZE(SYNCMGRPROGRESSITEM, 32, 8);
CHECK_OFFSET(SYNCMGRPROGRESSITEM, cbSize, 0);
CHECK_OFFSET(SYNCMGRPROGRESSITEM, mask, 4);
CHECK_OFFSET(SYNCMGRPROGRESSITEM, lpcStatusText, 8);
CHECK_OFFSET(SYNCMGRPROGRESSITEM, dwStatusType, 16);
CHECK_OFFSET(SYNCMGRPROGRESSITEM, iProgValue, 20);
CHECK_OFFSET(SYNCMGRPROGRESSITEM, iMaxValue, 24);

// SYNCMGRLOGERRORINFO (docs/api-facts.md#syncmgrlogerrorinfo).
CHECK_SIZE(SYNCMGRLOGERRORINFO, 44, 4);
CHECK_OFFSET(SYNCMGRLOGERRORINFO, cbSize, 0);
CHECK_OFFSET(SYNCMGRLOGERRORINFO, mask, 4);
CHECK_OFFSET(SYNCMGRLOGERRORINFO, dwSyncMgrErrorFlags, 8);
CHECK_OFFSET(SYNCMGRLOGERRORINFO, ErrorID, 12);
CHECK_OFFSET(SYNCMGRLOGERRORINFO, ItemID, 28);

// RFCDLGPARAMW/A (docs/api-facts.md#rfcdlgparamw-and-rfcdlgparama).
CHECK_SIZE(RFCDLGPARAMW, 104, 8);
CHECK_OFFSET(RFCDLGPARAMW, dwFlags, 0);
CHECK_OFFSET(RFCDLGPARAMW, pszFilename, 8);
CHECK_OFFSET(RFCDLGPARAMW, hIKeepBoth, 64);
CHECK_OFFSET(RFCDLGPARAMW, pfnCallBack, 88);
CHECK_OFFSET(RFCDLGPARAMW, lCallerData, 96);
CHECK_SIZE(RFCDLGPARAMA, 104, 8);

// Values (docs/api-facts.md#constants).
static_assert(SYNCMGRINVOKE_STARTSYNC == 0x2 && SYNCMGRINVOKE_MINIMIZED == 0x4);
static_assert(SYNCMGRFLAG_CONNECT == 0x1 &&
              SYNCMGRFLAG_PENDINGDISCONNECT == 0x2 &&
              SYNCMGRFLAG_MANUAL == 0x3 && SYNCMGRFLAG_IDLE == 0x4 &&
              SYNCMGRFLAG_INVOKE == 0x5 && SYNCMGRFLAG_SCHEDULED == 0x6 &&
              SYNCMGRFLAG_EVENTMASK == 0xFF && SYNCMGRFLAG_SETTINGS == 0x100 &&
              SYNCMGRFLAG_MAYBOTHERUSER == 0x200);
static_assert(SYNCMGRSTATUS_STOPPED == 0 && SYNCMGRSTATUS_SKIPPED == 1 &&
              SYNCMGRSTATUS_PENDING == 2 && SYNCMGRSTATUS_UPDATING == 3 &&
              SYNCMGRSTATUS_SUCCEEDED == 4 && SYNCMGRSTATUS_FAILED == 5 &&
              SYNCMGRSTATUS_PAUSED == 6 && SYNCMGRSTATUS_RESUMING == 7 &&
              SYNCMGRSTATUS_UPDATING_INDETERMINATE == 8 &&
              SYNCMGRSTATUS_DELETED == 0x100);
static_assert(SYNCMGRHANDLER_HASPROPERTIES == 1 &&
              SYNCMGRHANDLER_MAYESTABLISHCONNECTION == 2 &&
              SYNCMGRHANDLER_ALWAYSLISTHANDLER == 4 &&
              SYNCMGRHANDLER_HIDDEN == 8 && SYNCMGRHANDLERFLAG_MASK == 0x0F);
static_assert(SYNCMGRITEM_HASPROPERTIES == 1 && SYNCMGRITEM_TEMPORARY == 2 &&
              SYNCMGRITEM_ROAMINGUSER == 4 && SYNCMGRITEM_LASTUPDATETIME == 8 &&
              SYNCMGRITEM_MAYDELETEITEM == 0x10 && SYNCMGRITEM_HIDDEN == 0x20 &&
              SYNCMGRITEM_ITEMFLAGMASK == 0x7F);
static_assert(SYNCMGRITEMSTATE_UNCHECKED == 0 && SYNCMGRITEMSTATE_CHECKED == 1);
static_assert(SYNCMGRLOGLEVEL_INFORMATION == 1 &&
              SYNCMGRLOGLEVEL_WARNING == 2 && SYNCMGRLOGLEVEL_ERROR == 3 &&
              SYNCMGRLOGLEVEL_LOGLEVELMAX == 3);
static_assert(SYNCMGRERRORFLAG_ENABLEJUMPTEXT == 1 &&
              SYNCMGRLOGERROR_ERRORFLAGS == 1 && SYNCMGRLOGERROR_ERRORID == 2 &&
              SYNCMGRLOGERROR_ITEMID == 4);
static_assert(SYNCMGRPROGRESSITEM_STATUSTEXT == 1 &&
              SYNCMGRPROGRESSITEM_STATUSTYPE == 2 &&
              SYNCMGRPROGRESSITEM_PROGVALUE == 4 &&
              SYNCMGRPROGRESSITEM_MAXVALUE == 8);
static_assert(SYNCMGRREGISTERFLAG_CONNECT == 1 &&
              SYNCMGRREGISTERFLAG_PENDINGDISCONNECT == 2 &&
              SYNCMGRREGISTERFLAG_IDLE == 4 && SYNCMGRREGISTERFLAGS_MASK == 7);
static_assert(MAX_SYNCMGRHANDLERNAME == 32 && MAX_SYNCMGRITEMNAME == 128);

// HRESULTs (docs/api-facts.md#hresults).
constexpr HRESULT H(unsigned v) { return static_cast<HRESULT>(v); }
static_assert(S_SYNCMGR_MISSINGITEMS == H(0x00040201));
static_assert(S_SYNCMGR_RETRYSYNC == H(0x00040202));
static_assert(S_SYNCMGR_CANCELITEM == H(0x00040203));
static_assert(S_SYNCMGR_CANCELALL == H(0x00040204));
static_assert(S_SYNCMGR_ITEMDELETED == H(0x00040210));
static_assert(S_SYNCMGR_ENUMITEMS == H(0x00040211));
static_assert(S_OK == 0 && S_FALSE == 1);
static_assert(E_FAIL == H(0x80004005) && E_INVALIDARG == H(0x80070057));
static_assert(E_UNEXPECTED == H(0x8000FFFF) && E_OUTOFMEMORY == H(0x8007000E));
static_assert(E_NOTIMPL == H(0x80004001) && E_NOINTERFACE == H(0x80004002));
static_assert(E_POINTER == H(0x80004003) && E_ABORT == H(0x80004004));
static_assert(REGDB_E_CLASSNOTREG == H(0x80040154));
static_assert(CLASS_E_NOAGGREGATION == H(0x80040110));
static_assert(CLASS_E_CLASSNOTAVAILABLE == H(0x80040111));
static_assert(E_INVALIDARG ==
              HRESULT_FROM_WIN32(87));  // ERROR_INVALID_PARAMETER
static_assert(SUCCEEDED(S_SYNCMGR_CANCELALL) && FAILED(E_FAIL));

// GUIDs (docs/api-facts.md#guids): first field of each, the rest checked in
// mobsync_test.cc.
static_assert(CLSID_SyncMgr.Data1 == 0x6295DF27);
static_assert(IID_ISyncMgrEnumItems.Data1 == 0x6295DF2A);
static_assert(IID_ISyncMgrSynchronizeInvoke.Data1 == 0x6295DF2C);
static_assert(IID_ISyncMgrSynchronize.Data1 == 0x6295DF40);
static_assert(IID_ISyncMgrSynchronizeCallback.Data1 == 0x6295DF41);
static_assert(IID_ISyncMgrRegister.Data1 == 0x6295DF42);

// Interfaces are nothing but a vtable pointer (docs/api-facts.md#vtables).
static_assert(sizeof(IUnknown) == sizeof(void*));
static_assert(sizeof(ISyncMgrSynchronizeInvoke) == sizeof(void*));
static_assert(sizeof(ISyncMgrSynchronize) == sizeof(void*));
static_assert(sizeof(ISyncMgrSynchronizeCallback) == sizeof(void*));
static_assert(sizeof(ISyncMgrEnumItems) == sizeof(void*));
static_assert(sizeof(ISyncMgrRegister) == sizeof(void*));
static_assert(!std::has_virtual_destructor_v<ISyncMgrSynchronize>);

}  // namespace
