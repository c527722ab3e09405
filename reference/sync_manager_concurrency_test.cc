// Many threads against the reference at once (run under --config=tsan):
// UpdateItems from several threads, registrations changing meanwhile,
// completions from handler threads. Checks UI-115 (independent sessions,
// one at a time per CLSID) and UI-118 (every accepted call yields exactly one
// session that ends with the handler released).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "reference/com/com.h"
#include "reference/com/object.h"
#include "reference/internal/session.h"
#include "reference/sync_manager.h"
#include "reference/testing/hresult_matchers.h"
#include "reference/testing/mock_handler.h"
#include "reference/testing/requirement.h"

namespace syncmgr::reference {
namespace {

using ::syncmgr::com::ComPtr;
using ::syncmgr::testing::HandlerMock;
using ::syncmgr::testing::HresultIs;
using ::syncmgr::testing::RegisteredHandler;
using ::syncmgr::testing::TestGuid;
using ::testing::_;
using ::testing::Invoke;
using ::testing::NiceMock;
using ::testing::NotNull;
using namespace std::chrono_literals;

// A handler that counts how many of its sessions are between
// SetProgressCallback(cb) and SetProgressCallback(NULL) at once, and
// completes from a thread of its own.
struct CountingHandler {
  explicit CountingHandler(const GUID& clsid)
      : clsid(clsid), registered(clsid, &mock) {
    ON_CALL(mock, SetProgressCallback)
        .WillByDefault(Invoke([this](ISyncMgrSynchronizeCallback* cb) {
          if (cb != nullptr) {
            const int now = ++active;
            int seen = max_active.load();
            while (now > seen && !max_active.compare_exchange_weak(seen, now)) {
            }
          } else {
            --active;
          }
          return S_OK;
        }));
    ON_CALL(mock, Synchronize).WillByDefault(Invoke([this](HWND) {
      ComPtr<ISyncMgrSynchronizeCallback> cb = mock.callback();
      std::thread([cb] { cb->SynchronizeCompleted(S_OK); }).detach();
      return S_OK;
    }));
  }
  GUID clsid;
  NiceMock<HandlerMock> mock;
  RegisteredHandler registered;
  std::atomic<int> active{0};
  std::atomic<int> max_active{0};
};

class Concurrency : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    ResetForTesting();
    Options options;
    options.mode = GetParam();
    options.workers = 4;
    options.completion_timeout = 5s;
    Configure(options);
    SetSessionObserver([this](const SessionReport& report) {
      std::lock_guard lock(mu_);
      ++reports_[report.clsid.Data4[7]];
      if (report.outcome != Outcome::kCompleted || report.final_release != 0 ||
          !report.violations.empty()) {
        ++bad_reports_;
      }
    });
  }
  void TearDown() override {
    EXPECT_TRUE(WaitForIdle(30s));
    ResetForTesting();
  }
  std::mutex mu_;
  std::map<int, int> reports_;
  int bad_reports_ = 0;
};

TEST_P(Concurrency, ManyCallersManyHandlers) {
  REQUIREMENT("CB-104 HS-025 REG-105 UI-115 UI-118");
  constexpr int kHandlers = 4;
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 40;
  std::vector<std::unique_ptr<CountingHandler>> handlers;
  ComPtr<ISyncMgrRegister> reg;
  ASSERT_THAT(CreateSyncManager(IID_ISyncMgrRegister, reg.PutVoid()),
              HresultIs(S_OK));
  for (int i = 0; i < kHandlers; ++i) {
    handlers.push_back(std::make_unique<CountingHandler>(TestGuid(0x200 + i)));
    ASSERT_THAT(reg->RegisterSyncMgrHandler(handlers.back()->clsid, nullptr, 0),
                HresultIs(S_OK));
  }
  std::atomic<int> accepted{0};
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread has its own manager object: the registry is shared.
      ComPtr<ISyncMgrSynchronizeInvoke> invoke;
      if (FAILED(CreateSyncManager(IID_ISyncMgrSynchronizeInvoke,
                                   invoke.PutVoid()))) {
        ++unexpected;
        return;
      }
      for (int i = 0; i < kCallsPerThread; ++i) {
        const BYTE cookie[] = {static_cast<BYTE>(t), static_cast<BYTE>(i)};
        const HRESULT hr = invoke->UpdateItems(
            SYNCMGRINVOKE_STARTSYNC, handlers[(t + i) % kHandlers]->clsid,
            sizeof cookie, cookie);
        if (hr == S_OK) {
          ++accepted;
        } else {
          ++unexpected;
        }
      }
    });
  }
  // Registrations change while the callers run.
  std::thread registrar([&] {
    const GUID churn = TestGuid(0x2FF);
    for (int i = 0; i < 200; ++i) {
      reg->RegisterSyncMgrHandler(churn, nullptr, i % 8 & 7);
      DWORD flags = 0;
      reg->GetHandlerRegistrationInfo(churn, &flags);
      reg->UnregisterSyncMgrHandler(churn, 0);
    }
  });
  for (std::thread& thread : threads) thread.join();
  registrar.join();
  ASSERT_TRUE(WaitForIdle(30s));
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(accepted.load(), kThreads * kCallsPerThread);
  std::lock_guard lock(mu_);
  int reports = 0;
  for (const auto& [key, count] : reports_) reports += count;
  EXPECT_EQ(reports, accepted.load()) << "a session was lost or duplicated";
  EXPECT_EQ(bad_reports_, 0);
  for (const auto& handler : handlers) {
    EXPECT_EQ(handler->max_active.load(), 1)
        << "two sessions of one CLSID ran at once";
    EXPECT_TRUE(handler->mock.WaitUntilDestroyed(
        10s, kThreads * kCallsPerThread / kHandlers));
  }
}

TEST_P(Concurrency, DifferentHandlersRunInParallel) {
  REQUIREMENT("UI-115");
  if (GetParam() == Mode::kSynchronous) {
    GTEST_SKIP() << "parallel sessions need callers on several threads; "
                    "covered by ManyCallersManyHandlers";
  }
  // Two handlers whose Synchronize waits for the other's: only parallel
  // sessions can finish before the timeout.
  CountingHandler a(TestGuid(0x210)), b(TestGuid(0x211));
  ComPtr<ISyncMgrSynchronizeInvoke> invoke;
  ASSERT_THAT(
      CreateSyncManager(IID_ISyncMgrSynchronizeInvoke, invoke.PutVoid()),
      HresultIs(S_OK));
  ComPtr<ISyncMgrRegister> reg;
  ASSERT_THAT(invoke.As(&reg), HresultIs(S_OK));
  ASSERT_THAT(reg->RegisterSyncMgrHandler(a.clsid, nullptr, 0),
              HresultIs(S_OK));
  ASSERT_THAT(reg->RegisterSyncMgrHandler(b.clsid, nullptr, 0),
              HresultIs(S_OK));
  std::atomic<int> arrived{0};
  auto rendezvous = [&](CountingHandler* h) {
    return Invoke([&, h](HWND) {
      ++arrived;
      ComPtr<ISyncMgrSynchronizeCallback> cb = h->mock.callback();
      h->mock.RunOnThread([&, cb] {
        for (int i = 0; i < 2000 && arrived.load() < 2; ++i) {
          std::this_thread::sleep_for(1ms);
        }
        cb->SynchronizeCompleted(arrived.load() >= 2 ? S_OK : E_FAIL);
      });
      return S_OK;
    });
  };
  EXPECT_CALL(a.mock, Synchronize(_)).WillOnce(rendezvous(&a));
  EXPECT_CALL(b.mock, Synchronize(_)).WillOnce(rendezvous(&b));
  EXPECT_THAT(invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, a.clsid, 0, nullptr),
              HresultIs(S_OK));
  EXPECT_THAT(invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, b.clsid, 0, nullptr),
              HresultIs(S_OK));
  ASSERT_TRUE(WaitForIdle(30s));
  a.mock.JoinThreads();
  b.mock.JoinThreads();
  std::lock_guard lock(mu_);
  EXPECT_EQ(bad_reports_, 0) << "the two sessions did not overlap";
}

// Handler threads calling the callback in a loop, at once, far beyond what
// one session keeps (reference/internal/session.h): every call is answered,
// and the report stays within its bounds.
TEST_P(Concurrency, CallbackFloodFromHandlerThreadsStaysBounded) {
  REQUIREMENT("CB-104 HS-103");
  Options options = CurrentOptions();
  options.record_trace = true;
  Configure(options);
  std::mutex report_mu;
  std::vector<SessionReport> reports;
  SetSessionObserver([&](const SessionReport& report) {
    std::lock_guard lock(report_mu);
    reports.push_back(report);
  });
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 2000;
  std::atomic<int> answered{0};
  CountingHandler handler(TestGuid(0x220));
  EXPECT_CALL(handler.mock, Synchronize(_)).WillOnce(Invoke([&](HWND) {
    ComPtr<ISyncMgrSynchronizeCallback> cb = handler.mock.callback();
    handler.mock.RunOnThread([&, cb] {
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, cb] {
          SYNCMGRPROGRESSITEM item{};
          item.cbSize = sizeof item;
          for (int i = 0; i < kCallsPerThread; ++i) {
            answered += cb->Progress(TestGuid(1), &item) == S_OK;
            answered += cb->Progress(TestGuid(1), nullptr) == E_INVALIDARG;
            answered +=
                cb->LogError(SYNCMGRLOGLEVEL_WARNING, u"w", nullptr) == S_OK;
            answered += cb->EnableModeless(FALSE) == S_OK;
          }
        });
      }
      for (std::thread& thread : threads) thread.join();
      cb->SynchronizeCompleted(S_OK);
    });
    return S_OK;
  }));
  ComPtr<ISyncMgrSynchronizeInvoke> invoke;
  ASSERT_THAT(
      CreateSyncManager(IID_ISyncMgrSynchronizeInvoke, invoke.PutVoid()),
      HresultIs(S_OK));
  ComPtr<ISyncMgrRegister> reg;
  ASSERT_THAT(invoke.As(&reg), HresultIs(S_OK));
  ASSERT_THAT(reg->RegisterSyncMgrHandler(handler.clsid, nullptr, 0),
              HresultIs(S_OK));
  EXPECT_THAT(
      invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, handler.clsid, 0, nullptr),
      HresultIs(S_OK));
  ASSERT_TRUE(WaitForIdle(30s));
  handler.mock.JoinThreads();
  EXPECT_EQ(answered.load(), 4 * kThreads * kCallsPerThread);
  std::lock_guard lock(report_mu);
  ASSERT_EQ(reports.size(), 1u);
  const SessionReport& report = reports[0];
  EXPECT_EQ(report.outcome, Outcome::kCompleted);
  EXPECT_LE(report.progress.size(), internal::kMaxProgressRecords);
  EXPECT_EQ(report.errors.size(), internal::kMaxLoggedErrors);
  // The kept CB-102 records and one that counts the rest.
  EXPECT_EQ(report.violations.size(),
            internal::kKeptViolationsPerRequirement + 1);
  EXPECT_EQ(report.trace.size(),
            internal::kTraceHeadLines + 1 + internal::kTraceTailLines);
}

INSTANTIATE_TEST_SUITE_P(Modes, Concurrency,
                         ::testing::Values(Mode::kSynchronous,
                                           Mode::kAsynchronous),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return info.param == Mode::kSynchronous
                                      ? "Synchronous"
                                      : "Asynchronous";
                         });

}  // namespace
}  // namespace syncmgr::reference
