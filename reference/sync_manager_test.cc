// Unit tests of the reference Sync Manager, linked in, with GoogleMock
// handlers registered with the host COM runtime. Every test names the
// requirements of reference/SPEC.md it checks. Tests that can run in both
// session modes are parameterised over them; none inspects a handler before
// WaitForIdle says the session is over.
#include "reference/sync_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "reference/com/com.h"
#include "reference/com/object.h"
#include "reference/internal/session.h"
#include "reference/mobsync/guid.h"
#include "reference/mobsync/hresult.h"
#include "reference/testing/hresult_matchers.h"
#include "reference/testing/mock_handler.h"
#include "reference/testing/requirement.h"

namespace syncmgr::reference {
namespace {

using ::syncmgr::com::ComPtr;
using ::syncmgr::testing::HandlerMock;
using ::syncmgr::testing::HresultIs;
using ::syncmgr::testing::MakeItem;
using ::syncmgr::testing::RegisteredHandler;
using ::syncmgr::testing::TestGuid;
using ::testing::_;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Invoke;
using ::testing::IsEmpty;
using ::testing::IsNull;
using ::testing::NiceMock;
using ::testing::NotNull;
using ::testing::Return;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

using namespace std::chrono_literals;

const GUID kHandler = TestGuid(0x100);
const GUID kOtherHandler = TestGuid(0x101);
const GUID kUnregistered = TestGuid(0x1FF);
constexpr auto kWait = 10s;

}  // namespace

void PrintTo(Mode mode, std::ostream* os) {
  *os << (mode == Mode::kSynchronous ? "synchronous" : "asynchronous");
}

namespace {

std::string ModeName(const ::testing::TestParamInfo<Mode>& info) {
  return info.param == Mode::kSynchronous ? "Synchronous" : "Asynchronous";
}

bool HasViolation(const SessionReport& report, const std::string& id) {
  return std::any_of(report.violations.begin(), report.violations.end(),
                     [&](const Violation& v) { return v.requirement == id; });
}

std::string ViolationText(const SessionReport& report) {
  std::string text;
  for (const Violation& v : report.violations) {
    text += v.requirement + ": " + v.message + "\n";
  }
  return text.empty() ? "(no violations)" : text;
}

class ReferenceTest : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    ResetForTesting();
    Reconfigure([](Options&) {});
    SetSessionObserver([this](const SessionReport& report) {
      std::lock_guard lock(mu_);
      reports_.push_back(report);
    });
    ASSERT_THAT(
        CreateSyncManager(IID_ISyncMgrSynchronizeInvoke, invoke_.PutVoid()),
        HresultIs(S_OK));
    ASSERT_THAT(invoke_.As(&register_), HresultIs(S_OK));
    ASSERT_THAT(register_->RegisterSyncMgrHandler(kHandler, u"Mock", 0),
                HresultIs(S_OK));
    live_objects_ = com::LiveObjects();
    task_memory_ = com::OutstandingTaskMemAllocations();
  }

  void TearDown() override {
    EXPECT_TRUE(WaitForIdle(kWait)) << "sessions still running";
    mock_.JoinThreads();
    // COM-003: every handler, enumerator and callback object was released.
    EXPECT_EQ(com::LiveObjects(), live_objects_) << "COM objects leaked";
    EXPECT_EQ(com::OutstandingTaskMemAllocations(), task_memory_)
        << "CoTaskMemAlloc blocks leaked";
    com::SetTaskMemFailureHook(nullptr);
    register_.Reset();
    invoke_.Reset();
    ResetForTesting();
  }

  void Reconfigure(const std::function<void(Options&)>& change) {
    Options options;
    options.mode = GetParam();
    options.completion_timeout = 2s;
    change(options);
    Configure(options);
  }

  HRESULT Update(DWORD flags, const std::vector<BYTE>& cookie = {}) {
    return invoke_->UpdateItems(flags, kHandler,
                                static_cast<DWORD>(cookie.size()),
                                cookie.empty() ? nullptr : cookie.data());
  }

  // The reports of every session so far, once all have ended.
  std::vector<SessionReport> Reports() {
    EXPECT_TRUE(WaitForIdle(kWait)) << "sessions still running";
    std::lock_guard lock(mu_);
    return reports_;
  }
  SessionReport OnlyReport() {
    std::vector<SessionReport> reports = Reports();
    EXPECT_THAT(reports, SizeIs(1));
    return reports.empty() ? SessionReport() : reports.front();
  }

  NiceMock<HandlerMock> mock_;
  RegisteredHandler registered_{kHandler, &mock_};
  ComPtr<ISyncMgrSynchronizeInvoke> invoke_;
  ComPtr<ISyncMgrRegister> register_;
  std::mutex mu_;
  std::vector<SessionReport> reports_;
  long live_objects_ = 0;
  long task_memory_ = 0;
};

#define MODES_TEST_SUITE(Suite) \
  using Suite = ReferenceTest;  \
  INSTANTIATE_TEST_SUITE_P(     \
      Modes, Suite,             \
      ::testing::Values(Mode::kSynchronous, Mode::kAsynchronous), ModeName)

// ---------------------------------------------------------------------------
// UpdateItems: arguments
// ---------------------------------------------------------------------------
MODES_TEST_SUITE(UpdateItemsArguments);

// That each is accepted:
// UpdateItemsContract.DocumentedFlagCombinationsAreAccepted. Here: each
// runs a whole session, with or without the Choice step (whose default
// policy selects the CHECKED items).
TEST_P(UpdateItemsArguments, EveryDocumentedFlagCombinationCompletes) {
  REQUIREMENT("UI-003 UI-106");
  for (DWORD flags : {0u, 0x2u, 0x4u, 0x6u}) Update(flags);
  std::vector<SessionReport> reports = Reports();
  ASSERT_THAT(reports, SizeIs(4));
  for (const SessionReport& report : reports) {
    EXPECT_EQ(report.outcome, Outcome::kCompleted)
        << "flags " << report.invoke_flags << ": " << ViolationText(report);
  }
}

TEST_P(UpdateItemsArguments, ClsidNullAndUnregisteredClsidsAreRejected) {
  REQUIREMENT("UI-002 UI-109");
  EXPECT_CALL(mock_, Created()).Times(0);
  const BYTE cookie[] = {1, 2, 3};
  EXPECT_THAT(invoke_->UpdateItems(0, CLSID_NULL, 3, cookie),
              HresultIs(E_INVALIDARG));
  EXPECT_THAT(invoke_->UpdateItems(0, kUnregistered, 3, cookie),
              HresultIs(E_INVALIDARG));
  // Creatable through COM is not enough: it must be registered with us.
  NiceMock<HandlerMock> other;
  RegisteredHandler creatable(kOtherHandler, &other);
  EXPECT_CALL(other, Created()).Times(0);
  EXPECT_THAT(invoke_->UpdateItems(0, kOtherHandler, 3, cookie),
              HresultIs(E_INVALIDARG));
  EXPECT_THAT(Reports(), IsEmpty());
}

// The default cap: UpdateItemsContract.CookieLargerThanTheCapIsOutOfMemory.
TEST_P(UpdateItemsArguments, CookieLargerThanAConfiguredCapIsOutOfMemory) {
  REQUIREMENT("UI-107");
  Reconfigure([](Options& o) { o.max_cookie_bytes = 16; });
  EXPECT_CALL(mock_, Initialize(0, _, 16, NotNull())).Times(1);
  std::vector<BYTE> cookie(17, 0xAB);
  EXPECT_THAT(invoke_->UpdateItems(0, kHandler, 17, cookie.data()),
              HresultIs(E_OUTOFMEMORY));
  EXPECT_THAT(invoke_->UpdateItems(0, kHandler, 16, cookie.data()),
              HresultIs(S_OK));
  EXPECT_THAT(Reports(), SizeIs(1));
}

TEST_P(UpdateItemsArguments, DefaultCapIsOneMebibyte) {
  REQUIREMENT("UI-107");
  EXPECT_EQ(CurrentOptions().max_cookie_bytes, 1u << 20);
  std::vector<BYTE> cookie((1u << 20) + 1, 0x5A);
  EXPECT_THAT(invoke_->UpdateItems(0, kHandler, (1u << 20) + 1, cookie.data()),
              HresultIs(E_OUTOFMEMORY));
  EXPECT_THAT(invoke_->UpdateItems(0, kHandler, 1u << 20, cookie.data()),
              HresultIs(S_OK));
  ASSERT_THAT(Reports(), SizeIs(1));
}

TEST_P(UpdateItemsArguments, AllocationFailureIsOutOfMemory) {
  REQUIREMENT("UI-107");
  EXPECT_CALL(mock_, Created()).Times(0);
  com::SetTaskMemFailureHook([](SIZE_T) { return true; });
  const BYTE cookie[] = {1};
  EXPECT_THAT(invoke_->UpdateItems(0, kHandler, 1, cookie),
              HresultIs(E_OUTOFMEMORY));
  com::SetTaskMemFailureHook(nullptr);
  EXPECT_THAT(Reports(), IsEmpty());
}

// The order of the argument checks:
// UpdateItemsContract.FirstFailingCheckDecides. Here: a manager that is
// shutting down refuses everything before it looks at the arguments.
TEST_P(UpdateItemsArguments, ShutdownIsCheckedBeforeTheArguments) {
  REQUIREMENT("UI-110 UI-113");
  Shutdown();
  EXPECT_THAT(invoke_->UpdateItems(0x1, kUnregistered, 8, nullptr),
              HresultIs(E_UNEXPECTED));
  EXPECT_THAT(Reports(), IsEmpty());
}

TEST_P(UpdateItemsArguments, ShutDownManagerReturnsUnexpected) {
  REQUIREMENT("REG-005 UI-013 UI-110");
  Shutdown();
  EXPECT_CALL(mock_, Created()).Times(0);
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(E_UNEXPECTED));
  EXPECT_THAT(invoke_->UpdateAll(), HresultIs(E_UNEXPECTED));
  EXPECT_THAT(register_->RegisterSyncMgrHandler(kOtherHandler, nullptr, 0),
              HresultIs(E_UNEXPECTED));
  EXPECT_THAT(Reports(), IsEmpty());
}

// ---------------------------------------------------------------------------
// UpdateItems: the cookie
// ---------------------------------------------------------------------------
MODES_TEST_SUITE(CookieHandling);

TEST_P(CookieHandling, EveryByteValueAndSizesUpToTheCap) {
  REQUIREMENT("UI-008 UI-108");
  Reconfigure([](Options& o) { o.max_cookie_bytes = 4096; });
  std::vector<std::vector<BYTE>> cookies;
  for (size_t size : {1u, 2u, 16u, 255u, 4096u}) {
    std::vector<BYTE> cookie(size);
    for (size_t i = 0; i < size; ++i) cookie[i] = static_cast<BYTE>(i * 7);
    cookies.push_back(cookie);
  }
  std::mutex mu;
  std::vector<std::vector<BYTE>> received;
  ON_CALL(mock_, Initialize)
      .WillByDefault(Invoke([&](DWORD, DWORD, DWORD cb, const BYTE* cookie) {
        std::lock_guard lock(mu);
        received.emplace_back(cookie, cookie + cb);
        return S_OK;
      }));
  for (const auto& cookie : cookies) {
    EXPECT_THAT(Update(0, cookie), HresultIs(S_OK));
  }
  EXPECT_THAT(Reports(), SizeIs(cookies.size()));
  std::lock_guard lock(mu);
  EXPECT_EQ(received, cookies);
}

// The event code, SETTINGS and dwReserved:
// CookieContract.InitializeGetsTheInvokeEventAndReservedZero. Here:
// MAYBOTHERUSER follows Options::may_bother_user.
TEST_P(CookieHandling, MayBotherUserOnlyWhenTheHostAllowsUi) {
  REQUIREMENT("UI-114");
  DWORD flags_seen = 0xFFFFFFFF;
  EXPECT_CALL(mock_, Initialize)
      .WillOnce(Invoke([&](DWORD, DWORD flags, DWORD, const BYTE*) {
        flags_seen = flags;
        return S_OK;
      }));
  Update(0, {1, 2, 3});
  OnlyReport();
  EXPECT_EQ(flags_seen & SYNCMGRFLAG_MAYBOTHERUSER, 0u);

  Reconfigure([](Options& o) { o.may_bother_user = true; });
  EXPECT_CALL(mock_, Initialize)
      .WillOnce(Invoke([&](DWORD, DWORD flags, DWORD, const BYTE*) {
        flags_seen = flags;
        return S_OK;
      }));
  Update(0);
  EXPECT_THAT(Reports(), SizeIs(2));
  EXPECT_EQ(flags_seen, DWORD{SYNCMGRFLAG_INVOKE | SYNCMGRFLAG_MAYBOTHERUSER});
}

// ---------------------------------------------------------------------------
// UpdateItems: return codes decided by the handler
// ---------------------------------------------------------------------------
MODES_TEST_SUITE(UpdateItemsReturnCodes);

// S_OK: ReturnCodeContract.SuccessfulSessionReturnsSOk.
TEST_P(UpdateItemsReturnCodes, SuccessfulSessionIsReportedWithoutViolations) {
  REQUIREMENT("UI-001 UI-118");
  Update(SYNCMGRINVOKE_STARTSYNC);
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.outcome, Outcome::kCompleted) << ViolationText(report);
  EXPECT_THAT(report.violations, IsEmpty()) << ViolationText(report);
  EXPECT_EQ(report.clsid, kHandler);
  EXPECT_EQ(report.synchronize_calls, 1);
}

// E_FAIL, and no further call: ReturnCodeContract.InitializeFailureIsEFail.
TEST_P(UpdateItemsReturnCodes, InitializeFailureIsReportedAsInitializeFailed) {
  REQUIREMENT("HS-001 UI-111");
  for (HRESULT failure : {E_OUTOFMEMORY, E_UNEXPECTED, E_INVALIDARG}) {
    EXPECT_CALL(mock_, Initialize).WillOnce(Return(failure));
    Update(SYNCMGRINVOKE_STARTSYNC);
  }
  const std::vector<SessionReport> reports = Reports();
  ASSERT_THAT(reports, SizeIs(3));
  for (const SessionReport& report : reports) {
    EXPECT_EQ(report.outcome, Outcome::kInitializeFailed);
    EXPECT_EQ(report.final_release, 0u);
  }
}

// E_FAIL: ReturnCodeContract.HandlerThatCannotBeCreatedIsEFail.
TEST_P(UpdateItemsReturnCodes, UncreatableHandlerIsReportedAsCreateFailed) {
  REQUIREMENT("UI-111");
  ASSERT_THAT(register_->RegisterSyncMgrHandler(kUnregistered, nullptr, 0),
              HresultIs(S_OK));  // registered, but no COM class behind it
  invoke_->UpdateItems(0, kUnregistered, 0, nullptr);
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.outcome, Outcome::kCreateFailed);
  EXPECT_THAT(report.result, HresultIs(REGDB_E_CLASSNOTREG));
}

// S_OK, and no further call:
// ReturnCodeContract.DecliningHandlerIsReleasedAndCallSucceeds.
TEST_P(UpdateItemsReturnCodes, DecliningHandlerIsReportedAsDeclined) {
  REQUIREMENT("HS-001");
  EXPECT_CALL(mock_, Initialize).WillOnce(Return(S_FALSE));
  Update(SYNCMGRINVOKE_STARTSYNC);
  EXPECT_EQ(OnlyReport().outcome, Outcome::kDeclined);
}

// ---------------------------------------------------------------------------
// The handler lifecycle as the manager drives it
// ---------------------------------------------------------------------------
MODES_TEST_SUITE(HandlerLifecycle);

// The calls the handler gets, and their order:
// LifecycleContract.CallsComeInTheSpecifiedOrder.
TEST_P(HandlerLifecycle, CompletedSessionReportsTheSelectedItems) {
  REQUIREMENT("UI-117");
  mock_.items = {
      MakeItem(TestGuid(1), u"checked"),
      MakeItem(TestGuid(2), u"unchecked", SYNCMGRITEMSTATE_UNCHECKED),
      MakeItem(TestGuid(3), u"checked too")};
  Update(SYNCMGRINVOKE_STARTSYNC);
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.outcome, Outcome::kCompleted) << ViolationText(report);
  EXPECT_THAT(report.selected, ElementsAre(TestGuid(1), TestGuid(3)));
  EXPECT_EQ(report.final_release, 0u);
}

// Neither PrepareForSync nor Synchronize:
// LifecycleContract.NoSelectedItemMeansNoPrepareForSync.
TEST_P(HandlerLifecycle, NoSelectedItemIsReportedAsNothingSelected) {
  REQUIREMENT("HS-014 UI-117");
  mock_.items = {MakeItem(TestGuid(1), u"off", SYNCMGRITEMSTATE_UNCHECKED)};
  EXPECT_CALL(mock_, SetProgressCallback).Times(0);
  Update(SYNCMGRINVOKE_STARTSYNC);
  EXPECT_EQ(OnlyReport().outcome, Outcome::kNothingSelected);
}

TEST_P(HandlerLifecycle, ChoicePolicyDecidesWithoutStartSync) {
  REQUIREMENT("UI-005 UI-106 UI-004");
  std::vector<DWORD> asked;
  Reconfigure([&](Options& o) {
    o.choice = [&](DWORD flags, const std::vector<SYNCMGRITEM>& items) {
      asked.push_back(flags);
      Choice choice;
      choice.selected = {items.back().ItemID, TestGuid(0x77)};  // unknown id
      return choice;
    };
  });
  EXPECT_THAT(Update(0), HresultIs(S_OK));
  EXPECT_THAT(Update(SYNCMGRINVOKE_MINIMIZED), HresultIs(S_OK));
  // STARTSYNC skips the Choice step.
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC | SYNCMGRINVOKE_MINIMIZED),
              HresultIs(S_OK));
  std::vector<SessionReport> reports = Reports();
  ASSERT_THAT(reports, SizeIs(3));
  EXPECT_THAT(asked, ElementsAre(0u, DWORD{SYNCMGRINVOKE_MINIMIZED}));
  std::sort(reports.begin(), reports.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  EXPECT_THAT(reports[0].selected, ElementsAre(TestGuid(2)));
  EXPECT_THAT(reports[1].selected, ElementsAre(TestGuid(2)));
  EXPECT_THAT(reports[2].selected, ElementsAre(TestGuid(1), TestGuid(2)));
}

TEST_P(HandlerLifecycle, CancelledChoiceReleasesWithoutPrepare) {
  REQUIREMENT("UI-106");
  Reconfigure([](Options& o) {
    o.choice = [](DWORD, const std::vector<SYNCMGRITEM>&) {
      Choice choice;
      choice.cancel = true;
      return choice;
    };
  });
  EXPECT_CALL(mock_, PrepareForSync).Times(0);
  EXPECT_CALL(mock_, Destroyed());
  EXPECT_THAT(Update(0), HresultIs(S_OK));
  EXPECT_EQ(OnlyReport().outcome, Outcome::kCancelled);
}

// No Synchronize, the callback taken back:
// LifecycleContract.RefusedPrepareForSyncEndsWithoutSynchronize. Here: a
// refusal is the handler's failure, not a violation, and UpdateItems had
// already answered S_OK (the contract also allows E_FAIL).
TEST_P(HandlerLifecycle, RefusedPrepareForSyncIsNoViolation) {
  REQUIREMENT("HS-013 HS-102 UI-101");
  for (HRESULT refusal : {S_FALSE, E_OUTOFMEMORY}) {
    EXPECT_CALL(mock_, PrepareForSync).WillOnce(Return(refusal));
    EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
    ASSERT_TRUE(WaitForIdle(kWait));
  }
  const std::vector<SessionReport> reports = Reports();
  ASSERT_THAT(reports, SizeIs(2));
  for (const SessionReport& report : reports) {
    EXPECT_EQ(report.outcome, Outcome::kHandlerFailed);
    EXPECT_THAT(report.violations, IsEmpty()) << ViolationText(report);
  }
}

// No Synchronize:
// LifecycleContract.FailedPrepareCompletionEndsWithoutSynchronize. Here:
// the completion's hr is the session's result, and UpdateItems had already
// answered S_OK (the contract also allows E_FAIL).
TEST_P(HandlerLifecycle, FailedPrepareCompletionIsTheHandlersFailure) {
  REQUIREMENT("CB-001 UI-101");
  EXPECT_CALL(mock_, PrepareForSync)
      .WillOnce(Invoke([&](ULONG, GUID*, HWND, DWORD) {
        mock_.callback()->PrepareForSyncCompleted(E_FAIL);
        return S_OK;
      }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.outcome, Outcome::kHandlerFailed);
  EXPECT_THAT(report.result, HresultIs(E_FAIL));
}

TEST_P(HandlerLifecycle, CompletionsMayComeFromOtherThreadsLater) {
  REQUIREMENT("CB-104 HS-012 HS-015 HS-016 HS-025");
  std::atomic<bool> synchronize_called{false};
  EXPECT_CALL(mock_, PrepareForSync)
      .WillOnce(Invoke([&](ULONG, GUID*, HWND, DWORD) {
        auto callback = mock_.callback();
        mock_.RunOnThread([callback, &synchronize_called] {
          std::this_thread::sleep_for(20ms);
          // HS-015: Synchronize only after PrepareForSyncCompleted.
          EXPECT_FALSE(synchronize_called.load());
          EXPECT_THAT(callback->PrepareForSyncCompleted(S_OK), HresultIs(S_OK));
        });
        return S_OK;
      }));
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    synchronize_called = true;
    auto callback = mock_.callback();
    mock_.RunOnThread([callback] {
      std::this_thread::sleep_for(20ms);
      EXPECT_THAT(callback->SynchronizeCompleted(S_OK), HresultIs(S_OK));
    });
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.outcome, Outcome::kCompleted) << ViolationText(report);
}

TEST_P(HandlerLifecycle, MissingCompletionTimesOut) {
  REQUIREMENT("HS-112 HS-010");
  Reconfigure([](Options& o) { o.completion_timeout = 50ms; });
  EXPECT_CALL(mock_, Synchronize).WillOnce(Return(S_OK));  // never completes
  EXPECT_CALL(mock_, SetProgressCallback(IsNull()));
  EXPECT_CALL(mock_, SetProgressCallback(NotNull()));
  EXPECT_CALL(mock_, Destroyed());
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.outcome, Outcome::kTimedOut);
  EXPECT_TRUE(HasViolation(report, "HS-112")) << ViolationText(report);
  EXPECT_THAT(ViolationText(report), HasSubstr("silent"));
}

// A handler that reports its work may take longer than completion_timeout:
// each Progress starts the wait again.
TEST_P(HandlerLifecycle, ReportingHandlerMayTakeLongerThanTheTimeout) {
  REQUIREMENT("HS-112");
  Reconfigure([](Options& o) { o.completion_timeout = 150ms; });
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    auto callback = mock_.callback();
    mock_.RunOnThread([callback] {
      // 600 ms of work, four times the timeout, reported every 30 ms.
      for (INT step = 1; step <= 20; ++step) {
        std::this_thread::sleep_for(30ms);
        SYNCMGRPROGRESSITEM item{};
        item.cbSize = sizeof item;
        item.mask =
            SYNCMGRPROGRESSITEM_PROGVALUE | SYNCMGRPROGRESSITEM_MAXVALUE;
        item.iProgValue = step;
        item.iMaxValue = 20;
        EXPECT_THAT(callback->Progress(TestGuid(1), &item), HresultIs(S_OK));
      }
      EXPECT_THAT(callback->SynchronizeCompleted(S_OK), HresultIs(S_OK));
    });
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.outcome, Outcome::kCompleted) << ViolationText(report);
}

// However busy the handler looks, one completion is waited for at most
// completion_limit.
TEST_P(HandlerLifecycle, ReportingWithoutCompletingStopsAtTheLimit) {
  REQUIREMENT("HS-112");
  Reconfigure([](Options& o) {
    o.completion_timeout = 100ms;
    o.completion_limit = 300ms;
  });
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    auto callback = mock_.callback();
    mock_.RunOnThread([callback] {
      for (int i = 0; i < 30; ++i) {  // 900 ms, never completing
        std::this_thread::sleep_for(30ms);
        SYNCMGRPROGRESSITEM item{};
        item.cbSize = sizeof item;
        callback->Progress(TestGuid(1), &item);
      }
    });
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.outcome, Outcome::kTimedOut);
  EXPECT_TRUE(HasViolation(report, "HS-112")) << ViolationText(report);
  EXPECT_THAT(ViolationText(report), HasSubstr("300 ms limit"));
}

TEST_P(HandlerLifecycle, SkippedItemsGetSetItemStatusInsideTheWindow) {
  REQUIREMENT("HS-019 HS-020 HS-104");
  Reconfigure([](Options& o) { o.skip_items = {TestGuid(2)}; });
  // PrepareForSync returns without completing; the manager may then skip.
  EXPECT_CALL(mock_, PrepareForSync).WillOnce(Return(S_OK));
  EXPECT_CALL(mock_, SetItemStatus(TestGuid(2), DWORD{SYNCMGRSTATUS_SKIPPED}))
      .WillOnce(Invoke([&](const GUID&, DWORD) {
        mock_.callback()->PrepareForSyncCompleted(S_OK);
        return S_OK;
      }));
  EXPECT_CALL(mock_, SetItemStatus(TestGuid(1), _)).Times(0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.outcome, Outcome::kCompleted) << ViolationText(report);
  // The completion called inside SetItemStatus, on the manager's thread,
  // was not held for the skip (internal::kMaxSkipHold).
  EXPECT_LT(std::chrono::steady_clock::now() - start,
            internal::kMaxSkipHold / 2);
}

TEST_P(HandlerLifecycle, NoSetItemStatusOnceTheWindowClosed) {
  REQUIREMENT("HS-019 HS-104");
  Reconfigure([](Options& o) { o.skip_items = {TestGuid(1)}; });
  // Completions come before the methods return: no window is open.
  EXPECT_CALL(mock_, SetItemStatus).Times(0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  EXPECT_EQ(OnlyReport().outcome, Outcome::kCompleted);
  // Calls on the thread inside PrepareForSync and Synchronize are never
  // held for a skip (internal::kMaxSkipHold).
  EXPECT_LT(std::chrono::steady_clock::now() - start,
            internal::kMaxSkipHold / 2);
}

// A worker that reports and completes at once, while the thread that called
// Synchronize has not returned yet (the scheduling a worker often gets under
// Wine): the manager holds the worker's callback calls until it has sent
// SetItemStatus, so the skip is sent inside the window every time, before
// the worker reports anything. (Without the hold the worker closes the
// window before Synchronize returns, and no skip is ever sent.)
TEST_P(HandlerLifecycle, SkipIsSentBeforeAWorkerThatCompletesAtOnce) {
  REQUIREMENT("HS-019 HS-020 HS-104");
  Reconfigure([](Options& o) {
    o.skip_items = {TestGuid(2)};
    o.record_trace = true;
  });
  constexpr int kSessions = 20;
  EXPECT_CALL(mock_, SetItemStatus(TestGuid(2), DWORD{SYNCMGRSTATUS_SKIPPED}))
      .Times(kSessions);
  EXPECT_CALL(mock_, SetItemStatus(TestGuid(1), _)).Times(0);
  EXPECT_CALL(mock_, Synchronize)
      .Times(kSessions)
      .WillRepeatedly(Invoke([&](HWND) {
        auto callback = mock_.callback();
        auto done = std::make_shared<std::promise<void>>();
        std::future<void> worker_done = done->get_future();
        mock_.RunOnThread([callback, done] {
          for (int n : {1, 2}) {
            SYNCMGRPROGRESSITEM item{};
            item.cbSize = sizeof item;
            item.mask = SYNCMGRPROGRESSITEM_STATUSTYPE;
            item.dwStatusType = SYNCMGRSTATUS_SUCCEEDED;
            callback->Progress(TestGuid(n), &item);
          }
          callback->SynchronizeCompleted(S_OK);
          done->set_value();
        });
        // Synchronize returns only once its worker is done, or after 50 ms
        // when the worker's calls are held.
        worker_done.wait_for(50ms);
        return S_OK;
      }));
  for (int i = 0; i < kSessions; ++i) {
    EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  }
  const std::vector<SessionReport> reports = Reports();
  ASSERT_THAT(reports, SizeIs(kSessions));
  for (const SessionReport& report : reports) {
    EXPECT_EQ(report.outcome, Outcome::kCompleted) << ViolationText(report);
    EXPECT_THAT(report.violations, IsEmpty()) << ViolationText(report);
    // In the trace: the skip, then the worker's calls.
    std::vector<std::string> order;
    for (const std::string& line : report.trace) {
      for (const char* call :
           {"SetItemStatus(SKIPPED)", "  <- Progress", "  <- Synchronize"}) {
        if (line.rfind(call, 0) == 0) order.push_back(call);
      }
    }
    EXPECT_THAT(order, ElementsAre("SetItemStatus(SKIPPED)", "  <- Progress",
                                   "  <- Progress", "  <- Synchronize"))
        << "session " << report.id;
  }
}

// A Synchronize that waits for its own worker's callback call before it
// returns: the worker's call is held at most internal::kMaxSkipHold, then
// goes on; the session ends normally (no hang), with no skip to send.
TEST_P(HandlerLifecycle, SkipHoldIsBounded) {
  REQUIREMENT("HS-019 HS-104");
  Reconfigure([](Options& o) { o.skip_items = {TestGuid(2)}; });
  EXPECT_CALL(mock_, SetItemStatus).Times(0);
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    auto callback = mock_.callback();
    auto done = std::make_shared<std::promise<void>>();
    std::future<void> worker_done = done->get_future();
    mock_.RunOnThread([callback, done] {
      callback->SynchronizeCompleted(S_OK);
      done->set_value();
    });
    worker_done.wait();
    return S_OK;
  }));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(report.outcome, Outcome::kCompleted) << ViolationText(report);
  EXPECT_GE(took, internal::kMaxSkipHold);
  EXPECT_LT(took, internal::kMaxSkipHold + 5s);
}

// With Options::show_errors the reference calls ShowError itself, honours
// the retry and reports it. The plug-in that the conformance suite runs
// never calls ShowError, so there
// LifecycleContract.ShowErrorRetryRunsPrepareAndSynchronizeAgain is not run.
TEST_P(HandlerLifecycle, ShowErrorsOptionRetryRunsPrepareAndSynchronizeAgain) {
  REQUIREMENT("CB-005 CB-006 CB-007 CB-012 CB-103 HS-022 HS-024");
  Reconfigure([](Options& o) { o.show_errors = true; });
  const GUID error_id = TestGuid(0x500);
  EXPECT_CALL(mock_, Synchronize)
      .WillOnce(Invoke([&](HWND) {
        SYNCMGRLOGERRORINFO info{};
        info.cbSize = sizeof info;
        info.mask = SYNCMGRLOGERROR_ERRORID | SYNCMGRLOGERROR_ERRORFLAGS;
        info.dwSyncMgrErrorFlags = SYNCMGRERRORFLAG_ENABLEJUMPTEXT;
        info.ErrorID = error_id;
        EXPECT_THAT(
            mock_.callback()->LogError(SYNCMGRLOGLEVEL_ERROR, u"failed", &info),
            HresultIs(S_OK));
        mock_.callback()->SynchronizeCompleted(S_OK);
        return S_OK;
      }))
      .WillOnce(Invoke([&](HWND) {
        mock_.callback()->SynchronizeCompleted(S_OK);
        return S_OK;
      }));
  EXPECT_CALL(mock_, ShowError(IsNull(), error_id))
      .WillOnce(Invoke([&](HWND, const GUID&) {
        // CB-103: a count without ids is refused and retries nothing.
        EXPECT_THAT(mock_.callback()->ShowErrorCompleted(S_SYNCMGR_RETRYSYNC, 2,
                                                         nullptr),
                    HresultIs(E_INVALIDARG));
        GUID retry[] = {TestGuid(2)};
        EXPECT_THAT(
            mock_.callback()->ShowErrorCompleted(S_SYNCMGR_RETRYSYNC, 1, retry),
            HresultIs(S_OK));
        retry[0] = TestGuid(0x99);  // CB-007: the manager kept a copy
        return S_OK;
      }));
  EXPECT_CALL(mock_, PrepareForSync(2, _, _, _));
  EXPECT_CALL(mock_, PrepareForSync(1, _, _, _));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.outcome, Outcome::kCompleted) << ViolationText(report);
  EXPECT_EQ(report.synchronize_calls, 2);
  EXPECT_THAT(mock_.prepared_items(), ElementsAre(TestGuid(2)));
  ASSERT_THAT(report.errors, SizeIs(1));
  EXPECT_EQ(report.errors[0].text, u"failed");
}

// ShowError may show UI without MAYBOTHERUSER, after asking EnableModeless:
// that is no HS-013 violation; the same call from Synchronize is.
TEST_P(HandlerLifecycle, EnableModelessIsForShowErrorWithoutMayBotherUser) {
  REQUIREMENT("HS-013");
  Reconfigure([](Options& o) {
    o.show_errors = true;
    o.may_bother_user = false;
  });
  const GUID error_id = TestGuid(0x501);
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    SYNCMGRLOGERRORINFO info{};
    info.cbSize = sizeof info;
    info.mask = SYNCMGRLOGERROR_ERRORID | SYNCMGRLOGERROR_ERRORFLAGS;
    info.dwSyncMgrErrorFlags = SYNCMGRERRORFLAG_ENABLEJUMPTEXT;
    info.ErrorID = error_id;
    mock_.callback()->LogError(SYNCMGRLOGLEVEL_ERROR, u"failed", &info);
    mock_.callback()->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  EXPECT_CALL(mock_, ShowError(IsNull(), error_id))
      .WillOnce(Invoke([&](HWND, const GUID&) {
        EXPECT_THAT(mock_.callback()->EnableModeless(TRUE), HresultIs(S_FALSE));
        mock_.callback()->ShowErrorCompleted(S_OK, 0, nullptr);
        return S_OK;
      }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.outcome, Outcome::kCompleted) << ViolationText(report);
  EXPECT_FALSE(HasViolation(report, "HS-013")) << ViolationText(report);
}

TEST_P(HandlerLifecycle, HandlerUnregisteredDuringSessionFinishesNormally) {
  REQUIREMENT("REG-102 REG-006");
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    EXPECT_THAT(register_->UnregisterSyncMgrHandler(kHandler, 0),
                HresultIs(S_OK));
    mock_.callback()->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  EXPECT_EQ(OnlyReport().outcome, Outcome::kCompleted);
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(E_INVALIDARG));
}

// ---------------------------------------------------------------------------
// Protocol violations by the handler, seen through the callback
// ---------------------------------------------------------------------------
MODES_TEST_SUITE(CallbackChecks);

// E_UNEXPECTED: CallbackContract.SecondCompletionIsUnexpected.
TEST_P(CallbackChecks, SecondCompletionIsRecordedAsViolation) {
  REQUIREMENT("HS-108");
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    mock_.callback()->SynchronizeCompleted(S_OK);
    mock_.callback()->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  Update(SYNCMGRINVOKE_STARTSYNC);
  const SessionReport report = OnlyReport();
  EXPECT_TRUE(HasViolation(report, "HS-108")) << ViolationText(report);
}

TEST_P(CallbackChecks, CompletionAfterRefusalIsUnexpected) {
  REQUIREMENT("CB-002 CB-003");
  EXPECT_CALL(mock_, PrepareForSync)
      .WillOnce(Invoke([&](ULONG, GUID*, HWND, DWORD) {
        mock_.callback()->PrepareForSyncCompleted(S_OK);
        return S_FALSE;  // and yet it completed
      }))
      .WillOnce(Invoke([&](ULONG, GUID*, HWND, DWORD) {
        mock_.callback()->PrepareForSyncCompleted(S_OK);
        return S_OK;
      }));
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    mock_.callback()->SynchronizeCompleted(S_OK);
    return E_FAIL;  // and yet it completed
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  std::vector<SessionReport> reports = Reports();
  ASSERT_THAT(reports, SizeIs(2));
  std::sort(reports.begin(), reports.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  EXPECT_TRUE(HasViolation(reports[0], "CB-002")) << ViolationText(reports[0]);
  EXPECT_TRUE(HasViolation(reports[1], "CB-003")) << ViolationText(reports[1]);
  EXPECT_EQ(reports[1].outcome, Outcome::kHandlerFailed);
}

// E_UNEXPECTED: CallbackContract.UnsolicitedCompletionsAreUnexpected.
TEST_P(CallbackChecks, UnsolicitedCompletionsAreRecordedAsViolations) {
  REQUIREMENT("CB-004 CB-101");
  EXPECT_CALL(mock_, PrepareForSync)
      .WillOnce(Invoke([&](ULONG, GUID*, HWND, DWORD) {
        auto cb = mock_.callback();
        cb->ShowPropertiesCompleted(S_OK);
        cb->ShowErrorCompleted(S_OK, 0, nullptr);
        cb->SynchronizeCompleted(S_OK);
        cb->PrepareForSyncCompleted(S_OK);
        return S_OK;
      }));
  Update(SYNCMGRINVOKE_STARTSYNC);
  const SessionReport report = OnlyReport();
  EXPECT_TRUE(HasViolation(report, "CB-004")) << ViolationText(report);
  EXPECT_TRUE(HasViolation(report, "CB-101")) << ViolationText(report);
  EXPECT_EQ(report.outcome, Outcome::kCompleted);
}

struct ProgressCase {
  const char* what;
  DWORD cb_size;
  UINT mask;
  DWORD status;
  INT value;
  INT max;
  bool known_item;
  const char* requirement;  // nullptr: no violation
};

// What Progress answers: CallbackContract.ProgressArgumentsAreChecked.
// Here: a well-formed report is recorded, a bad one is the violation of
// its rule.
TEST_P(CallbackChecks, BadProgressArgumentsAreRecordedAsViolations) {
  REQUIREMENT("CB-102 CB-105 CB-107 HS-017 ST-003 ST-004");
  constexpr UINT kAll = 0xF;
  const ProgressCase cases[] = {
      {"well formed", 32, kAll, SYNCMGRSTATUS_UPDATING, 1, 10, true, nullptr},
      {"empty mask", 32, 0, 0, 0, 0, true, nullptr},
      {"wrong cbSize", 24, kAll, SYNCMGRSTATUS_UPDATING, 1, 10, true, "CB-102"},
      {"unknown mask bit", 32, 0x10, 0, 0, 0, true, "CB-102"},
      {"unknown status", 32, SYNCMGRPROGRESSITEM_STATUSTYPE, 0x42, 0, 0, true,
       "CB-102"},
      {"value above max", 32, kAll, SYNCMGRSTATUS_UPDATING, 11, 10, true,
       "CB-105"},
      {"negative value", 32, SYNCMGRPROGRESSITEM_PROGVALUE, 0, -1, 0, true,
       "CB-105"},
      {"item never enumerated", 32, 0, 0, 0, 0, false, "CB-107"},
  };
  for (const ProgressCase& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
      SYNCMGRPROGRESSITEM item{};
      item.cbSize = c.cb_size;
      item.mask = c.mask;
      item.lpcStatusText = u"working";
      item.dwStatusType = c.status;
      item.iProgValue = c.value;
      item.iMaxValue = c.max;
      mock_.callback()->Progress(c.known_item ? TestGuid(1) : TestGuid(0x42),
                                 &item);
      mock_.callback()->SynchronizeCompleted(S_OK);
      return S_OK;
    }));
    {
      std::lock_guard lock(mu_);
      reports_.clear();
    }
    Update(SYNCMGRINVOKE_STARTSYNC);
    const SessionReport report = OnlyReport();
    if (c.requirement == nullptr) {
      EXPECT_THAT(report.violations, IsEmpty()) << ViolationText(report);
      ASSERT_THAT(report.progress, SizeIs(1));
    } else {
      EXPECT_TRUE(HasViolation(report, c.requirement)) << ViolationText(report);
    }
  }
}

TEST_P(CallbackChecks, ProgressAnswersCancellation) {
  REQUIREMENT("CB-009");
  for (HRESULT answer : {S_SYNCMGR_CANCELITEM, S_SYNCMGR_CANCELALL}) {
    Reconfigure([&](Options& o) { o.progress_answer = answer; });
    HRESULT got = S_OK;
    EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
      SYNCMGRPROGRESSITEM item{};
      item.cbSize = sizeof item;
      got = mock_.callback()->Progress(TestGuid(1), &item);
      mock_.callback()->SynchronizeCompleted(S_OK);
      return S_OK;
    }));
    EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
    ASSERT_TRUE(WaitForIdle(kWait));
    EXPECT_THAT(got, HresultIs(answer));
  }
}

TEST_P(CallbackChecks, LogErrorAndDeleteLogError) {
  REQUIREMENT("CB-011 CB-012 CB-013 CB-102 CB-107 CB-015");
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    auto cb = mock_.callback();
    SYNCMGRLOGERRORINFO info{};
    info.cbSize = sizeof info;
    info.mask = SYNCMGRLOGERROR_ERRORID | SYNCMGRLOGERROR_ITEMID;
    info.ErrorID = TestGuid(0x600);
    info.ItemID = TestGuid(1);
    EXPECT_THAT(cb->LogError(SYNCMGRLOGLEVEL_INFORMATION, u"a", nullptr),
                HresultIs(S_OK));
    EXPECT_THAT(cb->LogError(SYNCMGRLOGLEVEL_WARNING, u"b", &info),
                HresultIs(S_OK));
    EXPECT_THAT(cb->LogError(0, u"level 0", nullptr), HresultIs(E_INVALIDARG));
    EXPECT_THAT(cb->LogError(4, u"level 4", nullptr), HresultIs(E_INVALIDARG));
    EXPECT_THAT(cb->LogError(SYNCMGRLOGLEVEL_ERROR, nullptr, nullptr),
                HresultIs(E_INVALIDARG));
    SYNCMGRLOGERRORINFO bad = info;
    bad.cbSize = 40;
    EXPECT_THAT(cb->LogError(SYNCMGRLOGLEVEL_ERROR, u"c", &bad),
                HresultIs(E_INVALIDARG));
    bad = info;
    bad.ItemID = TestGuid(0x43);
    EXPECT_THAT(cb->LogError(SYNCMGRLOGLEVEL_ERROR, u"d", &bad),
                HresultIs(E_INVALIDARG));
    // Deleting one error by id, then every error with GUID_NULL.
    EXPECT_THAT(cb->DeleteLogError(TestGuid(0x600), 0), HresultIs(S_OK));
    EXPECT_THAT(cb->LogError(SYNCMGRLOGLEVEL_ERROR, u"e", nullptr),
                HresultIs(S_OK));
    EXPECT_THAT(cb->DeleteLogError(GUID_NULL, 0), HresultIs(S_OK));
    EXPECT_THAT(cb->LogError(SYNCMGRLOGLEVEL_ERROR, u"kept", nullptr),
                HresultIs(S_OK));
    EXPECT_THAT(cb->DeleteLogError(GUID_NULL, 1), HresultIs(E_INVALIDARG));
    cb->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  ASSERT_THAT(report.errors, SizeIs(1));
  EXPECT_EQ(report.errors[0].text, u"kept");
  EXPECT_TRUE(HasViolation(report, "CB-102")) << ViolationText(report);
  EXPECT_TRUE(HasViolation(report, "CB-107")) << ViolationText(report);
}

// The answers with the default options, and EstablishConnection's:
// CallbackContract.EnableModelessAndEstablishConnection. Here:
// EnableModeless(TRUE) follows Options::may_bother_user, and asking for a
// dialog is the handler's violation only without MAYBOTHERUSER.
TEST_P(CallbackChecks, EnableModelessFollowsMayBotherUser) {
  REQUIREMENT("CB-106 HS-013");
  for (bool may_bother : {false, true}) {
    Reconfigure([&](Options& o) { o.may_bother_user = may_bother; });
    HRESULT enable = E_FAIL;
    EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
      enable = mock_.callback()->EnableModeless(TRUE);
      mock_.callback()->SynchronizeCompleted(S_OK);
      return S_OK;
    }));
    Update(SYNCMGRINVOKE_STARTSYNC);
    ASSERT_TRUE(WaitForIdle(kWait));
    EXPECT_THAT(enable, HresultIs(may_bother ? S_OK : S_FALSE));
  }
  std::vector<SessionReport> reports = Reports();
  ASSERT_THAT(reports, SizeIs(2));
  std::sort(reports.begin(), reports.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  EXPECT_EQ(reports[0].syncmgr_flags & SYNCMGRFLAG_MAYBOTHERUSER, 0u);
  EXPECT_TRUE(HasViolation(reports[0], "HS-013")) << ViolationText(reports[0]);
  EXPECT_NE(reports[1].syncmgr_flags & SYNCMGRFLAG_MAYBOTHERUSER, 0u);
  EXPECT_FALSE(HasViolation(reports[1], "HS-013")) << ViolationText(reports[1]);
}

// E_UNEXPECTED: CallbackContract.CallbackUsedAfterTheSessionIsUnexpected.
// Here: the reference kept is the handler's violation, and each late call
// is counted.
TEST_P(CallbackChecks, CallbackUsedAfterTheSessionIsRecordedAsViolations) {
  REQUIREMENT("HS-009 HS-109 HS-111");
  ComPtr<ISyncMgrSynchronizeCallback> kept;
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    kept = mock_.callback();  // a leaked reference to the callback
    kept->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  Update(SYNCMGRINVOKE_STARTSYNC);
  const SessionReport report = OnlyReport();
  EXPECT_TRUE(HasViolation(report, "HS-109")) << ViolationText(report);
  const std::uint64_t late_before = GetStatistics().late_violations;
  SYNCMGRPROGRESSITEM item{};
  item.cbSize = sizeof item;
  kept->Progress(TestGuid(1), &item);
  kept->SynchronizeCompleted(S_OK);
  EXPECT_EQ(GetStatistics().late_violations, late_before + 2);
  kept.Reset();
}

// ---------------------------------------------------------------------------
// What the handler hands back: return codes, handler info, items
// ---------------------------------------------------------------------------
MODES_TEST_SUITE(HandlerDataChecks);

TEST_P(HandlerDataChecks, HandlerInfoIsValidatedAndFreed) {
  REQUIREMENT("HS-006 HS-106 HS-103 ST-003");
  EXPECT_CALL(mock_, GetHandlerInfo)
      .WillOnce(Invoke([](SYNCMGRHANDLERINFO** out) {
        auto* info = static_cast<SYNCMGRHANDLERINFO*>(
            CoTaskMemAlloc(sizeof(SYNCMGRHANDLERINFO)));
        std::memset(info, 0, sizeof *info);
        info->cbSize = 76;  // the 32-bit size
        info->SyncMgrHandlerFlags = 0x30;
        for (auto& c : info->wszHandlerName) c = u'x';  // unterminated
        *out = info;
        return S_OK;
      }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.outcome, Outcome::kCompleted);
  int handler_info_violations = 0;
  for (const Violation& v : report.violations) {
    handler_info_violations += v.requirement == "HS-106";
  }
  EXPECT_EQ(handler_info_violations, 3) << ViolationText(report);
  // TearDown checks the block was freed with CoTaskMemFree.
}

TEST_P(HandlerDataChecks, NullHandlerInfoWithSOkIsAViolation) {
  REQUIREMENT("HS-106");
  EXPECT_CALL(mock_, GetHandlerInfo).WillOnce(Return(S_OK));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_TRUE(HasViolation(report, "HS-106")) << ViolationText(report);
  EXPECT_FALSE(report.have_handler_info);
}

TEST_P(HandlerDataChecks, MalformedItemsAreReportedAndIgnored) {
  REQUIREMENT("EN-001 HS-103 HS-107 ST-003");
  SYNCMGRITEM wrong_size = MakeItem(TestGuid(5), u"wrong size");
  wrong_size.cbSize = 296;
  SYNCMGRITEM unterminated = MakeItem(TestGuid(6), u"");
  for (auto& c : unterminated.wszItemName) c = u'n';
  SYNCMGRITEM bad_flags = MakeItem(TestGuid(7), u"flags");
  bad_flags.dwFlags = 0x180;
  mock_.items = {MakeItem(TestGuid(1), u"good"), wrong_size,
                 MakeItem(TestGuid(1), u"duplicate"), unterminated, bad_flags};
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  int item_violations = 0;
  for (const Violation& v : report.violations) {
    item_violations += v.requirement == "HS-107";
  }
  EXPECT_EQ(item_violations, 4) << ViolationText(report);
  ASSERT_THAT(report.items, SizeIs(3));
  EXPECT_EQ(report.items[0].wszItemName[0], u'g');  // the first one wins
  EXPECT_EQ(report.items[1].wszItemName[MAX_SYNCMGRITEMNAME - 1], 0);
  EXPECT_EQ(report.items[2].dwFlags, 0u);
  EXPECT_THAT(report.selected,
              ElementsAre(TestGuid(1), TestGuid(6), TestGuid(7)));
}

TEST_P(HandlerDataChecks, EnumeratorErrorsEndTheSession) {
  REQUIREMENT("EN-001 HS-007 HS-116");
  EXPECT_CALL(mock_, EnumSyncMgrItems).WillOnce(Return(E_OUTOFMEMORY));
  EXPECT_CALL(mock_, PrepareForSync).Times(0);
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  EXPECT_EQ(OnlyReport().outcome, Outcome::kHandlerFailed);
}

// `next_calls`, when given, counts the Next calls.
class BrokenEnumerator final : public com::Object<ISyncMgrEnumItems> {
 public:
  explicit BrokenEnumerator(int fault, int* next_calls = nullptr)
      : fault_(fault), next_calls_(next_calls) {}
  HRESULT STDMETHODCALLTYPE Next(ULONG celt, SYNCMGRITEM* rgelt,
                                 ULONG* fetched) override {
    if (next_calls_ != nullptr) ++*next_calls_;
    switch (fault_) {
      case 0:  // claims more than it was asked for
        rgelt[0] = MakeItem(TestGuid(1), u"one");
        *fetched = celt + 1;
        return S_OK;
      case 1:  // S_OK with fewer items than asked, then the end
        if (calls_++ > 0) {
          *fetched = 0;
          return S_FALSE;
        }
        rgelt[0] = MakeItem(TestGuid(1), u"one");
        *fetched = 1;
        return S_OK;
      case 2:  // never ends
        *fetched = 0;
        return S_OK;
      case 4:  // never ends: S_OK with one item of cbSize 0 each time
        rgelt[0] = SYNCMGRITEM{};
        *fetched = 1;
        return S_OK;
      case 5:  // never ends: S_OK with the same valid item each time
        rgelt[0] = MakeItem(TestGuid(1), u"again");
        *fetched = 1;
        return S_OK;
      case 6: {  // never ends: S_OK with one new valid item each time
        GUID id = TestGuid(1);
        id.Data2 = static_cast<WORD>(calls_ >> 16);
        id.Data3 = static_cast<WORD>(calls_ & 0xFFFF);
        ++calls_;
        rgelt[0] = MakeItem(id, u"one more");
        *fetched = 1;
        return S_OK;
      }
      default:  // forbidden code
        return E_NOTIMPL;
    }
  }
  HRESULT STDMETHODCALLTYPE Skip(ULONG) override { return S_OK; }
  HRESULT STDMETHODCALLTYPE Reset() override { return S_OK; }
  HRESULT STDMETHODCALLTYPE Clone(ISyncMgrEnumItems**) override {
    return E_NOTIMPL;
  }

 private:
  int fault_;
  int* next_calls_;
  int calls_ = 0;
};

TEST_P(HandlerDataChecks, EnumeratorBreakingNextIsReported) {
  REQUIREMENT("EN-001 EN-101 HS-105");
  const struct {
    int fault;
    const char* requirement;
    Outcome outcome;
  } cases[] = {{0, "EN-101", Outcome::kHandlerFailed},
               {1, "EN-101", Outcome::kCompleted},
               {2, "EN-101", Outcome::kNothingSelected},
               {3, "EN-001", Outcome::kHandlerFailed}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.fault);
    EXPECT_CALL(mock_, EnumSyncMgrItems)
        .WillOnce(Invoke([&](ISyncMgrEnumItems** out) {
          *out = new BrokenEnumerator(c.fault);
          return S_OK;
        }));
    {
      std::lock_guard lock(mu_);
      reports_.clear();
    }
    EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
    const SessionReport report = OnlyReport();
    EXPECT_TRUE(HasViolation(report, c.requirement)) << ViolationText(report);
    EXPECT_EQ(report.outcome, c.outcome) << OutcomeName(report.outcome);
  }
}

// The session goes on with the items:
// LifecycleContract.MissingItemsCodeIsAccepted. Here: the code is no
// violation.
TEST_P(HandlerDataChecks, MissingItemsCodeIsNoViolation) {
  REQUIREMENT("HS-007");
  EXPECT_CALL(mock_, EnumSyncMgrItems)
      .WillOnce(Invoke([&](ISyncMgrEnumItems** out) {
        testing::CreateItemEnumerator(mock_.items, out);
        return S_SYNCMGR_MISSINGITEMS;
      }));
  Update(SYNCMGRINVOKE_STARTSYNC);
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.outcome, Outcome::kCompleted);
  EXPECT_THAT(report.violations, IsEmpty()) << ViolationText(report);
}

TEST_P(HandlerDataChecks, UndocumentedReturnCodesAreViolations) {
  REQUIREMENT("HS-105 HS-018");
  EXPECT_CALL(mock_, SetProgressCallback(NotNull()))
      .WillOnce(Return(static_cast<HRESULT>(0x00000002)));  // odd success
  EXPECT_CALL(mock_, SetProgressCallback(IsNull()));
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    mock_.callback()->SynchronizeCompleted(E_FAIL);
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_TRUE(HasViolation(report, "HS-105")) << ViolationText(report);
  EXPECT_EQ(report.outcome, Outcome::kHandlerFailed);
  EXPECT_THAT(report.result, HresultIs(E_FAIL));
}

TEST_P(HandlerDataChecks, SynchronizeSuccessCodeOtherThanSOkBreaksItsPage) {
  REQUIREMENT("HS-018");
  EXPECT_CALL(mock_, Synchronize).WillOnce(Return(S_FALSE));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_TRUE(HasViolation(report, "HS-018")) << ViolationText(report);
  // The documented rule, not our list of codes as well (HS-105).
  EXPECT_FALSE(HasViolation(report, "HS-105")) << ViolationText(report);
  EXPECT_EQ(report.outcome, Outcome::kHandlerFailed);
  EXPECT_THAT(report.result, HresultIs(S_FALSE));
}

TEST_P(HandlerDataChecks, FinalReleaseAnswerIsReported) {
  REQUIREMENT("COM-003");
  IUnknown* leaked = nullptr;
  EXPECT_CALL(mock_, Initialize)
      .WillOnce(Invoke([&](DWORD, DWORD, DWORD, const BYTE*) {
        leaked = mock_.last_object();
        leaked->AddRef();  // a reference the session does not know about
        return S_OK;
      }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_EQ(report.final_release, 1u);
  EXPECT_EQ(mock_.objects_alive(), 1);
  ASSERT_NE(leaked, nullptr);
  EXPECT_EQ(leaked->Release(), 0u);  // clean up for TearDown's count
  EXPECT_EQ(mock_.objects_alive(), 0);
}

// ---------------------------------------------------------------------------
// Bounds: a handler that never stops answering costs the manager a bounded
// number of calls and a bounded report (reference/internal/session.h)
// ---------------------------------------------------------------------------
MODES_TEST_SUITE(HandlerBounds);

using internal::kKeptViolationsPerRequirement;
using internal::kMaxLoggedErrors;
using internal::kMaxNextCalls;
using internal::kMaxProgressRecords;
using internal::kMaxRejectedItems;
using internal::kTraceHeadLines;
using internal::kTraceTailLines;

size_t CountOf(const SessionReport& report, const std::string& id) {
  return std::count_if(report.violations.begin(), report.violations.end(),
                       [&](const Violation& v) { return v.requirement == id; });
}

bool HasMessage(const SessionReport& report, const std::string& id,
                const std::string& part) {
  return std::any_of(report.violations.begin(), report.violations.end(),
                     [&](const Violation& v) {
                       return v.requirement == id &&
                              v.message.find(part) != std::string::npos;
                     });
}

// N of the "and N more like it" record of `id`; 0 when there is none.
unsigned long long MoreLikeIt(const SessionReport& report,
                              const std::string& id) {
  for (const Violation& v : report.violations) {
    unsigned long long n = 0;
    if (v.requirement == id &&
        std::sscanf(v.message.c_str(), "and %llu more like it", &n) == 1) {
      return n;
    }
  }
  return 0;
}

// The number of lines the "... N lines not recorded ..." line counts; 0
// when there is none.
unsigned long long TraceLinesNotRecorded(const SessionReport& report) {
  for (const std::string& line : report.trace) {
    unsigned long long n = 0;
    if (std::sscanf(line.c_str(), "... %llu lines not recorded", &n) == 1) {
      return n;
    }
  }
  return 0;
}

bool TraceHas(const SessionReport& report, const std::string& part) {
  return std::any_of(
      report.trace.begin(), report.trace.end(),
      [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

TEST_P(HandlerBounds, EnumeratorHandingBackOnlyIgnoredItemsIsStopped) {
  REQUIREMENT("HS-103 HS-107 EN-101");
  const struct {
    int fault;
    const char* what;
    size_t next_calls;  // the first call of "the same item" adds it
  } cases[] = {{4, "items of cbSize 0", kMaxRejectedItems},
               {5, "the same item again", kMaxRejectedItems + 1}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    int next_calls = 0;
    EXPECT_CALL(mock_, EnumSyncMgrItems)
        .WillOnce(Invoke([&](ISyncMgrEnumItems** out) {
          *out = new BrokenEnumerator(c.fault, &next_calls);
          return S_OK;
        }));
    EXPECT_CALL(mock_, PrepareForSync).Times(0);
    {
      std::lock_guard lock(mu_);
      reports_.clear();
    }
    EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
    const SessionReport report = OnlyReport();
    // It stopped at once at the bound, as the handler's failure.
    EXPECT_EQ(static_cast<size_t>(next_calls), c.next_calls);
    EXPECT_EQ(report.outcome, Outcome::kHandlerFailed)
        << OutcomeName(report.outcome);
    EXPECT_THAT(report.result, HresultIs(E_UNEXPECTED));
    // The first HS-107 records with their messages, the stop, and one
    // record counting the rest; the same for EN-101 (S_OK with 1 of 16).
    EXPECT_EQ(CountOf(report, "HS-107"), kKeptViolationsPerRequirement + 2)
        << ViolationText(report);
    EXPECT_TRUE(HasMessage(report, "HS-107", "had to ignore; stopped"))
        << ViolationText(report);
    EXPECT_EQ(MoreLikeIt(report, "HS-107"),
              kMaxRejectedItems - kKeptViolationsPerRequirement);
    EXPECT_EQ(CountOf(report, "EN-101"), kKeptViolationsPerRequirement + 1)
        << ViolationText(report);
    EXPECT_EQ(MoreLikeIt(report, "EN-101"),
              c.next_calls - kKeptViolationsPerRequirement);
  }
}

TEST_P(HandlerBounds, EnumeratorThatNeverEndsIsStoppedAfterMaxNextCalls) {
  REQUIREMENT("EN-101 HS-103");
  // One new valid item per call, with S_OK, forever: the item cap is never
  // reached before the call cap.
  int next_calls = 0;
  EXPECT_CALL(mock_, EnumSyncMgrItems)
      .WillOnce(Invoke([&](ISyncMgrEnumItems** out) {
        *out = new BrokenEnumerator(6, &next_calls);
        return S_OK;
      }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_EQ(static_cast<size_t>(next_calls), kMaxNextCalls);
  // The session goes on with what was enumerated.
  EXPECT_EQ(report.outcome, Outcome::kCompleted) << ViolationText(report);
  EXPECT_EQ(report.items.size(), kMaxNextCalls);
  EXPECT_EQ(report.selected.size(), kMaxNextCalls);
  EXPECT_TRUE(HasMessage(report, "EN-101",
                         "Next called " + std::to_string(kMaxNextCalls) +
                             " times without reaching the end; stopped"))
      << ViolationText(report);
  EXPECT_EQ(CountOf(report, "EN-101"), kKeptViolationsPerRequirement + 2);
  EXPECT_EQ(MoreLikeIt(report, "EN-101"),
            kMaxNextCalls - kKeptViolationsPerRequirement);
  EXPECT_EQ(report.violations.size(), kKeptViolationsPerRequirement + 2)
      << ViolationText(report);
}

TEST_P(HandlerBounds, RepeatedViolationsKeepTheFirstFewAndACount) {
  REQUIREMENT("CB-102 CB-107 HS-103");
  constexpr int kNullProgress = 1000;
  int refused = 0;
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    auto cb = mock_.callback();
    for (int i = 0; i < kNullProgress; ++i) {
      refused += cb->Progress(TestGuid(1), nullptr) == E_INVALIDARG;
    }
    SYNCMGRPROGRESSITEM item{};
    item.cbSize = sizeof item;
    for (int i = 0; i < 3; ++i) {
      refused += cb->Progress(TestGuid(0x42 + i), &item) == E_INVALIDARG;
    }
    cb->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  // Every call was still checked and answered.
  EXPECT_EQ(refused, kNullProgress + 3);
  EXPECT_EQ(CountOf(report, "CB-102"), kKeptViolationsPerRequirement + 1)
      << ViolationText(report);
  EXPECT_TRUE(HasMessage(report, "CB-102", "Progress with a NULL item"));
  EXPECT_EQ(MoreLikeIt(report, "CB-102"),
            kNullProgress - kKeptViolationsPerRequirement);
  // Fewer than the cap: all kept, no count.
  EXPECT_EQ(CountOf(report, "CB-107"), 3u) << ViolationText(report);
  EXPECT_EQ(MoreLikeIt(report, "CB-107"), 0u);
}

TEST_P(HandlerBounds, TraceKeepsItsFirstAndLastLines) {
  REQUIREMENT("HS-103");
  Reconfigure([](Options& o) { o.record_trace = true; });
  constexpr int kCalls = 10000;
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    auto cb = mock_.callback();
    for (int i = 0; i < kCalls; ++i) cb->EnableModeless(FALSE);
    cb->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  ASSERT_EQ(report.trace.size(), kTraceHeadLines + 1 + kTraceTailLines);
  EXPECT_THAT(report.trace.front(), ::testing::StartsWith("CoCreateInstance("));
  EXPECT_THAT(
      report.trace[kTraceHeadLines],
      ::testing::MatchesRegex("\\.\\.\\. [0-9]+ lines not recorded \\.\\.\\."));
  // The head and the tail are each in order; the session's end is there.
  EXPECT_EQ(report.trace.back(), "Release -> 0");
  EXPECT_EQ(report.trace[kTraceHeadLines - 1], "  <- EnableModeless(FALSE)");
  EXPECT_EQ(report.trace[kTraceHeadLines + 1], "  <- EnableModeless(FALSE)");
  const unsigned long long not_recorded = TraceLinesNotRecorded(report);
  EXPECT_GT(not_recorded, kCalls - kTraceHeadLines - kTraceTailLines);
  EXPECT_LT(not_recorded, static_cast<unsigned long long>(kCalls));
}

TEST_P(HandlerBounds, ProgressRecordsAreBoundedButEveryItemKeepsOne) {
  REQUIREMENT("CB-009 HS-103");
  Reconfigure([](Options& o) { o.record_trace = true; });
  constexpr size_t kReports = 3 * kMaxProgressRecords;
  size_t answered = 0;
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    auto cb = mock_.callback();
    SYNCMGRPROGRESSITEM item{};
    item.cbSize = sizeof item;
    item.mask = SYNCMGRPROGRESSITEM_STATUSTEXT;
    item.lpcStatusText = u"working";
    for (size_t i = 0; i < kReports; ++i) {
      answered += cb->Progress(TestGuid(1), &item) == S_OK;
    }
    answered += cb->Progress(TestGuid(2), &item) == S_OK;  // its first
    cb->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_EQ(answered, kReports + 1);
  EXPECT_THAT(report.violations, IsEmpty()) << ViolationText(report);
  ASSERT_EQ(report.progress.size(), kMaxProgressRecords + 1);
  EXPECT_EQ(report.progress.front().status_text, u"working");
  EXPECT_EQ(report.progress.back().item, TestGuid(2));
  EXPECT_TRUE(report.progress.back().status_text.empty());
  EXPECT_TRUE(TraceHas(report, std::to_string(kReports - kMaxProgressRecords) +
                                   " Progress reports not recorded"));
}

TEST_P(HandlerBounds, LoggedErrorsAreBounded) {
  REQUIREMENT("CB-011 HS-103");
  Reconfigure([](Options& o) { o.record_trace = true; });
  constexpr size_t kErrors = 1000;
  size_t answered = 0;
  EXPECT_CALL(mock_, Synchronize).WillOnce(Invoke([&](HWND) {
    auto cb = mock_.callback();
    for (size_t i = 0; i < kErrors; ++i) {
      answered +=
          cb->LogError(SYNCMGRLOGLEVEL_ERROR, u"again", nullptr) == S_OK;
    }
    // Still checked beyond the bound.
    EXPECT_THAT(cb->LogError(0, u"level 0", nullptr), HresultIs(E_INVALIDARG));
    cb->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionReport report = OnlyReport();
  EXPECT_EQ(answered, kErrors);
  EXPECT_EQ(report.errors.size(), kMaxLoggedErrors);
  EXPECT_TRUE(TraceHas(report, std::to_string(kErrors - kMaxLoggedErrors) +
                                   " LogError records not kept"));
  EXPECT_EQ(CountOf(report, "CB-102"), 1u) << ViolationText(report);
}

// ---------------------------------------------------------------------------
// UpdateAll
// ---------------------------------------------------------------------------
MODES_TEST_SUITE(UpdateAllSessions);

// S_OK, every handler, no cookie:
// UpdateAllContract.OneSessionPerRegisteredHandlerWithoutCookie. Here: the
// exact flags, each session reported as UpdateAll's, and one handler's
// failure in its own report only.
TEST_P(UpdateAllSessions, EachHandlersSessionIsReportedAsFromUpdateAll) {
  REQUIREMENT("UA-001 UA-101 UI-010");
  NiceMock<HandlerMock> other;
  RegisteredHandler registered(kOtherHandler, &other);
  ASSERT_THAT(register_->RegisterSyncMgrHandler(kOtherHandler, nullptr, 0),
              HresultIs(S_OK));
  EXPECT_CALL(mock_, Initialize(0, DWORD{SYNCMGRFLAG_INVOKE}, 0, IsNull()));
  EXPECT_CALL(other, Initialize(0, DWORD{SYNCMGRFLAG_INVOKE}, 0, IsNull()))
      .WillOnce(Return(E_FAIL));  // one handler failing stays its own
  invoke_->UpdateAll();
  std::vector<SessionReport> reports = Reports();
  ASSERT_THAT(reports, SizeIs(2));
  for (const SessionReport& report : reports) {
    EXPECT_TRUE(report.from_update_all);
    EXPECT_THAT(report.cookie, IsEmpty());
    EXPECT_EQ(report.outcome, report.clsid == kHandler
                                  ? Outcome::kCompleted
                                  : Outcome::kInitializeFailed);
  }
}

// ---------------------------------------------------------------------------
// COM rules of the manager object
// ---------------------------------------------------------------------------
MODES_TEST_SUITE(ManagerComRules);

// QueryInterface's answers and the object's identity:
// ComContract.QueryInterfaceFollowsComRules. Here: the count AddRef and
// Release return is exact (the manager holds no reference of its own).
TEST_P(ManagerComRules, AddRefAndReleaseCountEveryReference) {
  REQUIREMENT("COM-003");
  ComPtr<IUnknown> a, b;
  ASSERT_THAT(invoke_->QueryInterface(IID_IUnknown, a.PutVoid()),
              HresultIs(S_OK));
  ASSERT_THAT(register_->QueryInterface(IID_IUnknown, b.PutVoid()),
              HresultIs(S_OK));
  // invoke_, register_, a and b hold one reference each.
  EXPECT_EQ(invoke_->AddRef(), 5u);
  EXPECT_EQ(invoke_->Release(), 4u);
}

// ---------------------------------------------------------------------------
// Re-entrancy
// ---------------------------------------------------------------------------
MODES_TEST_SUITE(Reentrancy);

TEST_P(Reentrancy, HandlerMayCallUpdateItemsFromItsMethods) {
  REQUIREMENT("UI-116");
  HRESULT nested = E_FAIL;
  int initialize_calls = 0;
  ON_CALL(mock_, Initialize)
      .WillByDefault(Invoke([&](DWORD, DWORD, DWORD, const BYTE*) {
        if (++initialize_calls == 1) {
          const BYTE cookie[] = {9};
          nested = invoke_->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kHandler, 1,
                                        cookie);
        }
        return S_OK;
      }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  std::vector<SessionReport> reports = Reports();
  EXPECT_THAT(nested, HresultIs(S_OK));
  ASSERT_THAT(reports, SizeIs(2));
  EXPECT_EQ(initialize_calls, 2);
  for (const SessionReport& r : reports) {
    EXPECT_EQ(r.outcome, Outcome::kCompleted) << ViolationText(r);
  }
}

}  // namespace
}  // namespace syncmgr::reference
