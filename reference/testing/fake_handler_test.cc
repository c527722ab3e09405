// The fake handler driven by the reference Sync Manager, in both completion
// styles and both engine modes: every session completes with no violation,
// every object it hands out is released, and the counters say so.
#include "reference/testing/fake_handler.h"

#include <gtest/gtest.h>

#include <mutex>
#include <tuple>
#include <vector>

#include "reference/com/com.h"
#include "reference/com/object.h"
#include "reference/sync_manager.h"

namespace syncmgr::testing {
namespace {

using ::syncmgr::com::ComPtr;
using ::syncmgr::reference::Mode;
using ::syncmgr::reference::Outcome;
using ::syncmgr::reference::SessionReport;
using namespace std::chrono_literals;

constexpr GUID kClsid = {0xFA4E0001,
                         0x1234,
                         0x4321,
                         {0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0F, 0xA4}};

class FakeHandlerTest : public ::testing::TestWithParam<
                            std::tuple<Mode, FakeHandler::Completion>> {
 protected:
  void SetUp() override {
    reference::ResetForTesting();
    reference::Options options;
    options.mode = std::get<0>(GetParam());
    options.completion_timeout = 5s;
    reference::Configure(options);
    reference::SetSessionObserver([this](const SessionReport& report) {
      std::lock_guard lock(mu_);
      reports_.push_back(report);
    });
    ASSERT_EQ(reference::CreateSyncManager(IID_ISyncMgrSynchronizeInvoke,
                                           invoke_.PutVoid()),
              S_OK);
    ASSERT_EQ(invoke_.As(&register_), S_OK);
    ASSERT_EQ(register_->RegisterSyncMgrHandler(kClsid, u"Fake", 0), S_OK);
    live_objects_ = com::LiveObjects();
    task_memory_ = com::OutstandingTaskMemAllocations();
  }
  void TearDown() override {
    EXPECT_TRUE(reference::WaitForIdle(10s));
    register_.Reset();
    invoke_.Reset();
    reference::ResetForTesting();
  }

  FakeHandler::Options HandlerOptions(int items) const {
    FakeHandler::Options options;
    options.completion = std::get<1>(GetParam());
    options.items = items;
    return options;
  }
  std::vector<SessionReport> Reports() {
    std::lock_guard lock(mu_);
    return reports_;
  }

  ComPtr<ISyncMgrSynchronizeInvoke> invoke_;
  ComPtr<ISyncMgrRegister> register_;
  long live_objects_ = 0;
  long task_memory_ = 0;
  std::mutex mu_;
  std::vector<SessionReport> reports_;
};

TEST_P(FakeHandlerTest, SessionsCompleteAndReleaseEverything) {
  constexpr int kSessions = 20;
  const std::vector<BYTE> cookie(100, 0x5A);
  {
    FakeHandler handler(kClsid, HandlerOptions(3));
    ASSERT_EQ(handler.registration_result(), S_OK);
    for (int i = 0; i < kSessions; ++i) {
      ASSERT_EQ(invoke_->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kClsid,
                                     static_cast<DWORD>(cookie.size()),
                                     cookie.data()),
                S_OK);
    }
    EXPECT_TRUE(handler.WaitForSynchronizeCompleted(kSessions, 10s));
    EXPECT_TRUE(reference::WaitForIdle(10s));
    EXPECT_EQ(handler.synchronize_completed(), kSessions);
    EXPECT_EQ(handler.completions_refused(), 0);
    EXPECT_EQ(handler.objects_created(), kSessions);
    EXPECT_EQ(handler.objects_alive(), 0);
    EXPECT_EQ(handler.last_cookie_size(), cookie.size());
  }
  const std::vector<SessionReport> reports = Reports();
  ASSERT_EQ(reports.size(), static_cast<size_t>(kSessions));
  for (const SessionReport& report : reports) {
    EXPECT_EQ(report.outcome, Outcome::kCompleted)
        << reference::OutcomeName(report.outcome);
    EXPECT_TRUE(report.violations.empty())
        << report.violations.front().requirement << ": "
        << report.violations.front().message;
    EXPECT_EQ(report.items.size(), 3u);
    EXPECT_EQ(report.selected.size(), 3u);
    EXPECT_TRUE(report.have_handler_info);
    EXPECT_EQ(report.final_release, 0u);
    EXPECT_EQ(report.cookie, cookie);
  }
  // Handler info blocks were freed by the manager; the class object, the
  // handlers, enumerators and callbacks are gone.
  EXPECT_EQ(com::OutstandingTaskMemAllocations(), task_memory_);
  EXPECT_EQ(com::LiveObjects(), live_objects_);
}

TEST_P(FakeHandlerTest, NoItemsEndsWithNothingSelected) {
  FakeHandler handler(kClsid, HandlerOptions(0));
  ASSERT_EQ(invoke_->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kClsid, 0, nullptr),
            S_OK);
  ASSERT_TRUE(reference::WaitForIdle(10s));
  EXPECT_EQ(handler.synchronize_completed(), 0);
  EXPECT_EQ(handler.objects_alive(), 0);
  const std::vector<SessionReport> reports = Reports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].outcome, Outcome::kNothingSelected);
}

TEST_P(FakeHandlerTest, WaitTimesOutWhenNothingCompletes) {
  FakeHandler handler(kClsid, HandlerOptions(1));
  EXPECT_FALSE(handler.WaitForSynchronizeCompleted(1, 20ms));
}

INSTANTIATE_TEST_SUITE_P(
    All, FakeHandlerTest,
    ::testing::Combine(
        ::testing::Values(Mode::kSynchronous, Mode::kAsynchronous),
        ::testing::Values(FakeHandler::Completion::kInsideCall,
                          FakeHandler::Completion::kOtherThread)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == Mode::kSynchronous
                             ? "Synchronous"
                             : "Asynchronous") +
             (std::get<1>(info.param) == FakeHandler::Completion::kInsideCall
                  ? "InsideCall"
                  : "OtherThread");
    });

// The call count covers the whole lifecycle: the factory, the handler, its
// enumerator and the completions it makes.
TEST(FakeHandlerCalls, CountsEveryCallOfOneSession) {
  reference::ResetForTesting();
  reference::Options options;
  options.mode = Mode::kSynchronous;
  reference::Configure(options);
  ComPtr<ISyncMgrSynchronizeInvoke> invoke;
  ASSERT_EQ(reference::CreateSyncManager(IID_ISyncMgrSynchronizeInvoke,
                                         invoke.PutVoid()),
            S_OK);
  ComPtr<ISyncMgrRegister> reg;
  ASSERT_EQ(invoke.As(&reg), S_OK);
  ASSERT_EQ(reg->RegisterSyncMgrHandler(kClsid, u"Fake", 0), S_OK);
  FakeHandler::Options handler_options;
  handler_options.count_calls = true;
  FakeHandler handler(kClsid, handler_options);
  const std::int64_t registration_calls = handler.calls();
  ASSERT_EQ(invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kClsid, 0, nullptr),
            S_OK);
  const std::int64_t one = handler.calls() - registration_calls;
  // At least CreateInstance, Initialize, GetHandlerInfo, EnumSyncMgrItems,
  // Next, SetProgressCallback twice, PrepareForSync, Synchronize, the two
  // completions and the final Release.
  EXPECT_GE(one, 12);
  ASSERT_EQ(invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kClsid, 0, nullptr),
            S_OK);
  EXPECT_EQ(handler.calls() - registration_calls, 2 * one)
      << "every session makes the same calls";
  EXPECT_EQ(handler.synchronize_completed(), 2);
  reg.Reset();
  invoke.Reset();
  reference::ResetForTesting();
}

}  // namespace
}  // namespace syncmgr::testing
