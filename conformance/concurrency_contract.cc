// Many callers at once, and re-entrant calls from handlers (reference/SPEC.md
// UI-115, UI-116, UI-118).
#include <atomic>
#include <thread>
#include <vector>

#include "conformance/testing/contract_test.h"
#include "reference/com/com.h"

namespace syncmgr::conformance {
namespace {

using ::syncmgr::com::ComPtr;
using ::syncmgr::testing::HresultIs;
using ::testing::Invoke;

using ConcurrencyContract = ContractTest;

TEST_F(ConcurrencyContract, ManyCallersManyHandlers) {
  REQUIREMENT("UI-115 UI-118 CB-104");
  constexpr int kHandlers = 3;
  constexpr int kThreads = 6;
  constexpr int kCalls = 10;
  std::vector<MockHandler*> handlers = {&mock()};
  for (int i = 1; i < kHandlers; ++i) handlers.push_back(&AddHandler(i));
  // One session of a handler at a time: count the sessions between
  // PrepareForSync and their SynchronizeCompleted.
  std::atomic<int> overlaps{0};
  std::atomic<int> completions_refused{0};
  std::vector<std::unique_ptr<std::atomic<int>>> active;
  for (int i = 0; i < kHandlers; ++i) {
    active.push_back(std::make_unique<std::atomic<int>>(0));
    std::atomic<int>* counter = active.back().get();
    MockHandler* handler = handlers[i];
    ON_CALL(*handler, PrepareForSync)
        .WillByDefault(
            Invoke([handler, counter, &overlaps](ULONG, GUID*, HWND, DWORD) {
              if (++*counter > 1) ++overlaps;
              if (auto cb = handler->callback()) {
                cb->PrepareForSyncCompleted(S_OK);
              }
              return S_OK;
            }));
    ON_CALL(*handler, Synchronize)
        .WillByDefault(Invoke([handler, counter, &completions_refused](HWND) {
          ComPtr<ISyncMgrSynchronizeCallback> cb = handler->callback();
          handler->RunOnThread([cb, counter, &completions_refused] {
            --*counter;
            if (cb->SynchronizeCompleted(S_OK) != S_OK) ++completions_refused;
          });
          return S_OK;
        }));
  }
  std::atomic<int> not_ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ComPtr<ISyncMgrSynchronizeInvoke> invoke;
      if (FAILED(CoCreateInstance(CLSID_SyncMgr, nullptr, CLSCTX_INPROC_SERVER,
                                  IID_ISyncMgrSynchronizeInvoke,
                                  invoke.PutVoid()))) {
        ++not_ok;
        return;
      }
      for (int i = 0; i < kCalls; ++i) {
        const BYTE cookie[] = {static_cast<BYTE>(t), static_cast<BYTE>(i)};
        const GUID clsid = (t + i) % kHandlers == 0
                               ? kHandlerClsid
                               : ExtraHandlerClsid((t + i) % kHandlers);
        if (invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, clsid, sizeof cookie,
                                cookie) != S_OK) {
          ++not_ok;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  {
    CHECKS("UI-115");  // thread-safe: every call from every thread accepted
    EXPECT_EQ(not_ok.load(), 0);
  }
  const int per_handler = kThreads * kCalls / kHandlers;
  for (MockHandler* handler : handlers) {
    EXPECT_SESSIONS_ENDED(*handler, per_handler);
    handler->JoinThreads();
    CHECKS("UI-118");
    EXPECT_EQ(handler->objects_created(), per_handler)
        << "sessions lost or duplicated";
  }
  {
    CHECKS("CB-104");  // completions from other threads, many at once
    EXPECT_EQ(completions_refused.load(), 0);
  }
  CHECKS("UI-115");
  EXPECT_EQ(overlaps.load(), 0)
      << "two sessions of one handler ran at the same time";
}

TEST_F(ConcurrencyContract, HandlerMayCallUpdateItemsFromInitialize) {
  REQUIREMENT("UI-116");
  std::atomic<int> calls{0};
  std::atomic<HRESULT> nested{E_FAIL};
  ON_CALL(mock(), Initialize)
      .WillByDefault(Invoke([&](DWORD, DWORD, DWORD, const BYTE*) {
        if (calls++ == 0) {
          const BYTE cookie[] = {9};
          nested = invoke_->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kHandlerClsid,
                                        1, cookie);
        }
        return S_OK;
      }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  SessionWait wait = WaitForSessions(2);
  if (wait.created == 0) {  // not even the outer request ran
    CHECKS(start_requirement());
    wait.expected = 1;
    ASSERT_TRUE(SessionsStarted(wait));
  }
  EXPECT_TRUE(wait.started()) << "the nested request never ran";
  {
    CHECKS("COM-003");
    EXPECT_TRUE(SessionsReleased(wait));
  }
  mock().JoinThreads();
  EXPECT_THAT(nested.load(), HresultIs(S_OK));
}

}  // namespace
}  // namespace syncmgr::conformance
