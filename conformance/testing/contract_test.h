// File: conformance/testing/contract_test.h
//
// The fixture of every conformance test. The implementation under test is a
// plug-in loaded through the host's COM runtime as the in-proc server of
// CLSID_SyncMgr; the fixture reaches it only with CoCreateInstance and the
// mobsync interfaces. It registers a GoogleMock handler under a test CLSID,
// both with the host's COM runtime (so that the implementation's
// CoCreateInstance finds it) and with the implementation's
// ISyncMgrRegister, and unregisters it afterwards.
//
// What a test may judge is what a client and a handler can observe: return
// codes, the calls the handler receives, the handler's final Release and
// DllCanUnloadNow. A session is over when every handler object created for
// it has been destroyed; tests wait for that with a bounded wait
// (SessionsEnded), never assuming UpdateItems ran the session before it
// returned.
//
// Example:
//   TEST_F(UpdateItemsContract, UnknownFlagBitsAreRejected) {
//     REQUIREMENT("UI-105");
//     EXPECT_THAT(Update(0x1), HresultIs(E_INVALIDARG));
//     EXPECT_TRUE(NoHandlerCreated());
//   }
//
// A test that checks several requirements gives each check its own
// CHECKS("...") scope (reference/testing/requirement.h), so that a failure
// names exactly one rule.
//   }
#ifndef SYNCMGR_CONFORMANCE_TESTING_CONTRACT_TEST_H_
#define SYNCMGR_CONFORMANCE_TESTING_CONTRACT_TEST_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "reference/com/object.h"
#include "reference/mobsync/mobsync.h"
#include "reference/testing/hresult_matchers.h"
#include "reference/testing/mock_handler.h"
#include "reference/testing/requirement.h"

namespace syncmgr::conformance {

struct Settings {
  std::string implementation;  // the plug-in's path
  // How long a test waits for a session to end (the implementation's own
  // completion timeouts must be shorter for the timeout tests to pass).
  std::chrono::milliseconds session_timeout{30000};
  // How long a rejected call is watched for a handler being created anyway.
  std::chrono::milliseconds settle{100};
};
Settings& GetSettings();

// Registers `path` as the in-proc server of CLSID_SyncMgr and checks that
// CoCreateInstance(CLSID_SyncMgr) gives an ISyncMgrSynchronizeInvoke.
bool LoadImplementation(const std::string& path, std::string* error);

// The handler CLSIDs the suite uses.
extern const GUID kHandlerClsid;
GUID ExtraHandlerClsid(int n);  // n = 0, 1, ...
extern const GUID kUnregisteredClsid;

// `size` bytes (at least one) that end flush against an inaccessible page:
// whoever reads past them faults, with or without a sanitizer.
class GuardedBytes {
 public:
  explicit GuardedBytes(size_t size);
  ~GuardedBytes();
  GuardedBytes(const GuardedBytes&) = delete;
  GuardedBytes& operator=(const GuardedBytes&) = delete;
  BYTE* data() { return data_; }
  size_t size() const { return size_; }

 private:
  void* pages_ = nullptr;
  size_t mapped_ = 0;
  BYTE* data_ = nullptr;
  size_t size_ = 0;
};

using MockHandler = ::testing::NiceMock<syncmgr::testing::HandlerMock>;

class ContractTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  MockHandler& mock() { return *handlers_.front().mock; }
  // Registers one more mock handler under ExtraHandlerClsid(n) (host COM
  // runtime and the implementation); unregistered in TearDown.
  MockHandler& AddHandler(int n, DWORD register_flags = 0);

  HRESULT Update(DWORD flags, const std::vector<BYTE>& cookie = {});

  // True once `sessions` handler objects of `handler` were created and all
  // were destroyed, within the session timeout. Tests use it through
  // ASSERT_SESSIONS_ENDED / EXPECT_SESSIONS_ENDED, which check it as COM-003
  // (every object released in the end).
  ::testing::AssertionResult SessionsEnded(int sessions = 1);
  ::testing::AssertionResult SessionsEnded(MockHandler& handler, int sessions);
  // The test knows a session may never end (the subject waits for a
  // completion for ever): TearDown then does not count the handler it left
  // alive against COM-003.
  void AllowUnfinishedSessions() { allow_unfinished_ = true; }
  // True if no handler object of any registered mock was created during the
  // settle period.
  ::testing::AssertionResult NoHandlerCreated();

  syncmgr::com::ComPtr<ISyncMgrSynchronizeInvoke> invoke_;
  syncmgr::com::ComPtr<ISyncMgrRegister> register_;

 private:
  struct Handler {
    GUID clsid;
    std::unique_ptr<MockHandler> mock;
    std::unique_ptr<syncmgr::testing::RegisteredHandler> registration;
  };
  Handler& Add(const GUID& clsid, DWORD register_flags);
  std::vector<Handler> handlers_;
  bool allow_unfinished_ = false;
};

}  // namespace syncmgr::conformance

// The sessions ended (SessionsEnded's arguments): a failure is one of
// COM-003, whatever requirement the surrounding test checks.
#define ASSERT_SESSIONS_ENDED(...)           \
  do {                                       \
    CHECKS("COM-003");                       \
    ASSERT_TRUE(SessionsEnded(__VA_ARGS__)); \
  } while (0)
#define EXPECT_SESSIONS_ENDED(...)           \
  do {                                       \
    CHECKS("COM-003");                       \
    EXPECT_TRUE(SessionsEnded(__VA_ARGS__)); \
  } while (0)

#endif  // SYNCMGR_CONFORMANCE_TESTING_CONTRACT_TEST_H_
