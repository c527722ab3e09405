// handler_behaviour_fuzzer: the input scripts a hostile handler and the
// manager must survive it. One UpdateItems (or UpdateAll) call per input,
// synchronous mode, against a ScriptedHandler whose every answer comes from
// the input:
//
//   Initialize / GetHandlerInfo / EnumSyncMgrItems / Next return codes,
//   malformed SYNCMGRHANDLERINFO and SYNCMGRITEMs (cbSize, unterminated
//   names, flags, states, duplicate IDs), enumerators that claim too much or
//   never end, PrepareForSync / Synchronize / ShowError results and how their
//   completions come (inline, never, twice, from another thread, late), and
//   up to 8 callback calls during Synchronize (Progress, LogError, ...,
//   malformed structures, unknown items, from other threads).
//   The manager's options (Choice policy, skipped items, Progress answer,
//   ShowError retries) come from the input too, and so does one re-entrant
//   request (UpdateItems, UpdateAll or Unregister) the handler makes from
//   one of its methods.
//
// Invariants: no crash, no hang (a session that never completes must time
// out, HS-112); UpdateItems returns S_OK unless Initialize failed (E_FAIL,
// UI-111); exactly one session is reported and it ends with the handler's
// final Release, after SetProgressCallback(NULL) if a callback was given
// (HS-010); Synchronize never comes before PrepareForSyncCompleted (HS-015);
// the callback only answers documented codes; the rule-breaking the script
// makes is recorded (HS-105, HS-108, HS-112, EN-101, HS-107, HS-106); a
// re-entrant request is accepted and runs after the current session, never
// on its stack (UI-116); COM objects and task memory balance.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz/internal/check.h"
#include "fuzz/internal/environment.h"
#include "fuzz/internal/scripted_handler.h"
#include "reference/com/com.h"
#include "reference/com/object.h"
#include "reference/sync_manager.h"

namespace syncmgr::fuzz {
namespace {

using com::ComPtr;
using reference::Outcome;

const GUID kHandler = FuzzGuid(0x50);

struct Fixture {
  Fixture() : handler(kHandler) {
    reference::ResetForTesting();
    balance = TakeBalance();
  }
  HandlerClass handler;
  Balance balance;
};

Fixture& TheFixture() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

struct Reentry {
  enum Kind { kNone, kUpdateItems, kUpdateAll, kUnregister };
  Kind kind = kNone;
  HandlerScript::Method where = HandlerScript::Method::kInitialize;
  bool fired = false;
  HRESULT hr = S_OK;
  int extra_sessions = 0;
  int created_on_stack = 0;
};

const HRESULT kCompletionResults[] = {S_OK, S_OK, E_FAIL, S_FALSE,
                                      E_UNEXPECTED};

HRESULT AnyResult(FuzzedDataProvider& in, std::initializer_list<HRESULT> list) {
  // Mostly one of the listed codes, sometimes any 32-bit value.
  const size_t index = in.ConsumeIntegralInRange<size_t>(0, list.size());
  if (index == list.size())
    return static_cast<HRESULT>(in.ConsumeIntegral<std::uint32_t>());
  return *(list.begin() + index);
}

Completion AnyCompletion(FuzzedDataProvider& in) {
  return static_cast<Completion>(
      in.ConsumeIntegralInRange<int>(0, kCompletionKinds - 1));
}

bool IsCallbackAnswer(HRESULT hr) {
  return hr == S_OK || hr == S_FALSE || hr == E_INVALIDARG ||
         hr == E_UNEXPECTED || hr == S_SYNCMGR_CANCELITEM ||
         hr == S_SYNCMGR_CANCELALL;
}

bool IsDocumentedInitialize(HRESULT hr) {
  return hr == S_OK || hr == S_FALSE || hr == E_INVALIDARG ||
         hr == E_UNEXPECTED || hr == E_OUTOFMEMORY;
}

void FuzzOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& f = TheFixture();
  FuzzedDataProvider in(data, size);

  // ---- the manager's options ----
  reference::Options options = FuzzOptions();
  constexpr DWORD kFlags[] = {
      SYNCMGRINVOKE_STARTSYNC, 0, SYNCMGRINVOKE_MINIMIZED,
      SYNCMGRINVOKE_STARTSYNC | SYNCMGRINVOKE_MINIMIZED};
  const DWORD flags = in.PickValueInArray(kFlags);
  const bool update_all = in.ConsumeBool();
  options.show_errors = in.ConsumeBool();
  options.max_retries = in.ConsumeIntegralInRange<int>(0, 2);
  const HRESULT kProgressAnswers[] = {S_OK, S_SYNCMGR_CANCELITEM,
                                      S_SYNCMGR_CANCELALL};
  options.progress_answer = in.PickValueInArray(kProgressAnswers);
  options.may_bother_user = in.ConsumeBool();
  const int choice = in.ConsumeIntegralInRange<int>(0, 2);
  if (choice == 1) {
    options.choice = [](DWORD, const std::vector<SYNCMGRITEM>&) {
      reference::Choice c;
      c.cancel = true;
      return c;
    };
  } else if (choice == 2) {
    // Every item twice, plus one that was never enumerated.
    options.choice = [](DWORD, const std::vector<SYNCMGRITEM>& items) {
      reference::Choice c;
      for (const SYNCMGRITEM& item : items) {
        c.selected.push_back(item.ItemID);
        c.selected.push_back(item.ItemID);
      }
      c.selected.push_back(FuzzGuid(0xEE));
      return c;
    };
  }
  if (in.ConsumeBool()) options.skip_items = {FuzzGuid(0x60)};

  // ---- the handler's script ----
  HandlerScript script;
  script.initialize =
      AnyResult(in, {S_OK, S_OK, S_OK, S_FALSE, E_FAIL, E_OUTOFMEMORY});
  script.get_handler_info = AnyResult(in, {S_OK, E_FAIL, E_NOTIMPL});
  script.info =
      static_cast<HandlerScript::Info>(in.ConsumeIntegralInRange<int>(0, 4));
  script.enum_items =
      AnyResult(in, {S_OK, S_SYNCMGR_MISSINGITEMS, E_FAIL, S_FALSE});
  script.null_enumerator = in.ConsumeBool();
  script.next =
      static_cast<HandlerScript::Next>(in.ConsumeIntegralInRange<int>(0, 5));
  const int item_count = in.ConsumeIntegralInRange<int>(0, 20);
  for (int i = 0; i < item_count; ++i) {
    // One FuzzedDataProvider call per statement: the order of evaluation of
    // function arguments differs between compilers.
    const int id = in.ConsumeIntegralInRange<int>(0, 7);
    const DWORD state = in.ConsumeIntegralInRange<DWORD>(0, 2);
    SYNCMGRITEM item = MakeItem(FuzzGuid(0x60 + id), state);
    switch (in.ConsumeIntegralInRange<int>(0, 5)) {
      case 0:
        item.cbSize = 0;
        break;
      case 1:
        item.cbSize = in.ConsumeIntegral<std::uint32_t>();
        break;
      case 2:
        for (WCHAR& c : item.wszItemName) c = u'N';  // unterminated
        break;
      case 3:
        item.dwFlags = in.ConsumeIntegral<std::uint32_t>();
        break;
      default:
        break;
    }
    script.items.push_back(item);
  }
  script.set_progress_callback = AnyResult(in, {S_OK, S_OK, E_FAIL});
  script.prepare = AnyResult(in, {S_OK, S_OK, S_FALSE, E_FAIL});
  script.prepare_completion = AnyCompletion(in);
  script.prepare_completion_hr = in.PickValueInArray(kCompletionResults);
  script.synchronize = AnyResult(in, {S_OK, S_OK, E_FAIL, S_FALSE});
  script.sync_completion = AnyCompletion(in);
  script.sync_completion_hr = in.PickValueInArray(kCompletionResults);
  const int calls = in.ConsumeIntegralInRange<int>(0, 8);
  for (int i = 0; i < calls; ++i) {
    CallbackCall call;
    call.kind = static_cast<CallbackCall::Kind>(
        in.ConsumeIntegralInRange<int>(0, CallbackCall::kKinds - 1));
    call.from_thread = in.ConsumeBool();
    call.item = in.ConsumeIntegralInRange<int>(-1, item_count);
    call.null_struct = in.ConsumeBool();
    const DWORD kSizes[] = {sizeof(SYNCMGRPROGRESSITEM),
                            sizeof(SYNCMGRLOGERRORINFO), 0, 31, 0xFFFFFFFFu};
    call.cb_size = in.PickValueInArray(kSizes);
    if (call.kind == CallbackCall::kLogError && in.ConsumeBool()) {
      call.cb_size = sizeof(SYNCMGRLOGERRORINFO);
    }
    call.mask = in.ConsumeIntegralInRange<DWORD>(0, 0x1F);
    call.status = in.ConsumeIntegralInRange<DWORD>(0, 10);
    if (call.status == 10) call.status = SYNCMGRSTATUS_DELETED;
    call.value = in.ConsumeIntegral<std::int8_t>();
    call.max = in.ConsumeIntegral<std::int8_t>();
    call.level = in.ConsumeIntegralInRange<DWORD>(0, 4);
    call.null_text = in.ConsumeBool();
    call.reserved = in.ConsumeBool() ? 1 : 0;
    call.hr = in.PickValueInArray(kCompletionResults);
    if (in.ConsumeBool()) call.hr = S_SYNCMGR_RETRYSYNC;
    call.count = in.ConsumeIntegralInRange<ULONG>(0, 4);
    call.null_ids = in.ConsumeBool();
    script.calls.push_back(call);
  }
  script.show_error = AnyResult(in, {S_OK, E_FAIL});
  script.show_error_completion = AnyCompletion(in);
  const HRESULT kShowErrorResults[] = {S_OK, S_SYNCMGR_RETRYSYNC, E_FAIL};
  script.show_error_completion_hr = in.PickValueInArray(kShowErrorResults);
  script.retry_count = in.ConsumeIntegralInRange<ULONG>(0, 3);
  script.retry_null_ids = in.ConsumeBool();
  script.set_item_status = AnyResult(in, {S_OK, E_FAIL});
  // A re-entrant request from handler code (UI-116), at most once per input.
  const auto reentry = std::make_shared<Reentry>();
  reentry->kind = static_cast<Reentry::Kind>(in.ConsumeIntegralInRange<int>(
      0, static_cast<int>(Reentry::kUnregister)));
  reentry->where =
      static_cast<HandlerScript::Method>(in.ConsumeIntegralInRange<int>(0, 4));
  if (reentry->kind != Reentry::kNone) {
    script.on_method = [reentry, &f](HandlerScript::Method method) {
      if (reentry->fired || method != reentry->where) return;
      reentry->fired = true;
      const int before = f.handler.RecordCount();
      ComPtr<ISyncMgrSynchronizeInvoke> nested;
      ComPtr<ISyncMgrRegister> nested_reg;
      reference::CreateSyncManager(IID_ISyncMgrSynchronizeInvoke,
                                   nested.PutVoid());
      nested.As(&nested_reg);
      const BYTE cookie[3] = {'r', 'e', 'e'};
      switch (reentry->kind) {
        case Reentry::kUpdateItems:
          reentry->hr = nested->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kHandler,
                                            sizeof cookie, cookie);
          reentry->extra_sessions = 1;
          break;
        case Reentry::kUpdateAll:
          reentry->hr = nested->UpdateAll();
          reentry->extra_sessions = 1;
          break;
        case Reentry::kUnregister:
          reentry->hr = nested_reg->UnregisterSyncMgrHandler(kHandler, 0);
          break;
        case Reentry::kNone:
          break;
      }
      reentry->created_on_stack = f.handler.RecordCount() - before;
    };
  }
  const std::vector<std::uint8_t> cookie =
      in.ConsumeRemainingBytes<std::uint8_t>();

  // ---- one request ----
  reference::Configure(options);
  InstallSessionLog();
  f.handler.SetScript(script);
  ComPtr<ISyncMgrSynchronizeInvoke> invoke;
  ComPtr<ISyncMgrRegister> reg;
  FUZZ_CHECK(SUCCEEDED(reference::CreateSyncManager(
                 IID_ISyncMgrSynchronizeInvoke, invoke.PutVoid())) &&
                 SUCCEEDED(invoke.As(&reg)) &&
                 reg->RegisterSyncMgrHandler(kHandler, nullptr, 0) == S_OK,
             "cannot set up the reference");
  HRESULT hr;
  HRESULT expected;
  if (update_all) {
    hr = invoke->UpdateAll();
    expected = S_OK;  // UA-101
  } else {
    hr = invoke->UpdateItems(flags, kHandler, static_cast<DWORD>(cookie.size()),
                             cookie.empty() ? nullptr : cookie.data());
    expected = (script.initialize == S_OK || script.initialize == S_FALSE)
                   ? S_OK
                   : E_FAIL;  // UI-111, UI-112
  }
  FUZZ_CHECK(hr == expected, update_all ? "UpdateAll" : "UpdateItems",
             " returned ", Hr(hr), " with Initialize answering ",
             Hr(script.initialize), "; the spec requires ", Hr(expected));
  FUZZ_CHECK(reference::WaitForIdle(std::chrono::seconds(10)),
             "the session has not ended 10 s after the call (hang)");
  JoinHandlerThreads();

  // ---- the re-entrant request (UI-116) ----
  size_t expected_sessions = 1;
  if (reentry->fired) {
    FUZZ_CHECK(reentry->hr == S_OK, "a re-entrant request (kind ",
               static_cast<int>(reentry->kind), ") returned ", Hr(reentry->hr),
               " (UI-116)");
    FUZZ_CHECK(reentry->created_on_stack == 0, "a re-entrant request created ",
               reentry->created_on_stack,
               " handler(s) on the handler's own stack (UI-116)");
    expected_sessions += reentry->extra_sessions;
  }

  // ---- the sessions: the request's first, then any re-entrant one ----
  const std::vector<SessionSummary> sessions = TakeSessions();
  FUZZ_CHECK(sessions.size() == expected_sessions, sessions.size(),
             " sessions reported, expected ", expected_sessions, " (UI-118)");
  const SessionSummary& session = sessions[0];
  const auto records = f.handler.TakeRecords();
  FUZZ_CHECK(records.size() == expected_sessions, records.size(),
             " handler objects for ", expected_sessions, " session(s)");
  for (const auto& record : records) {
    FUZZ_CHECK(record->destroyed,
               "a handler was never released: ", DescribeSession(session));
    FUZZ_CHECK(!record->destroyed_without_reset,
               "a handler was released without SetProgressCallback(NULL) "
               "(HS-010): ",
               DescribeSession(session));
    FUZZ_CHECK(!record->synchronize_before_prepare_completed,
               "Synchronize was called before PrepareForSyncCompleted "
               "(HS-015)");
    for (HRESULT answer : record->completion_answers) {
      FUZZ_CHECK(IsCallbackAnswer(answer), "the callback answered ", Hr(answer),
                 ", which no rule allows (CB-015, CB-101, CB-102)");
    }
  }
  for (const SessionSummary& s : sessions) {
    FUZZ_CHECK(s.final_release == 0, "final Release returned ", s.final_release,
               ": ", DescribeSession(s));
  }
  const HandlerRecord& r = *records[0];
  // The rule-breaking the script did must be on record.
  if (!IsDocumentedInitialize(script.initialize)) {
    FUZZ_CHECK(HasViolation(session, "HS-105"), "Initialize returned ",
               Hr(script.initialize),
               " but no HS-105 was recorded: ", DescribeSession(session));
  }
  if (script.initialize != S_OK && script.initialize != S_FALSE) {
    FUZZ_CHECK(
        session.outcome == Outcome::kInitializeFailed && r.prepare_calls == 0,
        "Initialize failed: ", DescribeSession(session));
  }
  if (r.prepare_calls > 0 && script.prepare == S_OK &&
      script.prepare_completion == Completion::kNever) {
    FUZZ_CHECK(session.outcome == Outcome::kTimedOut &&
                   HasViolation(session, "HS-112") && r.synchronize_calls == 0,
               "PrepareForSync never completed: ", DescribeSession(session));
  }
  if (r.synchronize_calls > 0 && script.synchronize == S_OK &&
      script.sync_completion == Completion::kTwice) {
    FUZZ_CHECK(HasViolation(session, "HS-108"),
               "SynchronizeCompleted came twice, no HS-108: ",
               DescribeSession(session));
  }
  if (r.initialize_calls > 0 && script.initialize == S_OK &&
      script.get_handler_info == S_OK &&
      script.info != HandlerScript::Info::kGood) {
    FUZZ_CHECK(HasViolation(session, "HS-106"),
               "a malformed SYNCMGRHANDLERINFO was not recorded: ",
               DescribeSession(session));
  }
  if (script.initialize == S_OK && script.enum_items == S_OK &&
      !script.null_enumerator && script.next == HandlerScript::Next::kTooMany) {
    FUZZ_CHECK(
        HasViolation(session, "EN-101") &&
            session.outcome == Outcome::kHandlerFailed,
        "Next claimed more items than asked: ", DescribeSession(session));
  }
  invoke.Reset();
  reg.Reset();
  reference::ResetForTesting();
  CheckBalanced(f.balance, "after the hostile handler's session");
}

}  // namespace
}  // namespace syncmgr::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  syncmgr::fuzz::FuzzOneInput(data, size);
  return 0;
}
