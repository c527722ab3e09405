// UpdateAll (reference/SPEC.md UA-).
#include <condition_variable>
#include <future>
#include <mutex>

#include "conformance/testing/contract_test.h"
#include "reference/com/com.h"

namespace syncmgr::conformance {
namespace {

using ::syncmgr::testing::HresultIs;
using ::testing::_;
using ::testing::Invoke;
using ::testing::IsNull;
using ::testing::Return;
using namespace std::chrono_literals;

using UpdateAllContract = ContractTest;

TEST_F(UpdateAllContract, OneSessionPerRegisteredHandlerWithoutCookie) {
  REQUIREMENT("UA-001 UA-002 UA-101 UI-010");
  MockHandler& other = AddHandler(1);
  EXPECT_CALL(mock(), Initialize(0, _, 0, IsNull()));
  EXPECT_CALL(other, Initialize(0, _, 0, IsNull()))
      .WillOnce(Return(E_FAIL));  // one handler failing stays its own
  EXPECT_CALL(mock(), Synchronize);
  EXPECT_THAT(invoke_->UpdateAll(), HresultIs(S_OK));
  EXPECT_TRUE(SessionsEnded(mock(), 1));
  EXPECT_TRUE(SessionsEnded(other, 1));
}

TEST_F(UpdateAllContract, NothingRegisteredStillSucceeds) {
  REQUIREMENT("UA-101");
  ASSERT_THAT(register_->UnregisterSyncMgrHandler(kHandlerClsid, 0),
              HresultIs(S_OK));
  EXPECT_THAT(invoke_->UpdateAll(), HresultIs(S_OK));
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
  EXPECT_TRUE(SessionsEnded(1));
}

}  // namespace
}  // namespace syncmgr::conformance
