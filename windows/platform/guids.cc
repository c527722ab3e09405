// Defines the mobsync GUIDs (CLSID_SyncMgr, IID_ISyncMgr*) once per Windows
// module: MinGW-w64's libuuid does not carry them.
#include <initguid.h>
// initguid.h first: DEFINE_GUID then defines instead of declaring.
#include <mobsync.h>
