// File: fuzz/internal/scripted_handler.h
//
// A fast, hand-written sync handler for the fuzz targets (gMock is far too
// slow for 100,000 calls a second). What each handler object does is a
// HandlerScript; what the manager did to it is written to a HandlerRecord.
// One HandlerClass per CLSID is the class object CoCreateInstance finds
// (CoRegisterClassObject); every instance it creates copies the class's
// current script and appends a fresh record to the class's list.
//
// A well-behaved handler is a default HandlerScript: Initialize S_OK, a
// valid SYNCMGRHANDLERINFO, the script's items, completions called inside
// PrepareForSync and Synchronize. Fuzzers change single fields to make it
// hostile: error codes, malformed structures, completions from other
// threads, twice, or never.
//
// Example:
//   HandlerClass handler(kClsid);            // registered with COM
//   HandlerScript script;
//   script.initialize = S_FALSE;
//   handler.SetScript(script);
//   invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kClsid, 0, nullptr);
//   JoinHandlerThreads();
//   for (const auto& record : handler.TakeRecords()) { ... }
#ifndef SYNCMGR_FUZZ_INTERNAL_SCRIPTED_HANDLER_H_
#define SYNCMGR_FUZZ_INTERNAL_SCRIPTED_HANDLER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "reference/com/object.h"
#include "reference/mobsync/mobsync.h"

namespace syncmgr::fuzz {

// How a handler reports the end of PrepareForSync, Synchronize or ShowError.
enum class Completion : std::uint8_t {
  kInline,       // calls the completion before the method returns
  kNever,        // never calls it: the manager must time out (HS-112)
  kTwice,        // calls it twice before returning (HS-108)
  kOtherThread,  // a new thread calls it, maybe before the method returns
  kDelayed,      // a new thread calls it about 1 ms after the method returned
};
inline constexpr int kCompletionKinds = 5;

// A call the handler makes on the progress callback during Synchronize.
struct CallbackCall {
  enum Kind : std::uint8_t {
    kProgress,
    kLogError,
    kDeleteLogError,
    kEstablishConnection,
    kEnableModeless,
    kShowPropertiesCompleted,
    kShowErrorCompleted,
    kPrepareForSyncCompleted,
    kSynchronizeCompleted,
  };
  static constexpr int kKinds = 9;
  Kind kind = kProgress;
  bool from_thread = false;  // from a new thread instead of Synchronize's
  int item = 0;              // index into the script's items; -1: unknown
  bool null_struct = false;  // NULL SYNCMGRPROGRESSITEM / LOGERRORINFO
  DWORD cb_size = sizeof(SYNCMGRPROGRESSITEM);
  DWORD mask = 0;
  DWORD status = 0;  // dwStatusType, or the error flags
  INT value = 0;
  INT max = 0;
  DWORD level = 1;  // LogError level, or EnableModeless' BOOL
  bool null_text = false;
  DWORD reserved = 0;
  HRESULT hr = S_OK;  // for the completions
  ULONG count = 0;    // ShowErrorCompleted's cItems
  bool null_ids = false;
};

struct HandlerScript {
  HRESULT initialize = S_OK;
  // The bytes the caller passed to UpdateItems, if the caller wants
  // Initialize to compare them (HandlerRecord::cookie_matches). The caller
  // keeps them alive for the duration of its UpdateItems call, inside which
  // Initialize always runs (SPEC.md UI-101).
  const BYTE* expected_cookie = nullptr;
  DWORD expected_size = 0;

  enum class Info : std::uint8_t {
    kGood,
    kNull,          // S_OK with a NULL pointer
    kBadSize,       // cbSize 0
    kUnterminated,  // 32 WCHARs without NUL
    kBadFlags,      // flags outside SYNCMGRHANDLERFLAG_MASK
  };
  HRESULT get_handler_info = S_OK;
  Info info = Info::kGood;

  HRESULT enum_items = S_OK;
  bool null_enumerator = false;
  std::vector<SYNCMGRITEM> items;
  enum class Next : std::uint8_t {
    kNormal,        // S_OK while full batches, then S_FALSE
    kTooMany,       // claims celt + 1 items
    kFail,          // E_FAIL on the first call
    kNotImpl,       // E_NOTIMPL (EN-001)
    kEmptyForever,  // S_OK with nothing, forever
    kShortSOk,      // S_OK with fewer than celt, then S_FALSE
  };
  Next next = Next::kNormal;

  HRESULT set_progress_callback = S_OK;
  // Called with every non-NULL callback the handler is given; a fuzzer that
  // AddRefs and keeps it plays a handler holding on to its callback after
  // its session (HS-109, HS-111).
  std::function<void(ISyncMgrSynchronizeCallback*)> on_callback;
  // Called when the manager enters one of these methods, before the
  // handler does anything else: a fuzzer can make re-entrant calls from
  // handler code (SPEC.md UI-116).
  enum class Method : std::uint8_t {
    kInitialize,
    kGetHandlerInfo,
    kEnumSyncMgrItems,
    kPrepareForSync,
    kSynchronize,
  };
  std::function<void(Method)> on_method;

  HRESULT prepare = S_OK;
  Completion prepare_completion = Completion::kInline;
  HRESULT prepare_completion_hr = S_OK;

  HRESULT synchronize = S_OK;
  Completion sync_completion = Completion::kInline;
  HRESULT sync_completion_hr = S_OK;
  // Made during Synchronize, before its completion.
  std::vector<CallbackCall> calls;

  HRESULT show_error = S_OK;
  Completion show_error_completion = Completion::kInline;
  HRESULT show_error_completion_hr = S_OK;
  ULONG retry_count = 0;
  bool retry_null_ids = false;

  HRESULT set_item_status = S_OK;
};

// What the manager did to one handler object. Written by the handler (from
// whichever thread the manager calls it on); read after the session ended.
struct HandlerRecord {
  int initialize_calls = 0;
  // InitializeSequence() when Initialize last returned (0: never), and the
  // thread it ran on.
  std::uint64_t initialize_sequence = 0;
  std::thread::id initialize_thread;
  DWORD reserved = 0;
  DWORD flags = 0;
  DWORD cb_cookie = 0;
  bool cookie_null = true;
  const BYTE* cookie_pointer = nullptr;
  // The bytes received, when at most kRecordedCookieBytes.
  std::vector<BYTE> cookie;
  // Initialize got exactly the script's expected_cookie bytes.
  bool cookie_matches = false;
  int prepare_calls = 0;
  int synchronize_calls = 0;
  int show_error_calls = 0;
  // ShowError came for an ErrorID the handler never passed to LogError.
  bool show_error_unlogged = false;
  int set_item_status_calls = 0;
  // SetItemStatus came outside both of its windows (PrepareForSync's return
  // to PrepareForSyncCompleted, Synchronize's return to
  // SynchronizeCompleted), or with a status other than SKIPPED.
  bool set_item_status_outside_windows = false;
  bool set_item_status_not_skipped = false;
  // Synchronize came while a PrepareForSync completion was still to come.
  bool synchronize_before_prepare_completed = false;
  // Synchronize came although no PrepareForSyncCompleted(S_OK) was called
  // since the last PrepareForSync (or PrepareForSync was never called).
  bool synchronize_without_prepare_ok = false;
  // The number of item IDs the last PrepareForSync got, and the first
  // kRecordedPrepareIds of them.
  ULONG prepare_count = 0;
  std::vector<GUID> prepare_ids;
  bool callback_set = false;    // SetProgressCallback(non-NULL)
  bool callback_reset = false;  // SetProgressCallback(NULL) after it
  bool destroyed = false;
  bool destroyed_without_reset = false;  // given a callback, never reset
  // The manager's answers to completion calls, in order.
  std::vector<HRESULT> completion_answers;
  // The same answers, each with what it answered: an index into the
  // script's calls, or one of the k...CompletionCall values. Answers from
  // other threads are in the order they came.
  struct Answer {
    int call = 0;
    HRESULT hr = S_OK;
  };
  std::vector<Answer> answered;
};

// HandlerRecord::Answer::call of the completions the script's Completion
// kinds make (as opposed to the script's `calls`).
inline constexpr int kPrepareCompletionCall = -1;
inline constexpr int kSynchronizeCompletionCall = -2;
inline constexpr int kShowErrorCompletionCall = -3;

// PrepareForSync's item IDs kept in a record.
inline constexpr ULONG kRecordedPrepareIds = 64;

// Larger cookies are compared in Initialize but not copied into records:
// copying megabytes per input would dominate the fuzzers' speed.
inline constexpr DWORD kRecordedCookieBytes = 4096;

// Joins every thread handlers started (completions from other threads).
// Call before judging a session's end; fuzzers call it after each input.
void JoinHandlerThreads();

// Live handler and enumerator objects of this module, and handler objects
// created since the start (all classes).
long LiveHandlerObjects();

// How many times any handler's Initialize has returned so far: a fuzzer
// that reads it when a call returns learns, from a record's
// initialize_sequence, whether Initialize returned inside that call.
std::uint64_t InitializeSequence();

class HandlerClass {
 public:
  // Registers a class object for `clsid` with the host COM runtime
  // (CoRegisterClassObject). Registration with a Sync Manager is the
  // caller's business.
  explicit HandlerClass(const GUID& clsid);
  ~HandlerClass();
  HandlerClass(const HandlerClass&) = delete;
  HandlerClass& operator=(const HandlerClass&) = delete;

  const GUID& clsid() const { return clsid_; }

  // The script of the objects created from now on.
  void SetScript(const HandlerScript& script);
  // Records of the objects created since the last call, oldest first.
  std::vector<std::shared_ptr<HandlerRecord>> TakeRecords();
  int RecordCount();

 private:
  std::shared_ptr<const HandlerScript> CurrentScript();
  void AddRecord(std::shared_ptr<HandlerRecord> record);

  GUID clsid_;
  DWORD registration_ = 0;
  IClassFactory* factory_ = nullptr;  // its only reference
  std::mutex mu_;
  std::shared_ptr<const HandlerScript> script_;
  std::vector<std::shared_ptr<HandlerRecord>> records_;
};

// A SYNCMGRITEM with cbSize, ID, state and a short name.
SYNCMGRITEM MakeItem(const GUID& id, DWORD state);

// {F022C1D0-0000-0000-0000-0000000000NN}: item IDs and test CLSIDs.
GUID FuzzGuid(int n);

}  // namespace syncmgr::fuzz

#endif  // SYNCMGR_FUZZ_INTERNAL_SCRIPTED_HANDLER_H_
