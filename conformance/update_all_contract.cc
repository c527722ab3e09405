// UpdateAll (reference/SPEC.md UA-).
#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>

#include "conformance/testing/contract_test.h"
#include "reference/com/com.h"

namespace syncmgr::conformance {
namespace {

using ::syncmgr::testing::HresultIs;
using ::syncmgr::testing::MakeItem;
using ::syncmgr::testing::TestGuid;
using ::testing::Invoke;
using ::testing::Return;
using ::testing::UnorderedElementsAre;
using namespace std::chrono_literals;

// The sessions these tests wait for are UpdateAll's (UA-001).
class UpdateAllContract : public ContractTest {
 protected:
  UpdateAllContract() { start_requirement_ = "UA-001"; }
};

struct InitializeArguments {
  DWORD flags;
  DWORD cb_cookie;
  const BYTE* cookie;
};

TEST_F(UpdateAllContract, OneSessionPerRegisteredHandlerWithoutCookie) {
  REQUIREMENT("UA-003 UA-002 UA-001 UI-010 UA-101");
  // Registered for automatic events too: still one of "all" handlers.
  MockHandler& other =
      AddHandler(1, SYNCMGRREGISTERFLAG_CONNECT | SYNCMGRREGISTERFLAG_IDLE);
  mock().items = {
      MakeItem(TestGuid(1), WSTR("checked")),
      MakeItem(TestGuid(2), WSTR("unchecked"), SYNCMGRITEMSTATE_UNCHECKED)};
  std::mutex mu;
  std::vector<InitializeArguments> seen;
  auto record = [&](HRESULT answer) {
    return Invoke([&, answer](DWORD, DWORD flags, DWORD cb, const BYTE* c) {
      std::lock_guard lock(mu);
      seen.push_back({flags, cb, c});
      return answer;
    });
  };
  ON_CALL(mock(), Initialize).WillByDefault(record(S_OK));
  // One handler failing stays its own.
  ON_CALL(other, Initialize).WillByDefault(record(E_FAIL));
  HRESULT hr = E_PENDING;
  {
    CHECKS("UA-003");  // a manager that hangs here breaks this rule
    hr = invoke_->UpdateAll();
  }
  {
    CHECKS("UA-002");
    EXPECT_THAT(hr, HresultIs(S_OK));
  }
  EXPECT_SESSIONS_ENDED(mock(), 1);
  EXPECT_SESSIONS_ENDED(other, 1);
  std::lock_guard lock(mu);
  {
    CHECKS("UA-001");  // every registered handler, all of its items
    EXPECT_EQ(other.objects_created(), 1);
    const std::vector<std::string> calls = mock().calls();
    EXPECT_GE(std::count(calls.begin(), calls.end(), "Synchronize"), 1)
        << ::testing::PrintToString(calls);
    EXPECT_THAT(mock().prepared_items(),
                UnorderedElementsAre(TestGuid(1), TestGuid(2)));
  }
  {
    CHECKS("UI-010");
    ASSERT_EQ(seen.size(), 2u);
    for (const InitializeArguments& a : seen) {
      EXPECT_EQ(a.cookie, nullptr);
    }
  }
  CHECKS("UA-101");  // INVOKE sessions with no cookie at all
  for (const InitializeArguments& a : seen) {
    EXPECT_EQ(a.cb_cookie, 0u);
    EXPECT_EQ(a.flags & SYNCMGRFLAG_EVENTMASK, DWORD{SYNCMGRFLAG_INVOKE});
  }
}

TEST_F(UpdateAllContract, NothingRegisteredStillSucceeds) {
  REQUIREMENT("UA-003 UA-101");
  ASSERT_THAT(register_->UnregisterSyncMgrHandler(kHandlerClsid, 0),
              HresultIs(S_OK));
  HRESULT hr = E_PENDING;
  {
    CHECKS("UA-003");  // a manager that hangs here breaks this rule
    hr = invoke_->UpdateAll();
  }
  CHECKS("UA-101");
  EXPECT_THAT(hr, HresultIs(S_OK));
  EXPECT_TRUE(NoHandlerCreated());
}

TEST_F(UpdateAllContract, ReturnsBeforeTheSessionsRun) {
  REQUIREMENT("UA-003");
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  ON_CALL(mock(), Initialize)
      .WillByDefault(Invoke([&](DWORD, DWORD, DWORD, const BYTE*) {
        std::unique_lock lock(mu);
        cv.wait_for(lock, GetSettings().session_timeout,
                    [&] { return release; });
        return S_OK;
      }));
  // UpdateAll runs on another thread so that a manager that blocks fails
  // this test instead of hanging it.
  auto done =
      std::async(std::launch::async, [&] { return invoke_->UpdateAll(); });
  const bool returned_while_blocked =
      done.wait_for(5s) == std::future_status::ready;
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  EXPECT_TRUE(returned_while_blocked)
      << "UpdateAll waited for the handler's session";
  EXPECT_THAT(done.get(), HresultIs(S_OK));
  EXPECT_SESSIONS_ENDED(1);
}

}  // namespace
}  // namespace syncmgr::conformance
