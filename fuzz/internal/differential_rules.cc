#include "fuzz/internal/differential_rules.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <sstream>

#include "fuzz/internal/verdict.h"
#include "reference/mobsync/guid.h"
#include "reference/mobsync/hresult.h"

namespace syncmgr::fuzz {
namespace {

bool GuidLess(const GUID& a, const GUID& b) {
  return std::memcmp(&a, &b, sizeof(GUID)) < 0;
}

bool SameGuid(const GUID& a, const GUID& b) {
  return std::memcmp(&a, &b, sizeof(GUID)) == 0;
}

auto Tie(const HandlerFacts& f) {
  return std::tie(f.clsid, f.initialize_calls, f.initialized_in_call,
                  f.reserved, f.event_code, f.other_flags, f.cb_cookie,
                  f.cookie_null, f.cookie_matches, f.caller_buffer, f.destroyed,
                  f.released_without_reset, f.synchronize_early,
                  f.prepare_calls, f.prepare_count, f.synchronize_calls,
                  f.show_error_calls, f.show_error_unlogged,
                  f.set_item_status_calls, f.set_item_status_outside_windows,
                  f.set_item_status_not_skipped);
}

bool SameIds(const std::vector<GUID>& a, const std::vector<GUID>& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), SameGuid);
}

bool SameAnswers(const std::vector<HandlerRecord::Answer>& a,
                 const std::vector<HandlerRecord::Answer>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](const HandlerRecord::Answer& x,
                                               const HandlerRecord::Answer& y) {
                                              return x.call == y.call &&
                                                     x.hr == y.hr;
                                            });
}

// SYNCMGRSTATUS values (mobsync.h).
bool KnownStatus(DWORD status) {
  return status <= SYNCMGRSTATUS_UPDATING_INDETERMINATE ||
         status == SYNCMGRSTATUS_DELETED;
}

bool IsCompletion(CallbackCall::Kind kind) {
  return kind == CallbackCall::kShowPropertiesCompleted ||
         kind == CallbackCall::kShowErrorCompleted ||
         kind == CallbackCall::kPrepareForSyncCompleted ||
         kind == CallbackCall::kSynchronizeCompleted;
}

std::string CallName(int call, const HandlerScript& script) {
  switch (call) {
    case kPrepareCompletionCall:
      return "PrepareForSyncCompleted";
    case kSynchronizeCompletionCall:
      return "SynchronizeCompleted";
    case kShowErrorCompletionCall:
      return "ShowErrorCompleted";
    default:
      break;
  }
  static const char* const kNames[] = {"Progress",
                                       "LogError",
                                       "DeleteLogError",
                                       "EstablishConnection",
                                       "EnableModeless",
                                       "ShowPropertiesCompleted",
                                       "ShowErrorCompleted",
                                       "PrepareForSyncCompleted",
                                       "SynchronizeCompleted"};
  std::string name = "call #" + std::to_string(call);
  if (call >= 0 && static_cast<size_t>(call) < script.calls.size()) {
    name += " (" + std::string(kNames[script.calls[call].kind]) + ")";
  }
  return name;
}

// The first answer to `call`, if any.
const HandlerRecord::Answer* FirstAnswer(const HandlerFacts& facts, int call) {
  for (const HandlerRecord::Answer& a : facts.answers) {
    if (a.call == call) return &a;
  }
  return nullptr;
}

bool HasCompletionCalls(const HandlerScript& script) {
  for (const CallbackCall& call : script.calls) {
    if (IsCompletion(call.kind)) return true;
  }
  return false;
}

bool ContainsItem(const HandlerScript& script, const GUID& id) {
  for (const SYNCMGRITEM& item : script.items) {
    if (SameGuid(item.ItemID, id)) return true;
  }
  return false;
}

// The item IDs a session must pass to PrepareForSync when it has no Choice
// step: all items for UpdateAll (UA-001), the CHECKED ones with STARTSYNC
// (UI-004, ST-001). Sorted.
std::vector<GUID> ItemsWithoutChoice(const HandlerScript& script,
                                     bool update_all) {
  std::vector<GUID> ids;
  for (const SYNCMGRITEM& item : script.items) {
    if (update_all || item.dwItemState == SYNCMGRITEMSTATE_CHECKED) {
      ids.push_back(item.ItemID);
    }
  }
  std::sort(ids.begin(), ids.end(), GuidLess);
  return ids;
}

std::string Ids(const std::vector<GUID>& ids) {
  std::string text = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    text += (i > 0 ? ", " : "") + FormatGuid(ids[i]);
  }
  return text + "]";
}

// Progress' rules: the reference's checks in its order (CB-102, CB-107,
// CB-105), and CB-009 (ST-004 with an empty mask) for a call that passes all
// of them. `maxima` holds,
// per item, the smallest maximum any earlier call tried to set: a value
// within it is within whatever maximum the manager kept.
void ProgressRule(const CallbackCall& call, bool known_item,
                  std::map<int, INT>* maxima, CallRule* rule) {
  const UINT mask = call.mask;
  if (call.null_struct || call.cb_size != sizeof(SYNCMGRPROGRESSITEM) ||
      (mask & ~0xFu) != 0) {
    rule->ours = "CB-102";
  } else if (!known_item) {
    rule->ours = "CB-107";
  } else if ((mask & SYNCMGRPROGRESSITEM_STATUSTYPE) &&
             !KnownStatus(call.status)) {
    rule->ours = "CB-102";
  } else if ((mask & SYNCMGRPROGRESSITEM_MAXVALUE) && call.max < 0) {
    rule->ours = "CB-105";
  } else if (mask & SYNCMGRPROGRESSITEM_PROGVALUE) {
    INT limit = INT_MAX;
    if (auto it = maxima->find(call.item); it != maxima->end()) {
      limit = it->second;
    }
    if (mask & SYNCMGRPROGRESSITEM_MAXVALUE) limit = std::min(limit, call.max);
    if (call.value < 0 || call.value > limit) rule->ours = "CB-105";
  }
  if (!call.null_struct && (mask & SYNCMGRPROGRESSITEM_MAXVALUE)) {
    auto [it, added] = maxima->emplace(call.item, call.max);
    if (!added) it->second = std::min(it->second, call.max);
  }
  const bool text_ok =
      !(mask & SYNCMGRPROGRESSITEM_STATUSTEXT) || !call.null_text;
  if (rule->ours == nullptr && text_ok) {
    // With an empty mask no field is valid (ST-004): still a Progress call.
    rule->documented = mask == 0 ? "ST-004" : "CB-009";
    rule->allowed = {S_OK, S_SYNCMGR_CANCELITEM, S_SYNCMGR_CANCELALL};
  }
}

// LogError's rules: the reference's checks in its order (CB-102, CB-107),
// and CB-011 for a call that passes them.
void LogErrorRule(const CallbackCall& call, bool known_item, CallRule* rule) {
  if (call.level < SYNCMGRLOGLEVEL_INFORMATION ||
      call.level > SYNCMGRLOGLEVEL_LOGLEVELMAX || call.null_text) {
    rule->ours = "CB-102";
  } else if (!call.null_struct &&
             (call.cb_size != sizeof(SYNCMGRLOGERRORINFO) ||
              (call.mask & ~0x7u) != 0)) {
    rule->ours = "CB-102";
  } else if (!call.null_struct && (call.mask & SYNCMGRLOGERROR_ITEMID) &&
             !known_item) {
    rule->ours = "CB-107";
  } else {
    rule->documented = "CB-011";
    rule->allowed = {S_OK};
  }
}

}  // namespace

std::vector<CallRule> RulesForCalls(const HandlerScript& script) {
  std::vector<CallRule> rules(script.calls.size());
  bool after_completion = false;
  std::map<int, INT> maxima;
  for (size_t i = 0; i < script.calls.size(); ++i) {
    const CallbackCall& call = script.calls[i];
    CallRule& rule = rules[i];
    if (call.from_thread) {
      rule.compared = false;
      continue;
    }
    const bool known_item =
        call.item >= 0 && static_cast<size_t>(call.item) < script.items.size();
    switch (call.kind) {
      case CallbackCall::kProgress:
        ProgressRule(call, known_item, &maxima, &rule);
        break;
      case CallbackCall::kLogError:
        LogErrorRule(call, known_item, &rule);
        break;
      case CallbackCall::kDeleteLogError:
        if (call.reserved != 0) {
          rule.ours = "CB-102";
        } else if (call.item < 0) {  // GUID_NULL: every error
          rule.documented = "CB-013";
          rule.allowed = {S_OK};
        }
        break;
      case CallbackCall::kEstablishConnection:
        if (call.reserved != 0) {
          rule.ours = "CB-102";
        } else if (call.null_text) {  // the default connection
          rule.documented = "CB-014";
          rule.allowed = {S_OK};
        } else {
          rule.ours = "CB-108";
        }
        break;
      case CallbackCall::kEnableModeless:
        rule.ours = "CB-106";
        if (call.level != 0) {
          rule.documented = "CB-008";
          rule.allowed = {S_OK, S_FALSE};
        }
        break;
      case CallbackCall::kShowErrorCompleted:
        rule.ours =
            call.hr == S_SYNCMGR_RETRYSYNC && call.count > 0 && call.null_ids
                ? "CB-103"
                : "CB-101";
        break;
      case CallbackCall::kShowPropertiesCompleted:
      case CallbackCall::kPrepareForSyncCompleted:
      case CallbackCall::kSynchronizeCompleted:
        rule.ours = "CB-101";
        break;
    }
    if (after_completion) {
      // Another implementation may end the session as soon as a
      // completion comes (HS-111 for what comes later).
      rule.documented = nullptr;
      rule.allowed.clear();
      if (rule.ours == nullptr) rule.ours = "HS-111";
    }
    if (IsCompletion(call.kind)) after_completion = true;
  }
  return rules;
}

bool HandlerFacts::operator<(const HandlerFacts& other) const {
  if (Tie(*this) != Tie(other)) return Tie(*this) < Tie(other);
  if (!SameIds(prepare_ids, other.prepare_ids)) {
    return std::lexicographical_compare(prepare_ids.begin(), prepare_ids.end(),
                                        other.prepare_ids.begin(),
                                        other.prepare_ids.end(), GuidLess);
  }
  return std::lexicographical_compare(
      answers.begin(), answers.end(), other.answers.begin(),
      other.answers.end(),
      [](const HandlerRecord::Answer& x, const HandlerRecord::Answer& y) {
        return std::tie(x.call, x.hr) < std::tie(y.call, y.hr);
      });
}

bool HandlerFacts::operator==(const HandlerFacts& other) const {
  return Tie(*this) == Tie(other) && SameIds(prepare_ids, other.prepare_ids) &&
         SameAnswers(answers, other.answers);
}

HandlerFacts MakeFacts(int clsid, const HandlerRecord& record,
                       const std::vector<CallRule>& rules,
                       const BYTE* caller_buffer, const CallSpan* span) {
  HandlerFacts f;
  f.clsid = clsid;
  f.initialize_calls = record.initialize_calls;
  f.initialized_in_call = span != nullptr &&
                          record.initialize_sequence > span->before &&
                          record.initialize_sequence <= span->after &&
                          record.initialize_thread == span->thread;
  f.reserved = record.reserved;
  f.event_code = record.flags & SYNCMGRFLAG_EVENTMASK;
  f.other_flags = record.flags & ~DWORD{SYNCMGRFLAG_EVENTMASK};
  f.cb_cookie = record.cb_cookie;
  f.cookie_null = record.cookie_null;
  f.cookie_matches = record.cookie_matches;
  f.caller_buffer =
      caller_buffer != nullptr && record.cookie_pointer == caller_buffer;
  f.destroyed = record.destroyed;
  f.released_without_reset = record.destroyed_without_reset;
  f.synchronize_early =
      record.synchronize_before_prepare_completed ||
      (record.synchronize_calls > 0 && record.synchronize_without_prepare_ok);
  f.prepare_calls = record.prepare_calls;
  f.prepare_count = record.prepare_count;
  f.prepare_ids = record.prepare_ids;
  std::sort(f.prepare_ids.begin(), f.prepare_ids.end(), GuidLess);
  f.synchronize_calls = record.synchronize_calls;
  f.show_error_calls = record.show_error_calls;
  f.show_error_unlogged = record.show_error_unlogged;
  f.set_item_status_calls = record.set_item_status_calls;
  f.set_item_status_outside_windows = record.set_item_status_outside_windows;
  f.set_item_status_not_skipped = record.set_item_status_not_skipped;
  for (const HandlerRecord::Answer& a : record.answered) {
    if (a.call >= 0 && (static_cast<size_t>(a.call) >= rules.size() ||
                        !rules[a.call].compared)) {
      continue;
    }
    f.answers.push_back(a);
  }
  // A completion from another thread is recorded when its call returns,
  // which may be after the manager went on to answer later calls.
  std::stable_sort(
      f.answers.begin(), f.answers.end(),
      [](const HandlerRecord::Answer& x, const HandlerRecord::Answer& y) {
        return x.call < y.call;
      });
  return f;
}

std::string Describe(const HandlerFacts& f) {
  std::ostringstream out;
  out << "handler #" << f.clsid << ": Initialize x" << f.initialize_calls
      << (f.initialized_in_call ? " (inside the call)" : "") << " reserved "
      << f.reserved << " event 0x" << std::hex << f.event_code << " flags 0x"
      << f.other_flags << std::dec << ", cookie " << f.cb_cookie << " bytes"
      << (f.cookie_null ? " NULL" : "")
      << (f.cookie_matches ? " matching" : " NOT matching")
      << (f.caller_buffer ? " (the caller's own buffer)" : "")
      << (f.destroyed ? ", released" : ", NEVER released")
      << (f.released_without_reset ? " without SetProgressCallback(NULL)" : "")
      << ", PrepareForSync x" << f.prepare_calls << " (" << f.prepare_count
      << " items " << Ids(f.prepare_ids) << "), Synchronize x"
      << f.synchronize_calls
      << (f.synchronize_early ? " (before PrepareForSyncCompleted(S_OK))" : "")
      << ", ShowError x" << f.show_error_calls
      << (f.show_error_unlogged ? " (an ErrorID never logged)" : "")
      << ", SetItemStatus x" << f.set_item_status_calls
      << (f.set_item_status_outside_windows ? " (outside its windows)" : "")
      << (f.set_item_status_not_skipped ? " (not SKIPPED)" : "")
      << ", answers:";
  for (const HandlerRecord::Answer& a : f.answers) {
    out << " " << a.call << "=" << HresultName(a.hr);
  }
  return out.str();
}

std::optional<Violation> JudgeHandler(const HandlerFacts& f,
                                      const HandlerScript& script,
                                      const std::vector<CallRule>& rules,
                                      const SessionRequest& request) {
  auto violation = [](const char* requirement, std::string message) {
    return std::optional<Violation>(Violation{requirement, std::move(message)});
  };
  if (!f.destroyed) {
    return violation("COM-003",
                     "the handler object was never released (every object "
                     "is released in the end)");
  }
  if (f.initialize_calls > 1) {
    return violation("HS-003", "Initialize was called " +
                                   std::to_string(f.initialize_calls) +
                                   " times on one handler object");
  }
  if (f.initialize_calls > 0 && f.reserved != 0) {
    return violation("HS-002", "Initialize got dwReserved " +
                                   std::to_string(f.reserved) + ", not 0");
  }
  if (request.update_all) {
    if (f.initialize_calls > 0 && !f.cookie_null) {
      return violation("UI-010",
                       "a session started by UpdateAll got a non-NULL "
                       "lpCookie");
    }
  } else if (request.named_class && f.initialize_calls > 0) {
    const bool caller_has_bytes =
        request.cookie != nullptr && request.cb_cookie > 0;
    if (!f.cookie_null && f.cb_cookie > 0) {
      if (caller_has_bytes && f.cb_cookie != request.cb_cookie) {
        return violation("UI-006",
                         "Initialize got a " + std::to_string(f.cb_cookie) +
                             "-byte cookie, the caller passed " +
                             std::to_string(request.cb_cookie) + " bytes");
      }
      if (!caller_has_bytes || !f.cookie_matches) {
        return violation(
            "UI-008", "Initialize got a " + std::to_string(f.cb_cookie) +
                          "-byte cookie that is not the caller's " +
                          std::to_string(request.cb_cookie) + " bytes" +
                          (request.cookie == nullptr ? " (pCookie NULL)" : ""));
      }
      if (f.event_code != SYNCMGRFLAG_INVOKE) {
        std::ostringstream message;
        message << "Initialize got a cookie with event code 0x" << std::hex
                << f.event_code << ", not SYNCMGRFLAG_INVOKE (0x5)";
        return violation("UI-009", message.str());
      }
    } else if (f.cookie_null) {
      if (caller_has_bytes) {
        return violation("UI-007",
                         "Initialize got no cookie (NULL) although "
                         "the caller passed " +
                             std::to_string(request.cb_cookie) + " bytes");
      }
      if (f.cb_cookie != 0 && f.cb_cookie != request.cb_cookie) {
        return violation("UI-006", "Initialize got lpCookie NULL with size " +
                                       std::to_string(f.cb_cookie) +
                                       ", the caller passed " +
                                       std::to_string(request.cb_cookie));
      }
    }
  }
  if (script.initialize == S_FALSE &&
      (f.prepare_calls > 0 || f.synchronize_calls > 0)) {
    return violation("HS-001",
                     "the handler declined in Initialize (S_FALSE), yet got "
                     "PrepareForSync x" +
                         std::to_string(f.prepare_calls) + ", Synchronize x" +
                         std::to_string(f.synchronize_calls));
  }
  if (f.released_without_reset) {
    return violation("HS-010",
                     "the handler was released without "
                     "SetProgressCallback(NULL) after it got a callback");
  }
  if (f.synchronize_calls > 0 &&
      (script.items.empty() || f.prepare_count == 0)) {
    return violation("HS-014",
                     "Synchronize was called although no item was selected "
                     "(" +
                         std::to_string(script.items.size()) +
                         " items enumerated, PrepareForSync got " +
                         std::to_string(f.prepare_count) + ")");
  }
  if (f.synchronize_early) {
    return violation("HS-015",
                     "Synchronize was called before "
                     "PrepareForSyncCompleted(S_OK)");
  }
  for (const GUID& id : f.prepare_ids) {
    if (!ContainsItem(script, id)) {
      return violation("HS-011", "PrepareForSync got item " + FormatGuid(id) +
                                     ", which the handler never enumerated");
    }
  }
  if (f.set_item_status_outside_windows) {
    return violation("HS-019",
                     "SetItemStatus was called outside both of its windows "
                     "(PrepareForSync's return to PrepareForSyncCompleted, "
                     "Synchronize's return to SynchronizeCompleted)");
  }
  if (f.set_item_status_not_skipped) {
    return violation("HS-020",
                     "SetItemStatus was called with a status other than "
                     "SYNCMGRSTATUS_SKIPPED");
  }
  if (f.show_error_unlogged) {
    return violation("HS-022",
                     "ShowError was called with an ErrorID the handler never "
                     "passed to LogError");
  }
  if (f.synchronize_calls > 1 + f.show_error_calls) {
    return violation("HS-024", "Synchronize was called " +
                                   std::to_string(f.synchronize_calls) +
                                   " times with " +
                                   std::to_string(f.show_error_calls) +
                                   " ShowError retries");
  }
  // The completions the handler's script makes are the ones the manager
  // waits for: it accepts them whenever they come (HS-012, HS-016).
  if (const auto* a = FirstAnswer(f, kPrepareCompletionCall);
      a != nullptr && a->hr != S_OK) {
    return violation("HS-012", "PrepareForSyncCompleted was answered " +
                                   DescribeHresult(a->hr) + ", not S_OK");
  }
  if (const auto* a = FirstAnswer(f, kSynchronizeCompletionCall);
      a != nullptr && a->hr != S_OK && !HasCompletionCalls(script)) {
    return violation("HS-016", "SynchronizeCompleted was answered " +
                                   DescribeHresult(a->hr) + ", not S_OK");
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    const CallRule& rule = rules[i];
    if (rule.documented == nullptr) continue;
    const auto* a = FirstAnswer(f, static_cast<int>(i));
    if (a == nullptr) continue;
    if (std::find(rule.allowed.begin(), rule.allowed.end(), a->hr) ==
        rule.allowed.end()) {
      std::string allowed;
      for (HRESULT hr : rule.allowed) {
        allowed += (allowed.empty() ? "" : ", ") + std::string(HresultName(hr));
      }
      return violation(rule.documented, CallName(static_cast<int>(i), script) +
                                            " (well-formed) was answered " +
                                            DescribeHresult(a->hr) +
                                            ", not one of " + allowed);
    }
  }
  if (const auto* a = FirstAnswer(f, kPrepareCompletionCall);
      a != nullptr && a->hr == S_OK && script.prepare == S_OK &&
      script.prepare_completion_hr == S_OK && f.synchronize_calls == 0) {
    return violation("CB-001",
                     "PrepareForSyncCompleted(S_OK) was accepted, but "
                     "Synchronize never followed");
  }
  // No Choice step: UpdateAll (all items) and UpdateItems with STARTSYNC
  // (the CHECKED items) synchronize at once.
  const bool without_choice =
      request.update_all ||
      (request.named_class &&
       (request.invoke_flags & SYNCMGRINVOKE_STARTSYNC) != 0);
  if (without_choice && f.initialize_calls > 0 && script.initialize == S_OK) {
    const std::vector<GUID> expected =
        ItemsWithoutChoice(script, request.update_all);
    const char* requirement = request.update_all ? "UA-001" : "UI-004";
    if (!expected.empty() && f.prepare_calls == 0) {
      return violation(
          requirement,
          std::string(request.update_all ? "UpdateAll"
                                         : "UpdateItems with STARTSYNC") +
              ": the handler accepted Initialize and has items "
              "to synchronize, but PrepareForSync never came");
    }
    if (f.prepare_calls > 0 && !SameIds(f.prepare_ids, expected)) {
      return violation(request.update_all ? "UA-001" : "ST-001",
                       "PrepareForSync got " + Ids(f.prepare_ids) +
                           ", expected " + Ids(expected) +
                           (request.update_all ? " (all items, checked or not)"
                                               : " (the CHECKED items)"));
    }
  }
  return std::nullopt;
}

std::vector<const char*> ClassifyHandlerDifferences(
    const HandlerFacts& r, const HandlerFacts& p, const HandlerScript& script,
    const std::vector<CallRule>& rules, const SessionRequest& request) {
  std::vector<const char*> ids;
  auto add = [&](const char* id) {
    for (const char* seen : ids) {
      if (std::strcmp(seen, id) == 0) return;
    }
    ids.push_back(id);
  };
  if (r.initialize_calls != p.initialize_calls) add("HS-101");
  if (r.initialized_in_call != p.initialized_in_call) add("UI-101");
  if (r.reserved != p.reserved) add("HS-002");
  if (r.event_code != p.event_code || r.other_flags != p.other_flags) {
    add(request.update_all ? "UA-101" : "UI-114");
  }
  if (r.caller_buffer != p.caller_buffer) add("UI-108");
  if (r.cb_cookie != p.cb_cookie || r.cookie_null != p.cookie_null ||
      r.cookie_matches != p.cookie_matches) {
    if (request.update_all) {
      add("UA-101");
    } else if (request.cb_cookie == 0) {
      add(request.cookie == nullptr ? "UI-102" : "UI-104");
    } else {
      add(request.cookie == nullptr ? "UI-103" : "UI-108");
    }
  }
  if (r.destroyed != p.destroyed) add("COM-003");
  if (r.released_without_reset != p.released_without_reset) add("HS-010");
  if (r.synchronize_early != p.synchronize_early) add("HS-015");
  if (r.prepare_calls != p.prepare_calls ||
      r.prepare_count != p.prepare_count ||
      !SameIds(r.prepare_ids, p.prepare_ids) ||
      r.synchronize_calls != p.synchronize_calls) {
    if (script.initialize != S_OK) {
      add(script.initialize == S_FALSE ? "UI-112" : "UI-111");
    } else if (script.items.empty()) {
      add("HS-115");
    } else if (!request.update_all &&
               (request.invoke_flags & SYNCMGRINVOKE_STARTSYNC) == 0) {
      add("UI-106");
    } else if (script.prepare != S_OK || script.prepare_completion_hr != S_OK) {
      add("HS-102");
    } else {
      add("UI-117");
    }
  }
  if (r.set_item_status_outside_windows != p.set_item_status_outside_windows ||
      r.set_item_status_not_skipped != p.set_item_status_not_skipped) {
    add("HS-104");
  }
  if (r.show_error_calls != p.show_error_calls ||
      r.show_error_unlogged != p.show_error_unlogged ||
      r.set_item_status_calls != p.set_item_status_calls) {
    add("HS-101");
  }
  // Answers, call by call (both lists are sorted by call).
  size_t i = 0, j = 0;
  while (i < r.answers.size() || j < p.answers.size()) {
    int call = INT_MAX;
    if (i < r.answers.size()) call = r.answers[i].call;
    if (j < p.answers.size()) call = std::min(call, p.answers[j].call);
    std::vector<HRESULT> x, y;
    for (; i < r.answers.size() && r.answers[i].call == call; ++i) {
      x.push_back(r.answers[i].hr);
    }
    for (; j < p.answers.size() && p.answers[j].call == call; ++j) {
      y.push_back(p.answers[j].hr);
    }
    if (x == y) continue;
    if (call < 0) {
      add("CB-101");
    } else {
      add(rules[call].ours != nullptr ? rules[call].ours : kNoRule);
    }
  }
  if (ids.empty() && !(r == p)) add(kNoRule);
  return ids;
}

}  // namespace syncmgr::fuzz
