// The reference built as an in-proc server (syncmgr_reference.so) and loaded
// through the host's COM runtime, as any third-party implementation is: the
// plug-in calls the host's CoCreateInstance to reach a handler registered in
// the host, and the host's CoTaskMemAlloc for its cookie copies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "reference/com/com.h"
#include "reference/com/object.h"
#include "reference/testing/hresult_matchers.h"
#include "reference/testing/mock_handler.h"
#include "reference/testing/requirement.h"

namespace {

using ::syncmgr::com::ComPtr;
using ::syncmgr::testing::HandlerMock;
using ::syncmgr::testing::HresultIs;
using ::syncmgr::testing::RegisteredHandler;
using ::syncmgr::testing::TestGuid;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Invoke;
using ::testing::NiceMock;
using namespace std::chrono_literals;

std::string g_plugin_path;

TEST(ReferencePlugin, ServesClsidSyncMgrThroughTheHostRuntime) {
  REQUIREMENT("REG-002 REG-106 UI-014 COM-006");
  std::string error;
  ASSERT_THAT(
      syncmgr::com::RegisterInprocServer(CLSID_SyncMgr, g_plugin_path, &error),
      HresultIs(S_OK))
      << error;
  const GUID handler = TestGuid(0x300);
  NiceMock<HandlerMock> mock;
  RegisteredHandler registered(handler, &mock);
  std::vector<BYTE> seen;
  EXPECT_CALL(mock, Initialize(0, DWORD{SYNCMGRFLAG_INVOKE}, 3, _))
      .WillOnce(Invoke([&](DWORD, DWORD, DWORD cb, const BYTE* cookie) {
        seen.assign(cookie, cookie + cb);
        return S_OK;
      }));
  const long task_memory = syncmgr::com::OutstandingTaskMemAllocations();
  long during = 0;
  EXPECT_CALL(mock, Synchronize(_)).WillOnce(Invoke([&](HWND) {
    // The plug-in's cookie copy lives in the host's task allocator.
    during = syncmgr::com::OutstandingTaskMemAllocations();
    mock.callback()->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  {
    ComPtr<ISyncMgrSynchronizeInvoke> invoke;
    ASSERT_THAT(
        CoCreateInstance(CLSID_SyncMgr, nullptr, CLSCTX_INPROC_SERVER,
                         IID_ISyncMgrSynchronizeInvoke, invoke.PutVoid()),
        HresultIs(S_OK))
        << syncmgr::com::LastActivationError();
    ComPtr<ISyncMgrRegister> reg;
    ASSERT_THAT(invoke.As(&reg), HresultIs(S_OK));
    ASSERT_THAT(reg->RegisterSyncMgrHandler(handler, u"plug-in test", 0),
                HresultIs(S_OK));
    EXPECT_THAT(syncmgr::com::InprocServerCanUnloadNow(g_plugin_path),
                HresultIs(S_FALSE));  // objects alive
    const BYTE cookie[] = {7, 8, 9};
    EXPECT_THAT(
        invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, handler, 3, cookie),
        HresultIs(S_OK));
    EXPECT_TRUE(mock.WaitUntilDestroyed(10s));
    EXPECT_THAT(reg->UnregisterSyncMgrHandler(handler, 0), HresultIs(S_OK));
  }
  EXPECT_THAT(seen, ElementsAre(7, 8, 9));
  EXPECT_EQ(during, task_memory + 1);
  // Every object of the plug-in is gone once the session ended and the
  // client released its pointers.
  HRESULT can_unload = S_FALSE;
  for (int i = 0; i < 500 && can_unload != S_OK; ++i) {
    can_unload = syncmgr::com::InprocServerCanUnloadNow(g_plugin_path);
    if (can_unload != S_OK) std::this_thread::sleep_for(10ms);
  }
  EXPECT_THAT(can_unload, HresultIs(S_OK));
  // The cookie copy goes with the session's last reference, which the
  // worker thread may drop just after the last COM object went.
  long left = syncmgr::com::OutstandingTaskMemAllocations();
  for (int i = 0; i < 500 && left != task_memory; ++i) {
    std::this_thread::sleep_for(10ms);
    left = syncmgr::com::OutstandingTaskMemAllocations();
  }
  EXPECT_EQ(left, task_memory);
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleMock(&argc, argv);
  if (argc != 2) {
    fprintf(stderr, "usage: %s PATH/syncmgr_reference.so\n", argv[0]);
    return 2;
  }
  g_plugin_path = argv[1];
  return RUN_ALL_TESTS();
}
