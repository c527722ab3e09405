// File: fuzz/internal/differential_rules.h
//
// What reference/SPEC.md says about what a Sync Manager did to one scripted
// handler object (fuzz/internal/scripted_handler.h), for the differential
// fuzzer: JudgeHandler checks the documented contract (MUST/SHOULD rows)
// alone, which the reference's behaviour is one way of keeping; and
// ClassifyHandlerDifferences names the requirement of the reference profile
// (OURS rows) behind each difference between the reference and another
// implementation.
//
// Example:
//   const std::vector<CallRule> rules = RulesForCalls(script);
//   const HandlerFacts facts = MakeFacts(0, *record, rules, caller_buffer);
//   if (auto violation = JudgeHandler(facts, script, rules, request)) {
//     ... violation->requirement, violation->message ...
//   }
#ifndef SYNCMGR_FUZZ_INTERNAL_DIFFERENTIAL_RULES_H_
#define SYNCMGR_FUZZ_INTERNAL_DIFFERENTIAL_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "fuzz/internal/scripted_handler.h"
#include "reference/mobsync/mobsync.h"

namespace syncmgr::fuzz {

// What fixes the manager's answer to one of a script's calls.
struct CallRule {
  // The documented requirement that fixes the answer, and the answers it
  // allows; nullptr when the documented contract leaves it open (malformed
  // arguments, or a call after a completion, when the session may be over).
  const char* documented = nullptr;
  std::vector<HRESULT> allowed;
  // The OURS requirement that fixes the reference's answer; nullptr when
  // none does.
  const char* ours = nullptr;
  // False for calls from other threads: they race the session's end, so
  // their answers are neither judged nor compared.
  bool compared = true;
};

// One rule per entry of script.calls. The fuzzers' scripts make calls
// from other threads only of kinds whose answers no other call depends on.
std::vector<CallRule> RulesForCalls(const HandlerScript& script);

// One handler object, in the form compared across implementations.
struct HandlerFacts {
  int clsid = 0;  // index of the handler class
  int initialize_calls = 0;
  // Initialize returned on the caller's thread inside the UpdateItems call,
  // so the manager knew its result when it returned (UI-012).
  bool initialized_in_call = false;
  DWORD reserved = 0;
  DWORD event_code = 0;
  DWORD other_flags = 0;
  DWORD cb_cookie = 0;
  bool cookie_null = false;
  bool cookie_matches = false;
  bool caller_buffer = false;  // Initialize got the caller's own buffer
  bool destroyed = false;
  bool released_without_reset = false;
  bool synchronize_early = false;  // before PrepareForSyncCompleted(S_OK)
  int prepare_calls = 0;
  ULONG prepare_count = 0;
  std::vector<GUID> prepare_ids;  // sorted
  int synchronize_calls = 0;
  int show_error_calls = 0;
  bool show_error_unlogged = false;
  int set_item_status_calls = 0;
  bool set_item_status_outside_windows = false;
  bool set_item_status_not_skipped = false;
  // Answers to completions and to the compared calls, by call (those to
  // one call in order).
  std::vector<HandlerRecord::Answer> answers;

  bool operator<(const HandlerFacts& other) const;
  bool operator==(const HandlerFacts& other) const;
};

// An UpdateItems call: InitializeSequence() before and after it, and the
// calling thread.
struct CallSpan {
  std::uint64_t before = 0;
  std::uint64_t after = 0;
  std::thread::id thread;
};

// `span`: the UpdateItems call the object may come from; nullptr for other
// operations.
HandlerFacts MakeFacts(int clsid, const HandlerRecord& record,
                       const std::vector<CallRule>& rules,
                       const BYTE* caller_buffer, const CallSpan* span);
// One line, "handler #0: Initialize x1 event 0x5 ...".
std::string Describe(const HandlerFacts& facts);

// The request a handler object's session came from.
struct SessionRequest {
  bool update_all = false;
  DWORD invoke_flags = 0;  // UpdateItems' dwInvokeFlags
  // The object is of the class UpdateItems named (not a late object of an
  // earlier request), so its cookie is this call's.
  bool named_class = true;
  DWORD cb_cookie = 0;
  const BYTE* cookie = nullptr;  // the caller's pCookie
};

struct Violation {
  const char* requirement;
  std::string message;
};

// The first documented rule the manager broke with this handler object,
// if any. The object's session is over (or the settle time passed).
std::optional<Violation> JudgeHandler(const HandlerFacts& facts,
                                      const HandlerScript& script,
                                      const std::vector<CallRule>& rules,
                                      const SessionRequest& request);

// The OURS requirements behind the differences between the reference's and
// the plug-in's view of corresponding handler objects, most telling first
// (kNoRule for a difference none of them fixes); empty when they agree.
std::vector<const char*> ClassifyHandlerDifferences(
    const HandlerFacts& reference, const HandlerFacts& plugin,
    const HandlerScript& script, const std::vector<CallRule>& rules,
    const SessionRequest& request);

}  // namespace syncmgr::fuzz

#endif  // SYNCMGR_FUZZ_INTERNAL_DIFFERENTIAL_RULES_H_
