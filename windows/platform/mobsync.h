// File: windows/platform/mobsync.h
//
// The Windows side of reference/mobsync/mobsync.h: the real <mobsync.h>
// (MinGW-w64's), plus what our sources use beyond it. Where MinGW-w64 and
// the Windows SDK differ (docs/api-facts.md), the SDK's values win, as in the
// Linux header: the masks are redefined to the SDK's and the SDK-only
// constants are added, so that the reference behaves the same on both.
//
// The GUIDs are defined once per module by windows/platform/guids.cc
// (MinGW-w64's libuuid does not carry the mobsync ones).
#ifndef SYNCMGR_WINDOWS_PLATFORM_MOBSYNC_H_
#define SYNCMGR_WINDOWS_PLATFORM_MOBSYNC_H_

#include <mobsync.h>

#include "windows/platform/windows_types.h"

// SDK values (the Linux header's).
#undef SYNCMGRHANDLERFLAG_MASK
#define SYNCMGRHANDLERFLAG_MASK 0x0F
#undef SYNCMGRITEM_ITEMFLAGMASK
#define SYNCMGRITEM_ITEMFLAGMASK 0x007F
#ifndef SYNCMGRHANDLER_HIDDEN
#define SYNCMGRHANDLER_HIDDEN 0x8
#endif
#ifndef SYNCMGRSTATUS_UPDATING_INDETERMINATE
#define SYNCMGRSTATUS_UPDATING_INDETERMINATE 0x8
#endif
#ifndef SYNCMGRITEM_HIDDEN
#define SYNCMGRITEM_HIDDEN 0x20
#endif
#ifndef SYNCMGRLOGLEVEL_LOGLEVELMAX
#define SYNCMGRLOGLEVEL_LOGLEVELMAX 0x3
#endif

// The parameter types of ISyncMgrSynchronizeCallback that the SDK declares
// const and MinGW-w64 does not (same ABI); implementations use these names.
using SyncMgrItemIdsArg = SYNCMGRITEMID*;
using SyncMgrProgressItemArg = SYNCMGRPROGRESSITEM*;
using SyncMgrLogErrorInfoArg = SYNCMGRLOGERRORINFO*;

SYNCMGR_DECLARE_IID(ISyncMgrSynchronize, IID_ISyncMgrSynchronize);
SYNCMGR_DECLARE_IID(ISyncMgrSynchronizeCallback,
                    IID_ISyncMgrSynchronizeCallback);
SYNCMGR_DECLARE_IID(ISyncMgrEnumItems, IID_ISyncMgrEnumItems);
SYNCMGR_DECLARE_IID(ISyncMgrSynchronizeInvoke, IID_ISyncMgrSynchronizeInvoke);
SYNCMGR_DECLARE_IID(ISyncMgrRegister, IID_ISyncMgrRegister);

#endif  // SYNCMGR_WINDOWS_PLATFORM_MOBSYNC_H_
