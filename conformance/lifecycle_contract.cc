// The handler lifecycle as a handler sees it, and the callback the manager
// hands it (reference/SPEC.md HS-, CB-).
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "conformance/testing/contract_test.h"
#include "reference/com/com.h"
#include "reference/mobsync/hresult.h"

namespace syncmgr::conformance {
namespace {

using ::syncmgr::com::ComPtr;
using ::syncmgr::testing::HandlerMock;
using ::syncmgr::testing::HresultIs;
using ::syncmgr::testing::MakeItem;
using ::syncmgr::testing::TestGuid;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::InSequence;
using ::testing::Invoke;
using ::testing::IsNull;
using ::testing::NotNull;
using ::testing::Return;
using namespace std::chrono_literals;

using LifecycleContract = ContractTest;

TEST_F(LifecycleContract, CallsComeInTheSpecifiedOrder) {
  REQUIREMENT("HS-101 HS-010 HS-011 HS-016 HS-024 UI-004 UI-117 ST-001");
  mock().items = {
      MakeItem(TestGuid(1), WSTR("checked")),
      MakeItem(TestGuid(2), WSTR("unchecked"), SYNCMGRITEMSTATE_UNCHECKED),
      MakeItem(TestGuid(3), WSTR("checked too"))};
  {
    InSequence order;
    EXPECT_CALL(mock(), Created());
    EXPECT_CALL(mock(), Initialize(0, _, 0, IsNull()));
    EXPECT_CALL(mock(), GetHandlerInfo(NotNull()));
    EXPECT_CALL(mock(), EnumSyncMgrItems(NotNull()));
    EXPECT_CALL(mock(), SetProgressCallback(NotNull()));
    EXPECT_CALL(mock(), PrepareForSync(2, NotNull(), _, _));
    EXPECT_CALL(mock(), Synchronize(_));
    EXPECT_CALL(mock(), SetProgressCallback(IsNull()));
    EXPECT_CALL(mock(), Destroyed());
  }
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_TRUE(SessionsEnded(1));
  EXPECT_THAT(mock().prepared_items(), ElementsAre(TestGuid(1), TestGuid(3)));
}

TEST_F(LifecycleContract, NoSelectedItemMeansNoPrepareForSync) {
  REQUIREMENT("HS-014");
  mock().items = {
      MakeItem(TestGuid(1), WSTR("off"), SYNCMGRITEMSTATE_UNCHECKED)};
  EXPECT_CALL(mock(), PrepareForSync).Times(0);
  EXPECT_CALL(mock(), Synchronize).Times(0);
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  EXPECT_TRUE(SessionsEnded(1));
}

TEST_F(LifecycleContract, RefusedPrepareForSyncEndsWithoutSynchronize) {
  REQUIREMENT("HS-102 HS-013");
  EXPECT_CALL(mock(), PrepareForSync)
      .WillOnce(Return(S_FALSE))
      .WillOnce(Return(E_OUTOFMEMORY));
  EXPECT_CALL(mock(), Synchronize).Times(0);
  EXPECT_CALL(mock(), SetProgressCallback(IsNull())).Times(2);
  EXPECT_CALL(mock(), SetProgressCallback(NotNull())).Times(2);
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  EXPECT_TRUE(SessionsEnded(2));
}

TEST_F(LifecycleContract, FailedPrepareCompletionEndsWithoutSynchronize) {
  REQUIREMENT("HS-015 CB-001");
  EXPECT_CALL(mock(), PrepareForSync)
      .WillOnce(Invoke([&](ULONG, GUID*, HWND, DWORD) {
        mock().callback()->PrepareForSyncCompleted(E_FAIL);
        return S_OK;
      }));
  EXPECT_CALL(mock(), Synchronize).Times(0);
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  EXPECT_TRUE(SessionsEnded(1));
}

TEST_F(LifecycleContract, SynchronizeWaitsForALateCompletionFromAnotherThread) {
  REQUIREMENT("HS-012 HS-015 HS-025 CB-104");
  std::atomic<bool> prepare_completed{false};
  std::atomic<bool> synchronize_too_early{false};
  EXPECT_CALL(mock(), PrepareForSync)
      .WillOnce(Invoke([&](ULONG, GUID*, HWND, DWORD) {
        ComPtr<ISyncMgrSynchronizeCallback> callback = mock().callback();
        mock().RunOnThread([callback, &prepare_completed] {
          std::this_thread::sleep_for(50ms);
          prepare_completed = true;
          callback->PrepareForSyncCompleted(S_OK);
        });
        return S_OK;
      }));
  EXPECT_CALL(mock(), Synchronize).WillOnce(Invoke([&](HWND) {
    if (!prepare_completed) synchronize_too_early = true;
    ComPtr<ISyncMgrSynchronizeCallback> callback = mock().callback();
    mock().RunOnThread([callback] {
      std::this_thread::sleep_for(20ms);
      callback->SynchronizeCompleted(S_OK);
    });
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  EXPECT_TRUE(SessionsEnded(1));
  EXPECT_FALSE(synchronize_too_early)
      << "Synchronize was called before PrepareForSyncCompleted";
}

TEST_F(LifecycleContract, MissingCompletionEndsTheSession) {
  REQUIREMENT("HS-112");
  EXPECT_CALL(mock(), Synchronize).WillOnce(Return(S_OK));  // never completes
  EXPECT_CALL(mock(), SetProgressCallback(IsNull()));
  EXPECT_CALL(mock(), SetProgressCallback(NotNull()));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  EXPECT_TRUE(SessionsEnded(1)) << "the manager must stop waiting (HS-112)";
}

// ---- The callback
// ------------------------------------------------------------

using CallbackContract = ContractTest;

// Runs `body` with the session's callback from inside Synchronize, then
// completes the session.
void DuringSynchronize(MockHandler& mock,
                       std::function<void(ISyncMgrSynchronizeCallback*)> body) {
  EXPECT_CALL(mock, Synchronize).WillOnce(Invoke([&mock, body](HWND) {
    ComPtr<ISyncMgrSynchronizeCallback> callback = mock.callback();
    body(callback.Get());
    callback->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
}

TEST_F(CallbackContract, SecondCompletionIsUnexpected) {
  REQUIREMENT("CB-101 HS-108");
  HRESULT first = E_FAIL, second = S_OK;
  EXPECT_CALL(mock(), Synchronize).WillOnce(Invoke([&](HWND) {
    first = mock().callback()->SynchronizeCompleted(S_OK);
    second = mock().callback()->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_TRUE(SessionsEnded(1));
  EXPECT_THAT(first, HresultIs(S_OK));
  EXPECT_THAT(second, HresultIs(E_UNEXPECTED));
}

TEST_F(CallbackContract, UnsolicitedCompletionsAreUnexpected) {
  REQUIREMENT("CB-004 CB-005 CB-101");
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
  ASSERT_TRUE(SessionsEnded(1));
  EXPECT_THAT(properties, HresultIs(E_UNEXPECTED));
  EXPECT_THAT(show_error, HresultIs(E_UNEXPECTED));
  EXPECT_THAT(early_synchronize, HresultIs(E_UNEXPECTED));
}

TEST_F(CallbackContract, ProgressArgumentsAreChecked) {
  REQUIREMENT("CB-009 CB-102 CB-105 CB-107 CB-015 ST-004");
  struct Case {
    const char* what;
    DWORD cb_size;
    UINT mask;
    DWORD status;
    INT value, max;
    bool known_item;
    HRESULT expected;
  };
  const Case cases[] = {
      {"well formed", 32, 0xF, SYNCMGRSTATUS_UPDATING, 1, 10, true, S_OK},
      {"empty mask", 32, 0, 0, 0, 0, true, S_OK},
      {"NULL item", 0, 0, 0, 0, 0, true, E_INVALIDARG},
      {"wrong cbSize", 24, 0xF, SYNCMGRSTATUS_UPDATING, 1, 10, true,
       E_INVALIDARG},
      {"unknown mask bit", 32, 0x10, 0, 0, 0, true, E_INVALIDARG},
      {"unknown status", 32, SYNCMGRPROGRESSITEM_STATUSTYPE, 0x42, 0, 0, true,
       E_INVALIDARG},
      {"value above max", 32, 0xF, SYNCMGRSTATUS_UPDATING, 11, 10, true,
       E_INVALIDARG},
      {"negative value", 32, SYNCMGRPROGRESSITEM_PROGVALUE, 0, -1, 0, true,
       E_INVALIDARG},
      {"item never enumerated", 32, 0, 0, 0, 0, false, E_INVALIDARG},
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
  ASSERT_TRUE(SessionsEnded(1));
  ASSERT_EQ(answers.size(), std::size(cases));
  for (size_t i = 0; i < answers.size(); ++i) {
    EXPECT_THAT(answers[i], HresultIs(cases[i].expected)) << cases[i].what;
  }
}

TEST_F(CallbackContract, LogErrorAndDeleteLogErrorArguments) {
  REQUIREMENT("CB-011 CB-013 CB-102 CB-107 CB-015");
  std::vector<HRESULT> answers;
  DuringSynchronize(mock(), [&](ISyncMgrSynchronizeCallback* cb) {
    SYNCMGRLOGERRORINFO info{};
    info.cbSize = sizeof info;
    info.mask = SYNCMGRLOGERROR_ERRORID | SYNCMGRLOGERROR_ITEMID;
    info.ErrorID = TestGuid(0x600);
    info.ItemID = TestGuid(1);
    answers.push_back(
        cb->LogError(SYNCMGRLOGLEVEL_INFORMATION, WSTR("a"), nullptr));
    answers.push_back(cb->LogError(SYNCMGRLOGLEVEL_WARNING, WSTR("b"), &info));
    answers.push_back(cb->LogError(0, WSTR("level 0"), nullptr));
    answers.push_back(cb->LogError(4, WSTR("level 4"), nullptr));
    answers.push_back(cb->LogError(SYNCMGRLOGLEVEL_ERROR, nullptr, nullptr));
    SYNCMGRLOGERRORINFO bad = info;
    bad.cbSize = 40;
    answers.push_back(cb->LogError(SYNCMGRLOGLEVEL_ERROR, WSTR("c"), &bad));
    bad = info;
    bad.mask = 0x8;
    answers.push_back(cb->LogError(SYNCMGRLOGLEVEL_ERROR, WSTR("d"), &bad));
    bad = info;
    bad.ItemID = TestGuid(0x43);
    answers.push_back(cb->LogError(SYNCMGRLOGLEVEL_ERROR, WSTR("e"), &bad));
    answers.push_back(cb->DeleteLogError(TestGuid(0x600), 0));
    answers.push_back(cb->DeleteLogError(GUID_NULL, 0));
    answers.push_back(cb->DeleteLogError(GUID_NULL, 1));
  });
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_TRUE(SessionsEnded(1));
  EXPECT_THAT(
      answers,
      ElementsAre(HresultIs(S_OK), HresultIs(S_OK), HresultIs(E_INVALIDARG),
                  HresultIs(E_INVALIDARG), HresultIs(E_INVALIDARG),
                  HresultIs(E_INVALIDARG), HresultIs(E_INVALIDARG),
                  HresultIs(E_INVALIDARG), HresultIs(S_OK), HresultIs(S_OK),
                  HresultIs(E_INVALIDARG)));
}

TEST_F(CallbackContract, EnableModelessAndEstablishConnection) {
  REQUIREMENT("CB-008 CB-106 CB-014");
  std::vector<HRESULT> answers;
  DuringSynchronize(mock(), [&](ISyncMgrSynchronizeCallback* cb) {
    answers.push_back(cb->EnableModeless(TRUE));
    answers.push_back(cb->EnableModeless(FALSE));
    answers.push_back(cb->EstablishConnection(nullptr, 0));
    answers.push_back(cb->EstablishConnection(WSTR("Office VPN"), 0));
    answers.push_back(cb->EstablishConnection(nullptr, 7));
  });
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_TRUE(SessionsEnded(1));
  // Headless: no dialog may be shown (CB-106).
  EXPECT_THAT(answers,
              ElementsAre(HresultIs(S_FALSE), HresultIs(S_OK), HresultIs(S_OK),
                          HresultIs(S_OK), HresultIs(E_INVALIDARG)));
}

TEST_F(CallbackContract, CallbackUsedAfterTheSessionIsUnexpected) {
  REQUIREMENT("HS-111");
  ComPtr<ISyncMgrSynchronizeCallback> kept;
  EXPECT_CALL(mock(), Synchronize).WillOnce(Invoke([&](HWND) {
    kept = mock().callback();  // a reference the handler should not keep
    kept->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_TRUE(SessionsEnded(1));
  ASSERT_TRUE(kept);
  SYNCMGRPROGRESSITEM item{};
  item.cbSize = sizeof item;
  EXPECT_THAT(kept->Progress(TestGuid(1), &item), HresultIs(E_UNEXPECTED));
  EXPECT_THAT(kept->SynchronizeCompleted(S_OK), HresultIs(E_UNEXPECTED));
  kept.Reset();
}

}  // namespace
}  // namespace syncmgr::conformance
