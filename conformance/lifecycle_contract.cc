// The handler lifecycle as a handler sees it, and the callback the manager
// hands it (reference/SPEC.md HS-, CB-). Each check names one requirement
// (CHECKS); the order of calls is judged from the handler's call log, one
// rule at a time, not by one sequence expectation that would blame every
// rule for one difference.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "conformance/testing/contract_test.h"
#include "reference/com/com.h"
#include "reference/mobsync/guid.h"
#include "reference/mobsync/hresult.h"

namespace syncmgr::conformance {
namespace {

using ::syncmgr::com::ComPtr;
using ::syncmgr::testing::HresultIs;
using ::syncmgr::testing::MakeItem;
using ::syncmgr::testing::TestGuid;
using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Invoke;
using ::testing::Not;
using ::testing::Return;
using ::testing::UnorderedElementsAre;
using namespace std::chrono_literals;

using LifecycleContract = ContractTest;

size_t Count(const std::vector<std::string>& calls, const std::string& call) {
  return static_cast<size_t>(std::count(calls.begin(), calls.end(), call));
}

// Index of the first (or last) `call`, or calls.size().
size_t First(const std::vector<std::string>& calls, const std::string& call) {
  return static_cast<size_t>(std::find(calls.begin(), calls.end(), call) -
                             calls.begin());
}
size_t Last(const std::vector<std::string>& calls, const std::string& call) {
  auto it = std::find(calls.rbegin(), calls.rend(), call);
  return it == calls.rend() ? calls.size()
                            : static_cast<size_t>(calls.rend() - it - 1);
}

// UpdateItems' result, inside a CHECKS("UI-013") scope: a failure is E_FAIL
// (UI-012) or one of the standard E_INVALIDARG, E_UNEXPECTED, E_OUTOFMEMORY
// (UI-013).
void ExpectDocumentedUpdateItemsResult(HRESULT hr, const std::string& what) {
  if (FAILED(hr)) {
    EXPECT_THAT(hr, AnyOf(HresultIs(E_FAIL), HresultIs(E_INVALIDARG),
                          HresultIs(E_UNEXPECTED), HresultIs(E_OUTOFMEMORY)))
        << "UpdateItems failed with a code its page does not list (" << what
        << ")";
  }
}

::testing::AssertionResult CallbackResetBeforeRelease(
    const std::vector<std::string>& calls) {
  if (Count(calls, "SetProgressCallback(callback)") == 0) {
    return ::testing::AssertionSuccess() << "no callback was given";
  }
  const size_t reset = Last(calls, "SetProgressCallback(NULL)");
  const size_t destroyed = Last(calls, "Destroyed");
  const size_t given = Last(calls, "SetProgressCallback(callback)");
  if (reset < calls.size() && reset > given && reset < destroyed) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "the handler was released without SetProgressCallback(NULL) "
            "after its callback was set; calls: "
         << ::testing::PrintToString(calls);
}

TEST_F(LifecycleContract, CallsComeInTheSpecifiedOrder) {
  REQUIREMENT("HS-010 HS-011 HS-016 HS-024 UI-004 ST-001 UI-117 HS-101");
  mock().items = {
      MakeItem(TestGuid(1), WSTR("checked")),
      MakeItem(TestGuid(2), WSTR("unchecked"), SYNCMGRITEMSTATE_UNCHECKED),
      MakeItem(TestGuid(3), WSTR("checked too"))};
  const HRESULT hr = Update(SYNCMGRINVOKE_STARTSYNC);
  {
    CHECKS("UI-004");
    EXPECT_THAT(hr, HresultIs(S_OK));
  }
  ASSERT_SESSIONS_ENDED(1);
  const std::vector<std::string> calls = mock().calls();
  const std::vector<GUID> prepared = mock().prepared_items();
  {
    CHECKS("UI-004");  // STARTSYNC: synchronized at once, no Choice step
    EXPECT_THAT(calls, Contains("Synchronize"))
        << ::testing::PrintToString(calls);
  }
  {
    CHECKS("HS-010");
    EXPECT_TRUE(CallbackResetBeforeRelease(calls));
  }
  {
    CHECKS("HS-011");
    ASSERT_LT(First(calls, "PrepareForSync"), calls.size())
        << "PrepareForSync was never called";
    EXPECT_FALSE(prepared.empty()) << "PrepareForSync got no item";
    for (const GUID& id : prepared) {
      EXPECT_THAT(id, AnyOf(TestGuid(1), TestGuid(2), TestGuid(3)))
          << "PrepareForSync got an ID the handler never enumerated";
    }
    EXPECT_LT(First(calls, "PrepareForSync"), First(calls, "Synchronize"))
        << ::testing::PrintToString(calls);
  }
  {
    CHECKS("ST-001");  // CHECKED is included by default, UNCHECKED not
    EXPECT_THAT(prepared, Contains(TestGuid(1)));
    EXPECT_THAT(prepared, Contains(TestGuid(3)));
    EXPECT_THAT(prepared, Not(Contains(TestGuid(2))));
  }
  {
    CHECKS("HS-024");
    EXPECT_EQ(Count(calls, "Synchronize"), 1u)
        << ::testing::PrintToString(calls);
  }
  {
    CHECKS("HS-016");  // the completion from inside Synchronize ends it
    EXPECT_LT(Last(calls, "Synchronize"), Last(calls, "Destroyed"));
  }
  {
    CHECKS("UI-117");
    EXPECT_THAT(prepared, ElementsAre(TestGuid(1), TestGuid(3)));
  }
  {
    CHECKS("HS-101");
    EXPECT_THAT(calls,
                ElementsAre("Created", "Initialize", "GetHandlerInfo",
                            "EnumSyncMgrItems", "SetProgressCallback(callback)",
                            "PrepareForSync", "Synchronize",
                            "SetProgressCallback(NULL)", "Destroyed"));
  }
}

TEST_F(LifecycleContract, NoSelectedItemMeansNoPrepareForSync) {
  REQUIREMENT("HS-014 HS-115");
  mock().items = {
      MakeItem(TestGuid(1), WSTR("off"), SYNCMGRITEMSTATE_UNCHECKED)};
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  const std::vector<std::string> calls = mock().calls();
  {
    CHECKS("HS-014");
    EXPECT_EQ(Count(calls, "Synchronize"), 0u)
        << ::testing::PrintToString(calls);
  }
  {
    CHECKS("HS-115");
    EXPECT_EQ(Count(calls, "PrepareForSync"), 0u)
        << ::testing::PrintToString(calls);
  }
}

TEST_F(LifecycleContract, RefusedPrepareForSyncEndsWithoutSynchronize) {
  REQUIREMENT("HS-015 HS-010 HS-102");
  EXPECT_CALL(mock(), PrepareForSync)
      .WillOnce(Return(S_FALSE))
      .WillOnce(Return(E_OUTOFMEMORY));
  // A manager that waits for the session may report the failed update as
  // E_FAIL (UI-012); which one is UI-111's, not these rules'.
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC),
              AnyOf(HresultIs(S_OK), HresultIs(E_FAIL)));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC),
              AnyOf(HresultIs(S_OK), HresultIs(E_FAIL)));
  ASSERT_SESSIONS_ENDED(2);
  const std::vector<std::string> calls = mock().calls();
  {
    CHECKS("HS-015");  // no PrepareForSyncCompleted(S_OK) came
    EXPECT_EQ(Count(calls, "Synchronize"), 0u)
        << ::testing::PrintToString(calls);
  }
  const bool reset = Count(calls, "SetProgressCallback(NULL)") ==
                     Count(calls, "SetProgressCallback(callback)");
  {
    CHECKS("HS-010");
    EXPECT_TRUE(reset) << ::testing::PrintToString(calls);
  }
  if (reset) {
    CHECKS("HS-102");  // each refused session ended at once
    EXPECT_EQ(Count(calls, "SetProgressCallback(NULL)"), 2u)
        << ::testing::PrintToString(calls);
  }
}

TEST_F(LifecycleContract, FailedPrepareCompletionEndsWithoutSynchronize) {
  REQUIREMENT("HS-015");
  EXPECT_CALL(mock(), PrepareForSync)
      .WillOnce(Invoke([&](ULONG, GUID*, HWND, DWORD) {
        mock().callback()->PrepareForSyncCompleted(E_FAIL);
        return S_OK;
      }));
  // S_OK, or E_FAIL from a manager that reports the failed update (UI-012).
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC),
              AnyOf(HresultIs(S_OK), HresultIs(E_FAIL)));
  ASSERT_SESSIONS_ENDED(1);
  EXPECT_EQ(Count(mock().calls(), "Synchronize"), 0u)
      << ::testing::PrintToString(mock().calls());
}

TEST_F(LifecycleContract, SynchronizeWaitsForALateCompletionFromAnotherThread) {
  REQUIREMENT("HS-015 HS-012 CB-001 HS-025 HS-016");
  std::atomic<bool> prepare_completed{false};
  std::atomic<bool> synchronize_too_early{false};
  std::atomic<HRESULT> prepare_answer{E_PENDING};
  std::atomic<HRESULT> synchronize_answer{E_PENDING};
  EXPECT_CALL(mock(), PrepareForSync)
      .WillOnce(Invoke([&](ULONG, GUID*, HWND, DWORD) {
        ComPtr<ISyncMgrSynchronizeCallback> callback = mock().callback();
        mock().RunOnThread([callback, &prepare_completed, &prepare_answer] {
          std::this_thread::sleep_for(50ms);
          prepare_completed = true;
          prepare_answer = callback->PrepareForSyncCompleted(S_OK);
        });
        return S_OK;
      }));
  std::atomic<HRESULT> progress_answer{E_PENDING};
  ON_CALL(mock(), Synchronize).WillByDefault(Invoke([&](HWND) {
    if (!prepare_completed) synchronize_too_early = true;
    ComPtr<ISyncMgrSynchronizeCallback> callback = mock().callback();
    // HS-025: Progress from another thread while Synchronize runs.
    std::thread([&callback, &progress_answer] {
      SYNCMGRPROGRESSITEM item{};
      item.cbSize = sizeof item;
      item.mask = SYNCMGRPROGRESSITEM_STATUSTYPE;
      item.dwStatusType = SYNCMGRSTATUS_UPDATING;
      progress_answer = callback->Progress(TestGuid(1), &item);
    }).join();
    // HS-016: the completion after Synchronize returned.
    mock().RunOnThread([callback, &synchronize_answer] {
      std::this_thread::sleep_for(20ms);
      synchronize_answer = callback->SynchronizeCompleted(S_OK);
    });
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  mock().JoinThreads();
  {
    CHECKS("HS-015");
    EXPECT_FALSE(synchronize_too_early)
        << "Synchronize was called before PrepareForSyncCompleted";
  }
  if (!synchronize_too_early) {
    CHECKS("HS-012");  // a completion after PrepareForSync returned
    EXPECT_THAT(prepare_answer.load(), HresultIs(S_OK));
  }
  {
    CHECKS("CB-001");  // PrepareForSyncCompleted(S_OK) leads to Synchronize
    EXPECT_GE(Count(mock().calls(), "Synchronize"), 1u)
        << ::testing::PrintToString(mock().calls());
  }
  if (Count(mock().calls(), "Synchronize") == 0) return;
  {
    // Accepted from another thread as from any other (which success code
    // is CB-009's question).
    CHECKS("HS-025");
    EXPECT_TRUE(SUCCEEDED(progress_answer.load()))
        << "Progress from a thread of the handler's own, during Synchronize, "
           "was refused: "
        << syncmgr::DescribeHresult(progress_answer.load());
  }
  {
    CHECKS("HS-016");  // the session waits for the late completion
    EXPECT_THAT(synchronize_answer.load(), HresultIs(S_OK))
        << "SynchronizeCompleted 20 ms after Synchronize returned";
  }
}

TEST_F(LifecycleContract, MissingCompletionEndsTheSession) {
  REQUIREMENT("HS-112");
  EXPECT_CALL(mock(), Synchronize).WillOnce(Return(S_OK));  // never completes
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  const SessionWait wait = WaitForSessions(1);
  {
    CHECKS(start_requirement());
    ASSERT_TRUE(SessionsStarted(wait));
  }
  // A manager may wait for ever (the pages set no limit): then this OURS
  // rule fails, and the handler left alive is not counted against COM-003.
  // One that gave up (it took its callback back) but kept the handler
  // breaks COM-003 instead, which TearDown judges.
  const std::vector<std::string> calls = mock().calls();
  if (wait.alive > 0 && Count(calls, "SetProgressCallback(NULL)") == 0) {
    AllowUnfinishedSessions();
    ADD_FAILURE() << "the manager never stopped waiting for "
                     "SynchronizeCompleted ("
                  << GetSettings().session_timeout.count() << " ms)";
  }
}

// The manager may call SetItemStatus only while PrepareForSync or
// Synchronize has returned and its completion has not come, and only with
// SKIPPED. Both completions come 100 ms after their method returned, from
// another thread, so that both windows are open for a while. A manager that
// never calls SetItemStatus (it need not) leaves both rules not run.
TEST_F(LifecycleContract, SetItemStatusOnlyInsideItsWindows) {
  REQUIREMENT("HS-019 HS-020");
  enum Window { kClosed, kPrepare, kSynchronize };
  std::atomic<int> window{kClosed};
  struct Call {
    int window;
    DWORD status;
  };
  std::mutex mu;
  std::vector<Call> calls;
  auto complete_later = [&](bool prepare) {
    ComPtr<ISyncMgrSynchronizeCallback> cb = mock().callback();
    mock().RunOnThread([cb, prepare, &window] {
      std::this_thread::sleep_for(100ms);
      window = kClosed;
      if (prepare) {
        cb->PrepareForSyncCompleted(S_OK);
      } else {
        cb->SynchronizeCompleted(S_OK);
      }
    });
  };
  ON_CALL(mock(), PrepareForSync)
      .WillByDefault(Invoke([&](ULONG, GUID*, HWND, DWORD) {
        complete_later(true);
        window = kPrepare;
        return S_OK;
      }));
  ON_CALL(mock(), Synchronize).WillByDefault(Invoke([&](HWND) {
    complete_later(false);
    window = kSynchronize;
    return S_OK;
  }));
  ON_CALL(mock(), SetItemStatus)
      .WillByDefault(Invoke([&](const GUID&, DWORD status) {
        std::lock_guard lock(mu);
        calls.push_back({window.load(), status});
        return S_OK;
      }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  mock().JoinThreads();
  std::lock_guard lock(mu);
  if (calls.empty()) {
    const char* why = "the implementation never called SetItemStatus";
    NOT_OBSERVED("HS-019", why);
    NOT_OBSERVED("HS-020", why);
    return;
  }
  for (const Call& call : calls) {
    {
      CHECKS("HS-019");
      EXPECT_NE(call.window, kClosed)
          << "SetItemStatus while neither PrepareForSync nor Synchronize was "
             "waiting for its completion";
    }
    CHECKS("HS-020");
    EXPECT_EQ(call.status, DWORD{SYNCMGRSTATUS_SKIPPED});
  }
}

// Initialize's flags hold for the lifetime of the handler object (HS-003):
// whatever the handler answers (S_OK, S_FALSE, an error), the manager never
// asks the same object again (it may create another). One session at a
// time, with and without the Choice step.
TEST_F(LifecycleContract, InitializeIsCalledOncePerHandlerObject) {
  REQUIREMENT("HS-003 UI-013");
  struct Session {
    DWORD flags;
    HRESULT answer;  // Initialize's
  };
  const Session sessions[] = {{SYNCMGRINVOKE_STARTSYNC, S_OK},
                              {0, S_OK},
                              {SYNCMGRINVOKE_STARTSYNC, S_FALSE},
                              {SYNCMGRINVOKE_STARTSYNC, E_OUTOFMEMORY},
                              {0, E_FAIL}};
  std::mutex mu;
  std::map<int, int> initialized;  // Initialize calls by object number
  std::atomic<HRESULT> answer{S_OK};
  ON_CALL(mock(), Initialize)
      .WillByDefault(Invoke([&](DWORD, DWORD, DWORD, const BYTE*) {
        const int object = mock().current_object_number();
        std::lock_guard lock(mu);
        ++initialized[object];
        return answer.load();
      }));
  std::vector<HRESULT> results;
  int created = 0;
  for (const Session& session : sessions) {
    answer = session.answer;
    results.push_back(Update(session.flags, {1, 2, 3}));
    ASSERT_SESSIONS_ENDED(++created);
  }
  {
    CHECKS("UI-013");
    for (size_t i = 0; i < results.size(); ++i) {
      ExpectDocumentedUpdateItemsResult(
          results[i], "Initialize answered " +
                          syncmgr::DescribeHresult(sessions[i].answer));
    }
  }
  std::lock_guard lock(mu);
  CHECKS("HS-003");
  ASSERT_FALSE(initialized.empty()) << "Initialize was never called";
  for (const auto& [object, calls] : initialized) {
    EXPECT_EQ(calls, 1) << "handler object #" << object << " got Initialize "
                        << calls << " times";
  }
}

// HS-006: the SYNCMGRHANDLERINFO that GetHandlerInfo hands over was
// allocated with CoTaskMemAlloc, so the manager, its owner once the call
// returns, frees it with CoTaskMemFree; by the time the session has ended
// and the manager object is released, the host's task allocator must no
// longer know the block. The block has an unusual size, so that no
// allocation of the manager's own takes over its address.
TEST_F(LifecycleContract, HandlerInfoIsFreedWithCoTaskMemFree) {
  REQUIREMENT("HS-006");
  syncmgr::com::OutstandingTaskMemAllocations();  // the watch starts here
  std::mutex mu;
  std::vector<const void*> handed;
  bool known = true;
  ON_CALL(mock(), GetHandlerInfo)
      .WillByDefault(Invoke([&](SYNCMGRHANDLERINFO** out) {
        if (out == nullptr) return E_POINTER;
        auto* info = static_cast<SYNCMGRHANDLERINFO*>(
            CoTaskMemAlloc(sizeof(SYNCMGRHANDLERINFO) + 3001));
        if (info == nullptr) return E_OUTOFMEMORY;
        std::memset(info, 0, sizeof *info);
        info->cbSize = sizeof *info;
        info->wszHandlerName[0] = u'H';
        std::lock_guard lock(mu);
        known &= syncmgr::com::IsLiveTaskMemBlock(info);
        handed.push_back(info);
        *out = info;
        return S_OK;
      }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  invoke_.Reset();
  std::this_thread::sleep_for(GetSettings().settle);
  std::lock_guard lock(mu);
  if (handed.empty()) {
    NOT_OBSERVED("HS-006", "the manager never called GetHandlerInfo");
    return;
  }
  if (!known) {
    NOT_OBSERVED("HS-006",
                 "this host's task allocator cannot tell its live blocks");
    return;
  }
  CHECKS("HS-006");
  for (const void* info : handed) {
    EXPECT_FALSE(syncmgr::com::IsLiveTaskMemBlock(info))
        << "the SYNCMGRHANDLERINFO block GetHandlerInfo handed over was "
           "never freed with CoTaskMemFree ("
        << handed.size() << " handed over)";
  }
}

// S_SYNCMGR_MISSINGITEMS is a success code of EnumSyncMgrItems (HS-007):
// the enumerator it comes with is valid, and the session goes on with the
// items it returns (with STARTSYNC at once, UI-004; CHECKED ones, ST-001).
TEST_F(LifecycleContract, MissingItemsCodeIsAccepted) {
  REQUIREMENT("HS-007 UI-013");
  mock().items = {MakeItem(TestGuid(1), WSTR("returned")),
                  MakeItem(TestGuid(2), WSTR("returned too"))};
  ON_CALL(mock(), EnumSyncMgrItems)
      .WillByDefault(Invoke([&](ISyncMgrEnumItems** out) {
        const HRESULT hr =
            syncmgr::testing::CreateItemEnumerator(mock().items, out);
        return hr == S_OK ? S_SYNCMGR_MISSINGITEMS : hr;
      }));
  const HRESULT hr = Update(SYNCMGRINVOKE_STARTSYNC);
  {
    CHECKS("UI-013");
    ExpectDocumentedUpdateItemsResult(hr, "a valid request");
  }
  ASSERT_THAT(hr, HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  const std::vector<std::string> calls = mock().calls();
  CHECKS("HS-007");
  EXPECT_THAT(mock().prepared_items(),
              UnorderedElementsAre(TestGuid(1), TestGuid(2)))
      << "the items of an enumerator that came with S_SYNCMGR_MISSINGITEMS "
         "were not prepared; calls: "
      << ::testing::PrintToString(calls);
  EXPECT_THAT(calls, Contains("Synchronize"))
      << ::testing::PrintToString(calls);
}

// The first item IDs a failing Next hands back, {5E570000-...-0000000007NN}.
constexpr int kFailedNextIds = 0x700;
constexpr ULONG kFailedNextEntries = 4;

bool FromFailedNext(const GUID& id) {
  for (ULONG i = 0; i < kFailedNextEntries; ++i) {
    if (id == TestGuid(kFailedNextIds + static_cast<int>(i))) return true;
  }
  return false;
}

// An enumerator whose Next fails (E_FAIL) after filling rgelt with
// well-formed CHECKED items and setting *pceltFetched as if they counted.
// Asked for one item at a time, it first hands back item 1 with S_OK.
class FailingNextEnumerator final
    : public syncmgr::com::Object<ISyncMgrEnumItems> {
 public:
  explicit FailingNextEnumerator(std::shared_ptr<std::atomic<int>> failures,
                                 bool started = false)
      : failures_(std::move(failures)), started_(started) {}
  HRESULT STDMETHODCALLTYPE Next(ULONG celt, SYNCMGRITEM* rgelt,
                                 ULONG* fetched) override {
    if (rgelt == nullptr || celt == 0) return E_INVALIDARG;
    if (!started_ && celt == 1) {
      started_ = true;
      rgelt[0] = MakeItem(TestGuid(1), WSTR("valid"));
      if (fetched != nullptr) *fetched = 1;
      return S_OK;
    }
    started_ = true;
    const ULONG n = std::min(celt, kFailedNextEntries);
    for (ULONG i = 0; i < n; ++i) {
      rgelt[i] = MakeItem(TestGuid(kFailedNextIds + static_cast<int>(i)),
                          WSTR("handed back by a failing Next"));
    }
    if (fetched != nullptr) *fetched = n;
    ++*failures_;
    return E_FAIL;
  }
  HRESULT STDMETHODCALLTYPE Skip(ULONG) override { return S_OK; }
  HRESULT STDMETHODCALLTYPE Reset() override {
    started_ = false;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Clone(ISyncMgrEnumItems** out) override {
    if (out == nullptr) return E_INVALIDARG;
    *out = new FailingNextEnumerator(failures_, started_);
    return S_OK;
  }

 private:
  std::shared_ptr<std::atomic<int>> failures_;
  bool started_;
};

// After Next returns an error no entry of rgelt is valid (EN-001), whatever
// *pceltFetched says: the manager must not prepare, synchronize or skip an
// item such a call handed back. (Whether the session goes on with the items
// of earlier calls is the manager's choice.)
TEST_F(LifecycleContract, EntriesOfAFailingNextAreNotUsed) {
  REQUIREMENT("EN-001 UI-013");
  auto failures = std::make_shared<std::atomic<int>>(0);
  std::mutex mu;
  std::vector<GUID> used;  // IDs passed to PrepareForSync or SetItemStatus
  ON_CALL(mock(), EnumSyncMgrItems)
      .WillByDefault(Invoke([failures](ISyncMgrEnumItems** out) {
        *out = new FailingNextEnumerator(failures);
        return S_OK;
      }));
  ON_CALL(mock(), PrepareForSync)
      .WillByDefault(Invoke([&](ULONG count, GUID* ids, HWND, DWORD) {
        {
          std::lock_guard lock(mu);
          if (ids != nullptr) used.insert(used.end(), ids, ids + count);
        }
        if (auto cb = mock().callback()) cb->PrepareForSyncCompleted(S_OK);
        return S_OK;
      }));
  ON_CALL(mock(), SetItemStatus)
      .WillByDefault(Invoke([&](const GUID& id, DWORD) {
        std::lock_guard lock(mu);
        used.push_back(id);
        return S_OK;
      }));
  const HRESULT hr = Update(SYNCMGRINVOKE_STARTSYNC);
  {
    CHECKS("UI-013");
    ExpectDocumentedUpdateItemsResult(hr, "a valid request");
  }
  ASSERT_THAT(hr, HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  if (*failures == 0) {
    NOT_OBSERVED("EN-001", "the manager never called Next");
    return;
  }
  std::lock_guard lock(mu);
  CHECKS("EN-001");
  for (const GUID& id : used) {
    EXPECT_FALSE(FromFailedNext(id))
        << "the manager used item " << syncmgr::FormatGuid(id)
        << ", which Next handed back with E_FAIL; calls: "
        << ::testing::PrintToString(mock().calls());
  }
}

// CB-013: DeleteLogError(GUID_NULL) deletes every error the session
// logged, so a manager that offers logged errors (it calls ShowError for
// one) never offers a deleted one. A manager that never calls ShowError
// leaves this not observed (its answer to DeleteLogError is judged in
// CallbackContract.LogErrorAndDeleteLogErrorArguments).
TEST_F(LifecycleContract, DeletedErrorsAreNotOffered) {
  REQUIREMENT("CB-013");
  const GUID deleted = TestGuid(0x510);
  const GUID kept = TestGuid(0x511);
  std::mutex mu;
  std::vector<GUID> shown;
  ON_CALL(mock(), Synchronize).WillByDefault(Invoke([&](HWND) {
    auto cb = mock().callback();
    if (!cb) return E_UNEXPECTED;
    auto log = [&](const GUID& id, const WCHAR* text) {
      SYNCMGRLOGERRORINFO info{};
      info.cbSize = sizeof info;
      info.mask = SYNCMGRLOGERROR_ERRORID | SYNCMGRLOGERROR_ERRORFLAGS;
      info.dwSyncMgrErrorFlags = SYNCMGRERRORFLAG_ENABLEJUMPTEXT;
      info.ErrorID = id;
      cb->LogError(SYNCMGRLOGLEVEL_ERROR, text, &info);
    };
    log(deleted, WSTR("deleted at once"));
    cb->DeleteLogError(GUID_NULL, 0);
    log(kept, WSTR("kept"));
    cb->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  ON_CALL(mock(), ShowError)
      .WillByDefault(Invoke([&](HWND, const GUID& error_id) {
        {
          std::lock_guard lock(mu);
          shown.push_back(error_id);
        }
        if (auto cb = mock().callback())
          cb->ShowErrorCompleted(S_OK, 0, nullptr);
        return S_OK;
      }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  std::lock_guard lock(mu);
  if (shown.empty()) {
    NOT_OBSERVED("CB-013",
                 "the manager never called ShowError, so whether it still "
                 "offers a deleted error cannot be seen");
    return;
  }
  CHECKS("CB-013");
  for (const GUID& id : shown) {
    EXPECT_FALSE(id == deleted)
        << "ShowError offered an error that DeleteLogError(GUID_NULL) had "
           "deleted";
  }
}

// A manager may call ShowError for an error the handler logged with
// SYNCMGRERRORFLAG_ENABLEJUMPTEXT (as when a user opens it); a headless one
// need not, and then these rules are not run. The handler answers the first
// ShowError with ShowErrorCompleted(S_SYNCMGR_RETRYSYNC, 1, {item 2}) and
// overwrites that array as soon as the call returns: the manager must have
// copied it (CB-007), then call PrepareForSync with those IDs and
// Synchronize again (CB-006).
TEST_F(LifecycleContract, ShowErrorRetryRunsPrepareAndSynchronizeAgain) {
  REQUIREMENT("HS-022 CB-006 CB-007 UI-013");
  const GUID logged = TestGuid(0x500);
  const GUID overwritten = TestGuid(0x599);  // never enumerated
  mock().items = {MakeItem(TestGuid(1), WSTR("first")),
                  MakeItem(TestGuid(2), WSTR("second"))};
  std::mutex mu;
  std::vector<std::vector<GUID>> prepared;  // each PrepareForSync's IDs
  std::vector<GUID> shown;                  // each ShowError's ErrorID
  HRESULT retry_answer = E_PENDING;         // ShowErrorCompleted(RETRYSYNC)'s
  std::vector<GUID> retry = {TestGuid(2)};  // the handler's array
  std::atomic<int> synchronize_calls{0};
  ON_CALL(mock(), PrepareForSync)
      .WillByDefault(Invoke([&](ULONG count, GUID* ids, HWND, DWORD) {
        {
          std::lock_guard lock(mu);
          prepared.emplace_back(ids, ids + (ids != nullptr ? count : 0));
        }
        if (auto cb = mock().callback()) cb->PrepareForSyncCompleted(S_OK);
        return S_OK;
      }));
  ON_CALL(mock(), Synchronize).WillByDefault(Invoke([&](HWND) {
    auto cb = mock().callback();
    if (!cb) return E_UNEXPECTED;
    if (synchronize_calls++ == 0) {
      SYNCMGRLOGERRORINFO info{};
      info.cbSize = sizeof info;
      info.mask = SYNCMGRLOGERROR_ERRORID | SYNCMGRLOGERROR_ERRORFLAGS;
      info.dwSyncMgrErrorFlags = SYNCMGRERRORFLAG_ENABLEJUMPTEXT;
      info.ErrorID = logged;
      cb->LogError(SYNCMGRLOGLEVEL_ERROR, WSTR("item 2 failed"), &info);
    }
    cb->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  ON_CALL(mock(), ShowError)
      .WillByDefault(Invoke([&](HWND, const GUID& error_id) {
        bool first;
        {
          std::lock_guard lock(mu);
          shown.push_back(error_id);
          first = shown.size() == 1;
        }
        auto cb = mock().callback();
        if (!cb) return E_UNEXPECTED;
        if (!first) {  // one retry is enough
          cb->ShowErrorCompleted(S_OK, 0, nullptr);
          return S_OK;
        }
        const HRESULT answer =
            cb->ShowErrorCompleted(S_SYNCMGR_RETRYSYNC, 1, retry.data());
        retry[0] = overwritten;  // the caller owns the array (CB-007)
        std::lock_guard lock(mu);
        retry_answer = answer;
        return S_OK;
      }));
  const HRESULT hr = Update(SYNCMGRINVOKE_STARTSYNC);
  {
    CHECKS("UI-013");
    ExpectDocumentedUpdateItemsResult(hr, "a valid request");
  }
  ASSERT_THAT(hr, HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  const std::vector<std::string> calls = mock().calls();
  std::lock_guard lock(mu);
  if (shown.empty()) {
    const char* why =
        "the manager never called ShowError (it need not: it does when a "
        "user opens a logged error)";
    NOT_OBSERVED("HS-022", why);
    NOT_OBSERVED("CB-006", why);
    NOT_OBSERVED("CB-007", why);
    return;
  }
  {
    CHECKS("HS-022");
    for (const GUID& id : shown) {
      EXPECT_TRUE(id == logged)
          << "ShowError got ErrorID " << syncmgr::FormatGuid(id)
          << ", which the handler never passed to LogError";
    }
  }
  // The retry: the first PrepareForSync after the first ShowError, and a
  // Synchronize after it.
  const size_t show = First(calls, "ShowError");
  const size_t before = static_cast<size_t>(
      std::count(calls.begin(), calls.begin() + show, "PrepareForSync"));
  size_t prepare = show;
  while (prepare < calls.size() && calls[prepare] != "PrepareForSync") {
    ++prepare;
  }
  size_t synchronize = prepare;
  while (synchronize < calls.size() && calls[synchronize] != "Synchronize") {
    ++synchronize;
  }
  const std::vector<GUID> retried =
      prepared.size() > before ? prepared[before] : std::vector<GUID>{};
  const bool kept_pointer =
      std::find(retried.begin(), retried.end(), overwritten) != retried.end();
  {
    CHECKS("CB-007");
    EXPECT_FALSE(kept_pointer)
        << "the retry's PrepareForSync got the ID the handler wrote into its "
           "array after ShowErrorCompleted returned: the manager kept the "
           "pointer instead of a copy";
  }
  CHECKS("CB-006");
  ASSERT_LT(prepare, calls.size())
      << "no PrepareForSync after ShowErrorCompleted(S_SYNCMGR_RETRYSYNC), "
         "which answered "
      << syncmgr::DescribeHresult(retry_answer)
      << "; calls: " << ::testing::PrintToString(calls);
  EXPECT_LT(synchronize, calls.size())
      << "no Synchronize after the retry's PrepareForSync; calls: "
      << ::testing::PrintToString(calls);
  if (!kept_pointer) {
    EXPECT_THAT(retried, ElementsAre(TestGuid(2)))
        << "the retry's PrepareForSync did not get ShowErrorCompleted's IDs";
  }
}

// ---- The callback ----------------------------------------------------------

using CallbackContract = ContractTest;

// Runs `body` with the session's callback from inside Synchronize, then
// completes the session.
void DuringSynchronize(MockHandler& mock,
                       std::function<void(ISyncMgrSynchronizeCallback*)> body) {
  // Only the first Synchronize runs `body`: a manager that calls it again
  // breaks HS-024 alone, not the rules `body` checks.
  auto first = std::make_shared<std::atomic<bool>>(true);
  ON_CALL(mock, Synchronize).WillByDefault(Invoke([&mock, body, first](HWND) {
    ComPtr<ISyncMgrSynchronizeCallback> callback = mock.callback();
    if (first->exchange(false)) body(callback.Get());
    callback->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
}

TEST_F(CallbackContract, SecondCompletionIsUnexpected) {
  REQUIREMENT("CB-015 CB-101");
  HRESULT first = E_PENDING, second = E_PENDING;
  DuringSynchronize(mock(), [&](ISyncMgrSynchronizeCallback* cb) {
    first = cb->SynchronizeCompleted(S_OK);
    second = cb->SynchronizeCompleted(S_OK);
  });
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  {
    CHECKS("CB-015");
    EXPECT_THAT(first, HresultIs(S_OK));
  }
  CHECKS("CB-101");
  EXPECT_THAT(second, HresultIs(E_UNEXPECTED));
}

TEST_F(CallbackContract, UnsolicitedCompletionsAreUnexpected) {
  REQUIREMENT("CB-101");
  HRESULT properties = S_OK, show_error = S_OK, early_synchronize = S_OK;
  EXPECT_CALL(mock(), PrepareForSync)
      .WillOnce(Invoke([&](ULONG, GUID*, HWND, DWORD) {
        auto cb = mock().callback();
        properties = cb->ShowPropertiesCompleted(S_OK);
        show_error = cb->ShowErrorCompleted(S_OK, 0, nullptr);
        early_synchronize = cb->SynchronizeCompleted(S_OK);
        cb->PrepareForSyncCompleted(S_OK);
        return S_OK;
      }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  CHECKS("CB-101");
  EXPECT_THAT(properties, HresultIs(E_UNEXPECTED));
  EXPECT_THAT(show_error, HresultIs(E_UNEXPECTED));
  EXPECT_THAT(early_synchronize, HresultIs(E_UNEXPECTED));
}

// What Progress may answer when the call succeeds (CB-009).
auto ProgressAnswer() {
  return AnyOf(HresultIs(S_OK), HresultIs(S_SYNCMGR_CANCELITEM),
               HresultIs(S_SYNCMGR_CANCELALL));
}

TEST_F(CallbackContract, ProgressArgumentsAreChecked) {
  REQUIREMENT("CB-009 ST-004 CB-102 CB-105 CB-107");
  struct Case {
    const char* what;
    const char* requirement;
    DWORD cb_size;
    UINT mask;
    DWORD status;
    INT value, max;
    bool known_item;
    HRESULT expected;  // S_OK: any answer CB-009 allows
  };
  const Case cases[] = {
      {"well formed", "CB-009", 32, 0xF, SYNCMGRSTATUS_UPDATING, 1, 10, true,
       S_OK},
      {"empty mask", "ST-004", 32, 0, 0, 0, 0, true, S_OK},
      {"NULL item", "CB-102", 0, 0, 0, 0, 0, true, E_INVALIDARG},
      {"wrong cbSize", "CB-102", 24, 0xF, SYNCMGRSTATUS_UPDATING, 1, 10, true,
       E_INVALIDARG},
      {"unknown mask bit", "CB-102", 32, 0x10, 0, 0, 0, true, E_INVALIDARG},
      {"unknown status", "CB-102", 32, SYNCMGRPROGRESSITEM_STATUSTYPE, 0x42, 0,
       0, true, E_INVALIDARG},
      {"value above max", "CB-105", 32, 0xF, SYNCMGRSTATUS_UPDATING, 11, 10,
       true, E_INVALIDARG},
      {"negative value", "CB-105", 32, SYNCMGRPROGRESSITEM_PROGVALUE, 0, -1, 0,
       true, E_INVALIDARG},
      {"item never enumerated", "CB-107", 32, 0, 0, 0, 0, false, E_INVALIDARG},
  };
  std::vector<HRESULT> answers;
  DuringSynchronize(mock(), [&](ISyncMgrSynchronizeCallback* cb) {
    for (const Case& c : cases) {
      SYNCMGRPROGRESSITEM item{};
      item.cbSize = c.cb_size;
      item.mask = c.mask;
      item.lpcStatusText = WSTR("working");
      item.dwStatusType = c.status;
      item.iProgValue = c.value;
      item.iMaxValue = c.max;
      const GUID id = c.known_item ? TestGuid(1) : TestGuid(0x42);
      answers.push_back(cb->Progress(id, c.cb_size == 0 ? nullptr : &item));
    }
  });
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  if (answers.size() != std::size(cases)) {
    for (const char* id : {"CB-009", "ST-004", "CB-102", "CB-105", "CB-107"}) {
      NOT_OBSERVED(id, "Synchronize never ran");
    }
    return;
  }
  for (size_t i = 0; i < answers.size(); ++i) {
    const Case& c = cases[i];
    if (c.expected != S_OK) {
      CHECKS(c.requirement);
      EXPECT_THAT(answers[i], HresultIs(c.expected)) << c.what;
    } else if (SUCCEEDED(answers[i]) ||
               std::string(c.requirement) == "CB-009") {
      // Accepted: which success code is CB-009's question alone.
      CHECKS("CB-009");
      EXPECT_THAT(answers[i], ProgressAnswer()) << c.what;
    } else {
      CHECKS(c.requirement);
      ADD_FAILURE() << c.what << ": rejected with "
                    << syncmgr::DescribeHresult(answers[i]);
    }
  }
}

TEST_F(CallbackContract, LogErrorAndDeleteLogErrorArguments) {
  REQUIREMENT("CB-011 CB-012 CB-015 CB-013 CB-102 CB-107");
  // `after`: the index of the call this one builds on (the error a
  // DeleteLogError removes must have been logged); when that call failed,
  // its own rule has the failure and this one is not observed.
  struct Answer {
    const char* what;
    const char* requirement;
    HRESULT expected;
    HRESULT got;
    int after;
  };
  std::vector<Answer> answers;
  DuringSynchronize(mock(), [&](ISyncMgrSynchronizeCallback* cb) {
    SYNCMGRLOGERRORINFO info{};
    info.cbSize = sizeof info;
    info.mask = SYNCMGRLOGERROR_ERRORID | SYNCMGRLOGERROR_ITEMID;
    info.ErrorID = TestGuid(0x600);
    info.ItemID = TestGuid(1);
    auto add = [&](const char* what, const char* req, HRESULT expected,
                   HRESULT got, int after = -1) {
      answers.push_back({what, req, expected, got, after});
    };
    add("LogError without info", "CB-011", S_OK,
        cb->LogError(SYNCMGRLOGLEVEL_INFORMATION, WSTR("a"), nullptr));
    const int logged_without_info = 0;
    add("LogError with info", "CB-012", S_OK,
        cb->LogError(SYNCMGRLOGLEVEL_WARNING, WSTR("b"), &info),
        logged_without_info);
    const int logged_with_info = 1;
    add("LogError level 0", "CB-102", E_INVALIDARG,
        cb->LogError(0, WSTR("level 0"), nullptr));
    add("LogError level 4", "CB-102", E_INVALIDARG,
        cb->LogError(4, WSTR("level 4"), nullptr));
    add("LogError NULL text", "CB-102", E_INVALIDARG,
        cb->LogError(SYNCMGRLOGLEVEL_ERROR, nullptr, nullptr));
    SYNCMGRLOGERRORINFO bad = info;
    bad.cbSize = 40;
    add("LogError info cbSize 40", "CB-102", E_INVALIDARG,
        cb->LogError(SYNCMGRLOGLEVEL_ERROR, WSTR("c"), &bad));
    bad = info;
    bad.mask = 0x8;
    add("LogError unknown mask bit", "CB-102", E_INVALIDARG,
        cb->LogError(SYNCMGRLOGLEVEL_ERROR, WSTR("d"), &bad));
    bad = info;
    bad.ItemID = TestGuid(0x43);
    add("LogError about an item never enumerated", "CB-107", E_INVALIDARG,
        cb->LogError(SYNCMGRLOGLEVEL_ERROR, WSTR("e"), &bad));
    add("DeleteLogError(id)", "CB-015", S_OK,
        cb->DeleteLogError(TestGuid(0x600), 0), logged_with_info);
    add("DeleteLogError(GUID_NULL)", "CB-013", S_OK,
        cb->DeleteLogError(GUID_NULL, 0));
    add("DeleteLogError reserved 1", "CB-102", E_INVALIDARG,
        cb->DeleteLogError(GUID_NULL, 1));
  });
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  if (answers.empty()) {
    for (const char* id :
         {"CB-011", "CB-012", "CB-015", "CB-013", "CB-102", "CB-107"}) {
      NOT_OBSERVED(id, "Synchronize never ran");
    }
    return;
  }
  for (const Answer& a : answers) {
    if (a.after >= 0 && answers[a.after].got != S_OK) {
      NOT_OBSERVED(a.requirement, std::string(a.what) + ": not judged, since " +
                                      answers[a.after].what + " failed");
      continue;
    }
    CHECKS(a.requirement);
    EXPECT_THAT(a.got, HresultIs(a.expected)) << a.what;
  }
}

TEST_F(CallbackContract, EnableModelessAndEstablishConnection) {
  REQUIREMENT("CB-008 CB-014 CB-106 CB-108 CB-102");
  std::vector<HRESULT> answers;
  DuringSynchronize(mock(), [&](ISyncMgrSynchronizeCallback* cb) {
    answers.push_back(cb->EnableModeless(TRUE));
    answers.push_back(cb->EnableModeless(FALSE));
    answers.push_back(cb->EstablishConnection(nullptr, 0));
    answers.push_back(cb->EstablishConnection(WSTR("Office VPN"), 0));
    answers.push_back(cb->EstablishConnection(nullptr, 7));
  });
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  ASSERT_EQ(answers.size(), 5u) << "Synchronize never ran";
  bool modeless_documented = false;
  {
    CHECKS("CB-008");
    EXPECT_THAT(answers[0], AnyOf(HresultIs(S_OK), HresultIs(S_FALSE)));
    modeless_documented = answers[0] == S_OK || answers[0] == S_FALSE;
  }
  {
    CHECKS("CB-014");
    EXPECT_THAT(answers[2], HresultIs(S_OK)) << "EstablishConnection(NULL)";
  }
  if (modeless_documented) {
    // Headless, no dialog may be shown.
    CHECKS("CB-106");
    EXPECT_THAT(answers[0], HresultIs(S_FALSE)) << "EnableModeless(TRUE)";
    EXPECT_THAT(answers[1], HresultIs(S_OK)) << "EnableModeless(FALSE)";
  }
  {
    CHECKS("CB-108");
    EXPECT_THAT(answers[3], HresultIs(S_OK)) << "a named connection";
  }
  CHECKS("CB-102");
  EXPECT_THAT(answers[4], HresultIs(E_INVALIDARG)) << "dwReserved 7";
}

TEST_F(CallbackContract, CallbackUsedAfterTheSessionIsUnexpected) {
  REQUIREMENT("HS-111");
  ComPtr<ISyncMgrSynchronizeCallback> kept;
  DuringSynchronize(mock(), [&](ISyncMgrSynchronizeCallback* cb) {
    cb->AddRef();  // a reference the handler should not keep
    kept = ComPtr<ISyncMgrSynchronizeCallback>::Adopt(cb);
  });
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  ASSERT_TRUE(kept) << "Synchronize never ran";
  SYNCMGRPROGRESSITEM item{};
  item.cbSize = sizeof item;
  EXPECT_THAT(kept->Progress(TestGuid(1), &item), HresultIs(E_UNEXPECTED));
  EXPECT_THAT(kept->SynchronizeCompleted(S_OK), HresultIs(E_UNEXPECTED));
  kept.Reset();
}

}  // namespace
}  // namespace syncmgr::conformance
