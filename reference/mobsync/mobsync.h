// File: reference/mobsync/mobsync.h
//
// Every type, constant, GUID and interface of Windows' mobsync.h (the
// Synchronization Manager), with 64-bit Windows' sizes, layouts, values and
// vtable slot orders, for Linux x86-64 (docs/api-facts.md). Where MinGW-w64's
// header and the Windows SDK's differ, the SDK wins
// (docs/api-facts.md#header-differences): e.g. SYNCMGRHANDLERFLAG_MASK is
// 0x0F and SYNCMGRITEM_ITEMFLAGMASK 0x7F. Method signatures follow the SDK
// (const input pointers); the ABI is the same as MinGW's.
//
// Example (a registered application asking for an update of its items):
//   ISyncMgrSynchronizeInvoke* invoke = nullptr;
//   HRESULT hr = CoCreateInstance(CLSID_SyncMgr, nullptr,
//                                 CLSCTX_INPROC_SERVER,
//                                 IID_PPV_ARGS(&invoke));
//   const BYTE cookie[] = {1, 2, 3};
//   if (SUCCEEDED(hr)) {
//     hr = invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, CLSID_MyHandler,
//                              sizeof cookie, cookie);
//     invoke->Release();
//   }
#ifndef SYNCMGR_REFERENCE_MOBSYNC_MOBSYNC_H_
#define SYNCMGR_REFERENCE_MOBSYNC_MOBSYNC_H_

#ifdef _WIN32
// MinGW-w64 builds (windows/): the real <mobsync.h>.
#include "windows/platform/mobsync.h"
#else  // Linux

#include "reference/mobsync/windows_types.h"

// ---- GUIDs (docs/api-facts.md#guids) ----
DEFINE_GUID(CLSID_SyncMgr, 0x6295df27, 0x35ee, 0x11d1, 0x87, 0x07, 0x00, 0xc0,
            0x4f, 0xd9, 0x33, 0x27);
DEFINE_GUID(IID_ISyncMgrEnumItems, 0x6295df2a, 0x35ee, 0x11d1, 0x87, 0x07, 0x00,
            0xc0, 0x4f, 0xd9, 0x33, 0x27);
DEFINE_GUID(IID_ISyncMgrSynchronizeInvoke, 0x6295df2c, 0x35ee, 0x11d1, 0x87,
            0x07, 0x00, 0xc0, 0x4f, 0xd9, 0x33, 0x27);
DEFINE_GUID(IID_ISyncMgrSynchronize, 0x6295df40, 0x35ee, 0x11d1, 0x87, 0x07,
            0x00, 0xc0, 0x4f, 0xd9, 0x33, 0x27);
DEFINE_GUID(IID_ISyncMgrSynchronizeCallback, 0x6295df41, 0x35ee, 0x11d1, 0x87,
            0x07, 0x00, 0xc0, 0x4f, 0xd9, 0x33, 0x27);
DEFINE_GUID(IID_ISyncMgrRegister, 0x6295df42, 0x35ee, 0x11d1, 0x87, 0x07, 0x00,
            0xc0, 0x4f, 0xd9, 0x33, 0x27);

// ---- typedefs (docs/api-facts.md#base-types) ----
using SYNCMGRITEMID = GUID;
using REFSYNCMGRITEMID = REFGUID;
using SYNCMGRERRORID = GUID;
using REFSYNCMGRERRORID = REFGUID;

// ---- Sync-Manager success codes (docs/api-facts.md#hresults) ----
#define S_SYNCMGR_MISSINGITEMS \
  MAKE_SCODE(SEVERITY_SUCCESS, FACILITY_ITF, 0x0201)
#define S_SYNCMGR_RETRYSYNC MAKE_SCODE(SEVERITY_SUCCESS, FACILITY_ITF, 0x0202)
#define S_SYNCMGR_CANCELITEM MAKE_SCODE(SEVERITY_SUCCESS, FACILITY_ITF, 0x0203)
#define S_SYNCMGR_CANCELALL MAKE_SCODE(SEVERITY_SUCCESS, FACILITY_ITF, 0x0204)
#define S_SYNCMGR_ITEMDELETED MAKE_SCODE(SEVERITY_SUCCESS, FACILITY_ITF, 0x0210)
#define S_SYNCMGR_ENUMITEMS MAKE_SCODE(SEVERITY_SUCCESS, FACILITY_ITF, 0x0211)

// ---- Enumerations and constants (docs/api-facts.md#constants) ----
// Passed to ISyncMgrSynchronize::Initialize. The low byte is an event code
// (not bits); SETTINGS and MAYBOTHERUSER are independent bits above it.
enum _tagSYNCMGRFLAG {
  SYNCMGRFLAG_CONNECT = 0x1,
  SYNCMGRFLAG_PENDINGDISCONNECT = 0x2,
  SYNCMGRFLAG_MANUAL = 0x3,
  SYNCMGRFLAG_IDLE = 0x4,
  SYNCMGRFLAG_INVOKE = 0x5,  // started by UpdateItems or UpdateAll
  SYNCMGRFLAG_SCHEDULED = 0x6,
  SYNCMGRFLAG_EVENTMASK = 0xff,
  SYNCMGRFLAG_SETTINGS = 0x100,
  SYNCMGRFLAG_MAYBOTHERUSER = 0x200,
};
using SYNCMGRFLAG = _tagSYNCMGRFLAG;

#define MAX_SYNCMGRHANDLERNAME (32)
#define SYNCMGRHANDLERFLAG_MASK 0x0F

enum _tagSYNCMGRHANDLERFLAGS {
  SYNCMGRHANDLER_HASPROPERTIES = 0x1,
  SYNCMGRHANDLER_MAYESTABLISHCONNECTION = 0x2,
  SYNCMGRHANDLER_ALWAYSLISTHANDLER = 0x4,
  SYNCMGRHANDLER_HIDDEN = 0x8,  // SDK only
};
using SYNCMGRHANDLERFLAGS = _tagSYNCMGRHANDLERFLAGS;

struct _tagSYNCMGRHANDLERINFO {
  DWORD cbSize;
  HICON hIcon;
  DWORD SyncMgrHandlerFlags;
  WCHAR wszHandlerName[MAX_SYNCMGRHANDLERNAME];
};
using SYNCMGRHANDLERINFO = _tagSYNCMGRHANDLERINFO;
using LPSYNCMGRHANDLERINFO = SYNCMGRHANDLERINFO*;

enum _tagSYNCMGRITEMSTATE {
  SYNCMGRITEMSTATE_UNCHECKED = 0x0000,
  SYNCMGRITEMSTATE_CHECKED = 0x0001,
};
using SYNCMGRITEMSTATE = _tagSYNCMGRITEMSTATE;

enum _tagSYNCMGRSTATUS {
  SYNCMGRSTATUS_STOPPED = 0x0,
  SYNCMGRSTATUS_SKIPPED = 0x1,
  SYNCMGRSTATUS_PENDING = 0x2,
  SYNCMGRSTATUS_UPDATING = 0x3,
  SYNCMGRSTATUS_SUCCEEDED = 0x4,
  SYNCMGRSTATUS_FAILED = 0x5,
  SYNCMGRSTATUS_PAUSED = 0x6,
  SYNCMGRSTATUS_RESUMING = 0x7,
  SYNCMGRSTATUS_UPDATING_INDETERMINATE = 0x8,  // SDK only
  SYNCMGRSTATUS_DELETED = 0x100,
};
using SYNCMGRSTATUS = _tagSYNCMGRSTATUS;

#define SYNCMGRPROGRESSITEM_STATUSTEXT 0x0001
#define SYNCMGRPROGRESSITEM_STATUSTYPE 0x0002
#define SYNCMGRPROGRESSITEM_PROGVALUE 0x0004
#define SYNCMGRPROGRESSITEM_MAXVALUE 0x0008

struct _tagSYNCMGRPROGRESSITEM {
  DWORD cbSize;
  UINT mask;  // SYNCMGRPROGRESSITEM_* bits: which fields below are valid
  LPCWSTR lpcStatusText;
  DWORD dwStatusType;  // SYNCMGRSTATUS
  INT iProgValue;
  INT iMaxValue;
};
using SYNCMGRPROGRESSITEM = _tagSYNCMGRPROGRESSITEM;
using LPSYNCMGRPROGRESSITEM = SYNCMGRPROGRESSITEM*;

enum _tagSYNCMGRLOGLEVEL {
  SYNCMGRLOGLEVEL_INFORMATION = 0x1,
  SYNCMGRLOGLEVEL_WARNING = 0x2,
  SYNCMGRLOGLEVEL_ERROR = 0x3,
  SYNCMGRLOGLEVEL_LOGLEVELMAX = 0x3,  // SDK only
};
using SYNCMGRLOGLEVEL = _tagSYNCMGRLOGLEVEL;

#define SYNCMGRLOGERROR_ERRORFLAGS 0x0001
#define SYNCMGRLOGERROR_ERRORID 0x0002
#define SYNCMGRLOGERROR_ITEMID 0x0004

enum _tagSYNCMGRERRORFLAGS {
  SYNCMGRERRORFLAG_ENABLEJUMPTEXT = 0x1,
};
using SYNCMGRERRORFLAGS = _tagSYNCMGRERRORFLAGS;

struct _tagSYNCMGRLOGERRORINFO {
  DWORD cbSize;
  DWORD mask;  // SYNCMGRLOGERROR_* bits
  DWORD dwSyncMgrErrorFlags;
  SYNCMGRERRORID ErrorID;
  SYNCMGRITEMID ItemID;
};
using SYNCMGRLOGERRORINFO = _tagSYNCMGRLOGERRORINFO;
using LPSYNCMGRLOGERRORINFO = SYNCMGRLOGERRORINFO*;

#define SYNCMGRITEM_ITEMFLAGMASK 0x007F
#define MAX_SYNCMGRITEMNAME (128)

enum _tagSYNCMGRITEMFLAGS {
  SYNCMGRITEM_HASPROPERTIES = 0x1,
  SYNCMGRITEM_TEMPORARY = 0x2,
  SYNCMGRITEM_ROAMINGUSER = 0x4,
  SYNCMGRITEM_LASTUPDATETIME = 0x8,
  SYNCMGRITEM_MAYDELETEITEM = 0x10,
  SYNCMGRITEM_HIDDEN = 0x20,  // SDK only
};
using SYNCMGRITEMFLAGS = _tagSYNCMGRITEMFLAGS;

struct _tagSYNCMGRITEM {
  DWORD cbSize;
  DWORD dwFlags;  // SYNCMGRITEMFLAGS
  SYNCMGRITEMID ItemID;
  DWORD dwItemState;  // SYNCMGRITEMSTATE_*
  HICON hIcon;
  WCHAR wszItemName[MAX_SYNCMGRITEMNAME];
  FILETIME ftLastUpdate;  // valid only with SYNCMGRITEM_LASTUPDATETIME
};
using SYNCMGRITEM = _tagSYNCMGRITEM;
using LPSYNCMGRITEM = SYNCMGRITEM*;

// UpdateItems' dwInvokeFlags. There is no 0x1 and no mask constant; the
// union of the defined bits is 0x6.
enum _tagSYNCMGRINVOKEFLAGS {
  SYNCMGRINVOKE_STARTSYNC = 0x2,
  SYNCMGRINVOKE_MINIMIZED = 0x4,
};
using SYNCMGRINVOKEFLAGS = _tagSYNCMGRINVOKEFLAGS;

enum _tagSYNCMGRREGISTERFLAGS {
  SYNCMGRREGISTERFLAG_CONNECT = 0x1,
  SYNCMGRREGISTERFLAG_PENDINGDISCONNECT = 0x2,
  SYNCMGRREGISTERFLAG_IDLE = 0x4,
};
using SYNCMGRREGISTERFLAGS = _tagSYNCMGRREGISTERFLAGS;
#define SYNCMGRREGISTERFLAGS_MASK 0x07

// ---- Conflict-resolution dialog: MinGW header only ----
// (docs/api-facts.md#rfcdlgparamw-and-rfcdlgparama)
#define RFCF_APPLY_ALL 0x0001
#define RFCD_NAME 0x0001
#define RFCD_KEEPBOTHICON 0x0002
#define RFCD_KEEPLOCALICON 0x0004
#define RFCD_KEEPSERVERICON 0x0008
#define RFCD_NETWORKMODIFIEDBY 0x0010
#define RFCD_NETWORKMODIFIEDON 0x0020
#define RFCD_LOCALMODIFIEDBY 0x0040
#define RFCD_LOCALMODIFIEDON 0x0080
#define RFCD_NEWNAME 0x0100
#define RFCD_LOCATION 0x0200
#define RFCD_ALL 0x03FF
#define RFCCM_VIEWLOCAL 0x0001
#define RFCCM_VIEWNETWORK 0x0002
#define RFCCM_NEEDELEMENT 0x0003
#define RFC_CANCEL 0x00
#define RFC_KEEPBOTH 0x01
#define RFC_KEEPLOCAL 0x02
#define RFC_KEEPNETWORK 0x03
#define RFC_APPLY_TO_ALL 0x10

using PFNRFCDCALLBACK = BOOL(WINAPI*)(HWND, UINT, WPARAM, LPARAM);

struct tagRFCDLGPARAMW {
  DWORD dwFlags;
  LPCWSTR pszFilename;
  LPCWSTR pszLocation;
  LPCWSTR pszNewName;
  LPCWSTR pszNetworkModifiedBy;
  LPCWSTR pszLocalModifiedBy;
  LPCWSTR pszNetworkModifiedOn;
  LPCWSTR pszLocalModifiedOn;
  HICON hIKeepBoth;
  HICON hIKeepLocal;
  HICON hIKeepNetwork;
  PFNRFCDCALLBACK pfnCallBack;
  LPARAM lCallerData;
};
using RFCDLGPARAMW = tagRFCDLGPARAMW;

struct tagRFCDLGPARAMA {
  DWORD dwFlags;
  const char* pszFilename;
  const char* pszLocation;
  const char* pszNewName;
  const char* pszNetworkModifiedBy;
  const char* pszLocalModifiedBy;
  const char* pszNetworkModifiedOn;
  const char* pszLocalModifiedOn;
  HICON hIKeepBoth;
  HICON hIKeepLocal;
  HICON hIKeepNetwork;
  PFNRFCDCALLBACK pfnCallBack;
  LPARAM lCallerData;
};
using RFCDLGPARAMA = tagRFCDLGPARAMA;

// Exported by mobsync.dll; returns one of the RFC_* values.
EXTERN_C int WINAPI SyncMgrResolveConflictW(HWND hWndParent,
                                            RFCDLGPARAMW* pdlgParam);
EXTERN_C int WINAPI SyncMgrResolveConflictA(HWND hWndParent,
                                            RFCDLGPARAMA* pdlgParam);

// ---- Interfaces, in vtable slot order; IUnknown takes slots 0-2 ----
// (docs/api-facts.md#vtables)
class ISyncMgrEnumItems;
class ISyncMgrSynchronizeCallback;

// Implemented by handlers. Slots 3-12.
class ISyncMgrSynchronize : public IUnknown {
 public:
  virtual HRESULT STDMETHODCALLTYPE Initialize(DWORD dwReserved,
                                               DWORD dwSyncMgrFlags,
                                               DWORD cbCookie,
                                               const BYTE* lpCookie) = 0;
  virtual HRESULT STDMETHODCALLTYPE
  GetHandlerInfo(SYNCMGRHANDLERINFO** ppSyncMgrHandlerInfo) = 0;
  virtual HRESULT STDMETHODCALLTYPE
  EnumSyncMgrItems(ISyncMgrEnumItems** ppSyncMgrEnumItems) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetItemObject(REFGUID ItemID, REFIID riid,
                                                  void** ppv) = 0;
  virtual HRESULT STDMETHODCALLTYPE ShowProperties(HWND hWndParent,
                                                   REFGUID ItemID) = 0;
  virtual HRESULT STDMETHODCALLTYPE
  SetProgressCallback(ISyncMgrSynchronizeCallback* lpCallBack) = 0;
  virtual HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG cbNumItems,
                                                   GUID* pItemIDs,
                                                   HWND hWndParent,
                                                   DWORD dwReserved) = 0;
  virtual HRESULT STDMETHODCALLTYPE Synchronize(HWND hWndParent) = 0;
  virtual HRESULT STDMETHODCALLTYPE SetItemStatus(REFGUID pItemID,
                                                  DWORD dwSyncMgrStatus) = 0;
  virtual HRESULT STDMETHODCALLTYPE ShowError(HWND hWndParent,
                                              REFGUID ErrorID) = 0;
};
using LPSYNCMGRSYNCHRONIZE = ISyncMgrSynchronize*;
using LPSYNCMGROnSynchronize = ISyncMgrSynchronize*;  // the SDK's name
SYNCMGR_DECLARE_IID(ISyncMgrSynchronize, IID_ISyncMgrSynchronize);

// Implemented by the Sync Manager, called by handlers. Slots 3-11.
class ISyncMgrSynchronizeCallback : public IUnknown {
 public:
  virtual HRESULT STDMETHODCALLTYPE ShowPropertiesCompleted(HRESULT hr) = 0;
  virtual HRESULT STDMETHODCALLTYPE PrepareForSyncCompleted(HRESULT hr) = 0;
  virtual HRESULT STDMETHODCALLTYPE SynchronizeCompleted(HRESULT hr) = 0;
  virtual HRESULT STDMETHODCALLTYPE
  ShowErrorCompleted(HRESULT hr, ULONG cItems, const GUID* pItemIDs) = 0;
  virtual HRESULT STDMETHODCALLTYPE EnableModeless(BOOL fEnable) = 0;
  virtual HRESULT STDMETHODCALLTYPE
  Progress(REFGUID ItemID, const SYNCMGRPROGRESSITEM* pSyncProgressItem) = 0;
  virtual HRESULT STDMETHODCALLTYPE
  LogError(DWORD dwErrorLevel, LPCWSTR pszErrorText,
           const SYNCMGRLOGERRORINFO* pSyncLogError) = 0;
  virtual HRESULT STDMETHODCALLTYPE DeleteLogError(REFGUID ErrorID,
                                                   DWORD dwReserved) = 0;
  virtual HRESULT STDMETHODCALLTYPE EstablishConnection(LPCWSTR pwszConnection,
                                                        DWORD dwReserved) = 0;
};
using LPSYNCMGRSYNCHRONIZECALLBACK = ISyncMgrSynchronizeCallback*;
SYNCMGR_DECLARE_IID(ISyncMgrSynchronizeCallback,
                    IID_ISyncMgrSynchronizeCallback);

// Implemented by handlers: enumerates SYNCMGRITEMs. Slots 3-6.
class ISyncMgrEnumItems : public IUnknown {
 public:
  virtual HRESULT STDMETHODCALLTYPE Next(ULONG celt, SYNCMGRITEM* rgelt,
                                         ULONG* pceltFetched) = 0;
  virtual HRESULT STDMETHODCALLTYPE Skip(ULONG celt) = 0;
  virtual HRESULT STDMETHODCALLTYPE Reset() = 0;
  virtual HRESULT STDMETHODCALLTYPE Clone(ISyncMgrEnumItems** ppenum) = 0;
};
using LPSYNCMGRENUMITEMS = ISyncMgrEnumItems*;
SYNCMGR_DECLARE_IID(ISyncMgrEnumItems, IID_ISyncMgrEnumItems);

// Implemented by the Sync Manager, called by registered applications.
// Slots 3-4.
class ISyncMgrSynchronizeInvoke : public IUnknown {
 public:
  virtual HRESULT STDMETHODCALLTYPE UpdateItems(DWORD dwInvokeFlags,
                                                REFCLSID clsid, DWORD cbCookie,
                                                const BYTE* pCookie) = 0;
  virtual HRESULT STDMETHODCALLTYPE UpdateAll() = 0;
};
using LPSYNCMGRSYNCHRONIZEINVOKE = ISyncMgrSynchronizeInvoke*;
SYNCMGR_DECLARE_IID(ISyncMgrSynchronizeInvoke, IID_ISyncMgrSynchronizeInvoke);

// Implemented by the Sync Manager: handler registration. Slots 3-5.
class ISyncMgrRegister : public IUnknown {
 public:
  virtual HRESULT STDMETHODCALLTYPE
  RegisterSyncMgrHandler(REFCLSID clsidHandler, LPCWSTR pwszDescription,
                         DWORD dwSyncMgrRegisterFlags) = 0;
  virtual HRESULT STDMETHODCALLTYPE
  UnregisterSyncMgrHandler(REFCLSID clsidHandler, DWORD dwReserved) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetHandlerRegistrationInfo(
      REFCLSID clsidHandler, LPDWORD pdwSyncMgrRegisterFlags) = 0;
};
using LPSYNCMGRREGISTER = ISyncMgrRegister*;
SYNCMGR_DECLARE_IID(ISyncMgrRegister, IID_ISyncMgrRegister);

// The parameter types of ISyncMgrSynchronizeCallback that MinGW-w64's
// header declares without const (same ABI): implementations name them so
// that they compile against either header.
using SyncMgrItemIdsArg = const GUID*;
using SyncMgrProgressItemArg = const SYNCMGRPROGRESSITEM*;
using SyncMgrLogErrorInfoArg = const SYNCMGRLOGERRORINFO*;

#endif  // _WIN32
#endif  // SYNCMGR_REFERENCE_MOBSYNC_MOBSYNC_H_
