// One synchronization session: the manager's side of a handler's lifecycle
// (SPEC.md HS-101), and the ISyncMgrSynchronizeCallback the handler reports
// to. A session is activated (handler created and initialized) and then run;
// it always ends with SetProgressCallback(NULL) (when a callback was set),
// the handler's final Release and one SessionReport.
#ifndef SYNCMGR_REFERENCE_INTERNAL_SESSION_H_
#define SYNCMGR_REFERENCE_INTERNAL_SESSION_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "reference/mobsync/mobsync.h"
#include "reference/sync_manager.h"

namespace syncmgr::reference::internal {

// True while this thread is inside a call from the manager into handler
// code (SPEC.md UI-116: such calls are re-entrant requests).
bool InsideHandlerCall();

// Rule violations seen after their session had ended (a handler calling a
// callback it should have released, HS-111), process-wide.
std::uint64_t LateViolationCount();

// Owns a cookie copy made with CoTaskMemAlloc (UI-108).
class CookieCopy {
 public:
  CookieCopy() = default;
  // Copies `size` bytes; returns false when the allocator failed.
  bool Assign(const BYTE* bytes, DWORD size);
  // Refers to the caller's buffer without copying (kFaultKeepCookiePointer).
  void Borrow(const BYTE* bytes, DWORD size);
  CookieCopy(CookieCopy&& other) noexcept;
  CookieCopy& operator=(CookieCopy&& other) noexcept;
  CookieCopy(const CookieCopy&) = delete;
  CookieCopy& operator=(const CookieCopy&) = delete;
  ~CookieCopy();
  const BYTE* data() const { return data_; }
  DWORD size() const { return size_; }
  bool owned() const { return owned_; }

 private:
  BYTE* data_ = nullptr;
  DWORD size_ = 0;
  bool owned_ = true;
};

class CallbackState;

class Session {
 public:
  Session(std::uint64_t id, const GUID& clsid, DWORD invoke_flags,
          CookieCopy cookie, std::shared_ptr<const Options> options,
          bool from_update_all);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const GUID& clsid() const { return report_.clsid; }
  const Options& options() const { return *options_; }

  // Creates the handler and calls Initialize. Returns S_OK when the session
  // should go on to Run(); otherwise the session is over (End() has been
  // called) and the result is what UpdateItems reports: S_OK when the
  // handler declined (UI-112), E_FAIL when it could not be created or
  // initialized (UI-111).
  HRESULT Activate();
  bool activated() const { return activated_; }

  // The rest of the lifecycle; always ends the session.
  void Run();

  // Ends a session that will never run (engine shut down).
  void Abandon();

  // The report, valid after the session ended.
  const SessionReport& report() const { return report_; }
  // Puts the cookie passed to Initialize into report().cookie. The engine
  // calls it only when an observer will read the report, which spares every
  // other session a second copy of the cookie (a borrowed cookie,
  // kFaultKeepCookiePointer, is copied at Initialize as before).
  void CopyCookieToReport();
  bool ended() const { return ended_; }

 private:
  template <typename Call>
  HRESULT CallHandler(const char* method, const char* documented_codes_key,
                      Call&& call);
  void Trace(std::string line);
  void Violate(const char* requirement, std::string message);
  void End(Outcome outcome, HRESULT result);
  void ReadHandlerInfo();
  bool EnumerateItems();
  std::vector<GUID> ChooseItems(bool* cancelled);
  // Calls PrepareForSync(ids) and Synchronize and waits for their
  // completions. Returns false when the session must end (End() called).
  bool PrepareAndSynchronize(std::vector<GUID> ids);
  void ShowErrors();

  std::shared_ptr<const Options> options_;
  CookieCopy cookie_;
  SessionReport report_;
  ISyncMgrSynchronize* handler_ = nullptr;
  ISyncMgrSynchronizeCallback* callback_ = nullptr;
  std::shared_ptr<CallbackState> state_;
  bool activated_ = false;
  bool ended_ = false;
  bool callback_set_ = false;
  bool cookie_passed_ = false;  // Initialize was called with cookie_
};

}  // namespace syncmgr::reference::internal

#endif  // SYNCMGR_REFERENCE_INTERNAL_SESSION_H_
