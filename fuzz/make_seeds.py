#!/usr/bin/env python3
"""Writes the hand-made seeds of corpus/<target>/ (run from the checkout root).

    python3 fuzz/make_seeds.py [TARGET...]

Each seed is described field by field, in the order the target's
LLVMFuzzerTestOneInput consumes them, and encoded the way libFuzzer's
FuzzedDataProvider decodes: numbers are taken from the end of the input
(most significant byte first), byte strings from the front. A seed's file
name says what it reaches. After editing a target's input layout, update its
section here, regenerate, and check with the replay test and
tools/coverage.sh that the seeds still reach what their names say. Files
the script did not write (inputs merged in by fuzz/campaign) are kept.
"""

import os
import struct
import sys


class Input:
    """Builds one FuzzedDataProvider input."""

    def __init__(self):
        self.front = bytearray()  # ConsumeBytes, in order
        self.tail = bytearray()   # integral bytes, in consumption order

    def integral(self, lo, hi, value, size=4):
        """ConsumeIntegralInRange<T>(lo, hi) == value; size = sizeof(T)."""
        assert lo <= value <= hi, (lo, value, hi)
        span = hi - lo
        offset = value - lo
        count = 0
        while count < size and (span >> (8 * count)) > 0:
            count += 1
        for i in reversed(range(count)):
            self.tail.append((offset >> (8 * i)) & 0xFF)
        return self

    def u8(self, value):
        return self.integral(0, 0xFF, value, 1)

    def u32(self, value):
        return self.integral(0, 0xFFFFFFFF, value, 4)

    def boolean(self, value):
        return self.u8(1 if value else 0)

    def pick(self, count, index):
        """PickValueInArray of an array of `count` values."""
        return self.integral(0, count - 1, index, 8)

    def raw(self, data):
        self.front += bytes(data)
        return self

    def encode(self):
        return bytes(self.front) + bytes(reversed(self.tail))


def guid(data1, data2, data3, data4):
    return struct.pack("<IHH", data1, data2, data3) + bytes(data4)


CLSID_SYNCMGR = guid(0x6295DF27, 0x35EE, 0x11D1,
                     [0x87, 0x07, 0x00, 0xC0, 0x4F, 0xD9, 0x33, 0x27])


def fuzz_guid(n):
    return guid(0xF022C1D0, 0, 0, [0, 0, 0, 0, 0, 0, (n >> 8) & 0xFF, n & 0xFF])


# ---- update_items_fuzzer ------------------------------------------------

FLAGS = [0, 2, 4, 6]  # kDocumentedFlags
(REGISTERED, NOT_CREATABLE, UNREGISTERED, CLSID_NULL, NULL_POINTER,
 RANDOM) = range(6)
CAPS = [4096, 0, 16, 1 << 20]
INIT = ["S_OK", "S_OK", "S_FALSE", "E_FAIL", "E_OUTOFMEMORY", "E_INVALIDARG",
        "E_UNEXPECTED", "E_NOTIMPL", "S_SYNCMGR_MISSINGITEMS"]


def update_items(flags=2, documented=True, clsid=REGISTERED, clsid_bytes=b"",
                 cap=0, size_kind=0, cb=3, edge=0, null_cookie=False,
                 init="S_OK", fail_alloc=False, items=2, states=0xFF,
                 cookie=b"abc"):
    s = Input()
    s.boolean(documented)
    if documented:
        s.pick(4, FLAGS.index(flags))
    else:
        s.u32(flags)
    s.integral(0, 5, clsid)
    if clsid == RANDOM:
        s.raw(clsid_bytes)
    s.pick(4, cap)
    s.integral(0, 3, size_kind)
    if size_kind == 0:
        s.integral(0, 300, cb)
    elif size_kind == 1:
        s.pick(6, edge)
    elif size_kind == 2:
        s.u32(cb)
    s.boolean(null_cookie)
    s.pick(len(INIT), INIT.index(init))
    s.boolean(fail_alloc)
    s.integral(0, 3, items)
    s.u8(states)
    s.raw(cookie)
    return s.encode()


def update_items_seeds():
    return {
        "ok_flags_0_choice_step": update_items(flags=0),
        "ok_startsync": update_items(flags=2),
        "ok_minimized": update_items(flags=4),
        "ok_startsync_minimized": update_items(flags=6),
        "ok_empty_cookie_null_ui102": update_items(size_kind=3,
                                                   null_cookie=True, cookie=b""),
        "ok_empty_cookie_nonnull_ui104": update_items(size_kind=3, cookie=b""),
        "ok_cookie_larger_than_input": update_items(cb=300, cookie=b"xy"),
        "ok_cookie_at_cap_4096": update_items(cap=0, size_kind=1, edge=1,
                                              cookie=b"\x00\xff" * 8),
        "ok_cookie_at_default_cap_1mib": update_items(cap=3, size_kind=1,
                                                      edge=1),
        "eoutofmemory_over_default_cap_1mib": update_items(cap=3, size_kind=1,
                                                           edge=2),
        "ok_nothing_selected": update_items(states=0),
        "ok_no_items": update_items(items=0),
        "ok_declined_ui112": update_items(init="S_FALSE"),
        "einvalidarg_null_cookie_ui103": update_items(null_cookie=True),
        "einvalidarg_flag_0x1_ui105": update_items(documented=False, flags=1),
        "einvalidarg_all_flags_ui105": update_items(documented=False,
                                                    flags=0xFFFFFFFF),
        "einvalidarg_clsid_null_ui109": update_items(clsid=CLSID_NULL),
        "einvalidarg_clsid_pointer_null_ui109": update_items(
            clsid=NULL_POINTER),
        "einvalidarg_unregistered_ui002": update_items(clsid=UNREGISTERED),
        "einvalidarg_clsid_syncmgr": update_items(clsid=RANDOM,
                                                  clsid_bytes=CLSID_SYNCMGR),
        "ok_clsid_bytes_of_registered": update_items(
            clsid=RANDOM, clsid_bytes=fuzz_guid(1)),
        "eoutofmemory_over_cap_16_ui107": update_items(cap=2, size_kind=1,
                                                       edge=2),
        "eoutofmemory_cap_0": update_items(cap=1, cb=1),
        "eoutofmemory_cb_ffffffff": update_items(size_kind=1, edge=5),
        "eoutofmemory_allocation_fails": update_items(fail_alloc=True),
        "efail_not_creatable_ui111": update_items(clsid=NOT_CREATABLE),
        "efail_initialize_efail_ui111": update_items(init="E_FAIL"),
        "efail_initialize_undocumented_hs105": update_items(
            init="S_SYNCMGR_MISSINGITEMS"),
        "efail_initialize_eoutofmemory": update_items(init="E_OUTOFMEMORY"),
    }


# ---- call_sequence_fuzzer -----------------------------------------------

class Sequence:
    """Operations of call_sequence_fuzzer, in its encoding."""

    REG_FLAGS = [0, 1, 2, 4, 7, 8, 0x80000000]
    UI_FLAGS = [0, 2, 4, 6, 1, 8]
    BEHAVIOURS = ["good", "declines", "fails_init", "other_thread",
                  "never_completes", "completes_twice", "keeps_callback"]

    def __init__(self, asynchronous=False):
        self.s = Input()
        self.s.boolean(asynchronous)

    def op(self, code, which=0):
        self.s.integral(0, 9, code)
        self.s.integral(0, 3, which)
        return self

    def register(self, index, flags=0, null_description=False, which=0):
        self.op(0, which)
        self.s.integral(0, 4, index)
        self.s.pick(7, self.REG_FLAGS.index(flags))
        self.s.boolean(null_description)
        return self

    def unregister(self, index, reserved=False, which=0):
        self.op(1, which)
        self.s.integral(0, 4, index)
        self.s.boolean(reserved)
        return self

    def get_info(self, index, null_out=False, which=0):
        self.op(2, which)
        self.s.integral(0, 4, index)
        self.s.boolean(null_out)
        return self

    def update_items(self, index, flags=2, cb=3, null_cookie=False, which=0):
        self.op(3, which)
        self.s.pick(6, self.UI_FLAGS.index(flags))
        self.s.integral(0, 4, index)
        self.s.integral(0, 8, cb)
        self.s.boolean(null_cookie)
        return self

    def update_all(self, which=0):
        return self.op(4, which)

    def release_manager(self, which=0):
        return self.op(5, which)

    def new_manager(self, iid_index):
        return self.op(6, iid_index)

    def behaviour(self, index, name):
        self.op(7, index)
        self.s.integral(0, 6, self.BEHAVIOURS.index(name))
        return self

    def late_completion(self, which=0):
        return self.op(8, which)

    def shutdown(self):
        self.op(9, 0)
        self.s.boolean(True)
        return self

    def encode(self):
        return self.s.encode()


def call_sequence_seeds():
    seeds = {}
    for mode, asynchronous in (("sync", False), ("async", True)):
        seeds["lifecycle_register_update_unregister_" + mode] = (
            Sequence(asynchronous).register(0).get_info(0).update_items(0)
            .update_all().unregister(0).get_info(0).update_items(0)
            .update_all().encode())
        seeds["every_behaviour_" + mode] = Sequence(asynchronous).register(0)
        for name in Sequence.BEHAVIOURS:
            seeds["every_behaviour_" + mode].behaviour(0, name).update_items(0)
        seeds["every_behaviour_" + mode] = (
            seeds["every_behaviour_" + mode].update_all().encode())
        seeds["shutdown_then_everything_unexpected_" + mode] = (
            Sequence(asynchronous).register(0).register(1).update_all()
            .shutdown().update_items(0).update_all().register(2)
            .unregister(0).get_info(0).encode())
    seeds["bad_arguments_reg101_reg102_reg103"] = (
        Sequence().register(4).register(0, flags=8)
        .register(0, flags=0x80000000).unregister(4).unregister(0, True)
        .get_info(0, null_out=True).register(0).update_items(0, flags=1)
        .update_items(0, flags=8).update_items(0, null_cookie=True)
        .update_items(4).update_items(1).encode())
    seeds["reregister_replaces_flags_null_description"] = (
        Sequence().register(1, flags=1).get_info(1)
        .register(1, flags=7, null_description=True).get_info(1)
        .unregister(1).unregister(1).get_info(1).encode())
    seeds["not_creatable_efail_in_update_all"] = (
        Sequence().register(3).register(0).update_items(3).update_all()
        .encode())
    seeds["kept_callback_called_late_hs111"] = (
        Sequence().register(2).behaviour(2, "keeps_callback")
        .update_items(2).late_completion().update_all().late_completion(1)
        .encode())
    seeds["manager_objects_iids_release"] = (
        Sequence().new_manager(0).new_manager(1).new_manager(2)
        .new_manager(3).register(0, which=1).release_manager(1)
        .update_items(0, which=2).release_manager(0).release_manager(0)
        .get_info(0, which=3).encode())
    seeds["flag_values_and_cookie_sizes"] = (
        Sequence().register(0, flags=2).register(1, flags=4)
        .update_items(0, flags=0, cb=0).update_items(0, flags=4, cb=8)
        .update_items(1, flags=6, cb=0, null_cookie=True).update_all()
        .encode())
    return seeds


# ---- handler_behaviour_fuzzer -------------------------------------------

def any_result(s, choices, value):
    """AnyResult(in, {choices...}): an index, or any 32-bit value."""
    if value in choices:
        s.integral(0, len(choices), choices.index(value), 8)
    else:
        s.integral(0, len(choices), len(choices), 8)
        s.u32(value & 0xFFFFFFFF)


S_OK, S_FALSE = 0, 1
E_FAIL, E_OUTOFMEMORY, E_NOTIMPL = 0x80004005, 0x8007000E, 0x80004001
E_UNEXPECTED = 0x8000FFFF
S_MISSINGITEMS, S_RETRYSYNC = 0x00040201, 0x00040202
S_CANCELITEM, S_CANCELALL = 0x00040203, 0x00040204
COMPLETIONS = ["inline", "never", "twice", "other_thread", "delayed"]
COMPLETION_RESULTS = [S_OK, S_OK, E_FAIL, S_FALSE, E_UNEXPECTED]
REENTRY = ["none", "update_items", "update_all", "unregister"]
REENTRY_METHODS = ["initialize", "get_handler_info", "enum_items",
                   "prepare", "synchronize"]
CALL_KINDS = ["progress", "log_error", "delete_log_error",
              "establish_connection", "enable_modeless",
              "show_properties_completed", "show_error_completed",
              "prepare_completed", "synchronize_completed"]


def item(id=0, state=1, shape="good", value=0):
    return dict(id=id, state=state, shape=shape, value=value)


def call(kind, from_thread=False, item=0, null_struct=False, cb=32,
         log_info_size=False, mask=0xF, status=3, value=1, max=10, level=3,
         null_text=False, reserved=False, hr=S_OK, retry=False, count=0,
         null_ids=False):
    return dict(locals())


def handler_behaviour(flags=2, update_all=False, show_errors=False,
                      max_retries=1, progress=S_OK, may_bother=False,
                      choice=0, skip=False, initialize=S_OK,
                      get_handler_info=S_OK, info=0, enum_items=S_OK,
                      null_enumerator=False, next_shape=0,
                      items=(item(0), item(1), item(2, state=0)),
                      set_progress_callback=S_OK, prepare=S_OK,
                      prepare_completion="inline", prepare_hr=0,
                      synchronize=S_OK, sync_completion="inline", sync_hr=0,
                      calls=(), show_error=S_OK, show_completion="inline",
                      show_hr=S_OK, retry_count=0, retry_null_ids=False,
                      set_item_status=S_OK, reenter="none",
                      reenter_in="initialize", cookie=b"cookie"):
    s = Input()
    s.pick(4, [2, 0, 4, 6].index(flags))
    s.boolean(update_all)
    s.boolean(show_errors)
    s.integral(0, 2, max_retries)
    s.pick(3, [S_OK, S_CANCELITEM, S_CANCELALL].index(progress))
    s.boolean(may_bother)
    s.integral(0, 2, choice)
    s.boolean(skip)
    any_result(s, [S_OK, S_OK, S_OK, S_FALSE, E_FAIL, E_OUTOFMEMORY],
               initialize)
    any_result(s, [S_OK, E_FAIL, E_NOTIMPL], get_handler_info)
    s.integral(0, 4, info)
    any_result(s, [S_OK, S_MISSINGITEMS, E_FAIL, S_FALSE], enum_items)
    s.boolean(null_enumerator)
    s.integral(0, 5, next_shape)
    s.integral(0, 20, len(items))
    shapes = ["size0", "size_any", "unterminated", "flags_any", "good"]
    for it in items:
        s.integral(0, 7, it["id"])
        s.integral(0, 2, it["state"])
        s.integral(0, 5, shapes.index(it["shape"]))
        if it["shape"] in ("size_any", "flags_any"):
            s.u32(it["value"])
    any_result(s, [S_OK, S_OK, E_FAIL], set_progress_callback)
    any_result(s, [S_OK, S_OK, S_FALSE, E_FAIL], prepare)
    s.integral(0, 4, COMPLETIONS.index(prepare_completion))
    s.pick(5, prepare_hr)
    any_result(s, [S_OK, S_OK, E_FAIL, S_FALSE], synchronize)
    s.integral(0, 4, COMPLETIONS.index(sync_completion))
    s.pick(5, sync_hr)
    s.integral(0, 8, len(calls))
    for c in calls:
        s.integral(0, 8, CALL_KINDS.index(c["kind"]))
        s.boolean(c["from_thread"])
        s.integral(-1, len(items), c["item"])
        s.boolean(c["null_struct"])
        s.pick(5, [32, 44, 0, 31, 0xFFFFFFFF].index(c["cb"]))
        if c["kind"] == "log_error":
            s.boolean(c["log_info_size"])
        s.integral(0, 0x1F, c["mask"])
        s.integral(0, 10, c["status"])
        s.integral(-128, 127, c["value"], 1)
        s.integral(-128, 127, c["max"], 1)
        s.integral(0, 4, c["level"])
        s.boolean(c["null_text"])
        s.boolean(c["reserved"])
        s.pick(5, COMPLETION_RESULTS.index(c["hr"]))
        s.boolean(c["retry"])
        s.integral(0, 4, c["count"])
        s.boolean(c["null_ids"])
    any_result(s, [S_OK, E_FAIL], show_error)
    s.integral(0, 4, COMPLETIONS.index(show_completion))
    s.pick(3, [S_OK, S_RETRYSYNC, E_FAIL].index(show_hr))
    s.integral(0, 3, retry_count)
    s.boolean(retry_null_ids)
    any_result(s, [S_OK, E_FAIL], set_item_status)
    s.integral(0, 3, REENTRY.index(reenter))
    s.integral(0, 4, REENTRY_METHODS.index(reenter_in))
    s.raw(cookie)
    return s.encode()


def handler_behaviour_seeds():
    hb = handler_behaviour
    seeds = {
        "well_behaved_startsync": hb(),
        "well_behaved_flags_0_choice": hb(flags=0),
        "well_behaved_minimized": hb(flags=4),
        "well_behaved_startsync_minimized": hb(flags=6),
        "update_all_session": hb(update_all=True),
        "initialize_declines": hb(initialize=S_FALSE),
        "initialize_fails": hb(initialize=E_FAIL),
        "initialize_undocumented_hs105": hb(initialize=0x12345678),
        "update_all_initialize_fails": hb(update_all=True, initialize=E_FAIL),
        "info_fails": hb(get_handler_info=E_FAIL),
        "enum_fails": hb(enum_items=E_FAIL),
        "enum_missing_items": hb(enum_items=S_MISSINGITEMS),
        "enum_null_enumerator": hb(null_enumerator=True),
        "no_items_hs014": hb(items=()),
        "malformed_items_hs107": hb(items=(
            item(0, shape="size0"), item(1, shape="size_any", value=305),
            item(2, shape="unterminated"),
            item(3, shape="flags_any", value=0xFFFFFFFF), item(0),
            item(4, state=2), item(5))),
        "set_progress_callback_fails": hb(set_progress_callback=E_FAIL),
        "prepare_refused_hs102": hb(prepare=S_FALSE),
        "prepare_fails": hb(prepare=E_FAIL),
        "prepare_completion_fails_hs015": hb(prepare_hr=2),
        "synchronize_fails": hb(synchronize=E_FAIL),
        "synchronize_refused": hb(synchronize=S_FALSE),
        "sync_completion_fails": hb(sync_hr=2),
        "choice_cancels": hb(flags=0, choice=1),
        "choice_selects_duplicates_and_unknown": hb(flags=0, choice=2),
        "skip_items_set_item_status_hs019": hb(skip=True),
        "skip_items_set_item_status_fails": hb(skip=True,
                                               set_item_status=E_FAIL),
        "progress_cancel_all": hb(progress=S_CANCELALL, calls=(
            call("progress"),)),
        "progress_cancel_item": hb(progress=S_CANCELITEM, calls=(
            call("progress"),)),
        "may_bother_user_enable_modeless": hb(may_bother=True, calls=(
            call("enable_modeless", level=1),
            call("enable_modeless", level=0))),
        "show_error_retry_cb006": hb(show_errors=True, show_hr=S_RETRYSYNC,
                                     retry_count=2, calls=(
            call("log_error", cb=44, log_info_size=True, mask=7, status=1),)),
        "show_error_retry_null_ids_cb103": hb(
            show_errors=True, show_hr=S_RETRYSYNC, retry_count=2,
            retry_null_ids=True, calls=(call(
                "log_error", cb=44, log_info_size=True, mask=7, status=1),)),
        "show_error_never_completes": hb(
            show_errors=True, show_completion="never", calls=(call(
                "log_error", cb=44, log_info_size=True, mask=7, status=1),)),
        "show_error_fails": hb(show_errors=True, show_error=E_FAIL, calls=(
            call("log_error", cb=44, log_info_size=True, mask=7, status=1),)),
        "bad_callback_arguments_cb102": hb(calls=(
            call("progress", null_struct=True),
            call("progress", cb=0),
            call("progress", mask=0x1F),
            call("progress", status=9),
            call("progress", value=20, max=10),
            call("progress", item=-1),
            call("log_error", level=0),
            call("log_error", null_text=True))),
        "more_bad_callback_arguments": hb(calls=(
            call("log_error", cb=31, mask=0x1F),
            call("delete_log_error", reserved=True),
            call("delete_log_error", item=-1),
            call("establish_connection", null_text=True),
            call("establish_connection", reserved=True),
            call("show_properties_completed"),
            call("show_error_completed", hr=S_OK),
            call("prepare_completed"))),
        "callbacks_from_threads_hs025": hb(calls=tuple(
            call(kind, from_thread=True) for kind in CALL_KINDS[:8])),
        "unsolicited_synchronize_completed": hb(calls=(
            call("synchronize_completed"),)),
    }
    for kind in REENTRY[1:]:
        for method in REENTRY_METHODS:
            seeds["reentrant_%s_from_%s_ui116" % (kind, method)] = hb(
                reenter=kind, reenter_in=method)
    seeds["reentrant_update_items_from_update_all_session"] = hb(
        update_all=True, reenter="update_items", reenter_in="synchronize")
    for shape in range(1, 5):
        seeds["info_malformed_%d_hs106" % shape] = hb(info=shape)
    for shape, name in enumerate(["too_many", "fails", "not_impl",
                                  "empty_forever", "short_s_ok"], start=1):
        seeds["next_%s_en101" % name] = hb(next_shape=shape)
    for how in COMPLETIONS[1:]:
        seeds["prepare_completion_%s" % how] = hb(prepare_completion=how)
        seeds["sync_completion_%s" % how] = hb(sync_completion=how)
    return seeds


# ---- differential_fuzzer ------------------------------------------------

class Differential:
    """Operations of differential_fuzzer, in its encoding."""

    HOW = ["inline", "other_thread", "delayed"]
    # PrepareForSync: completes S_OK, completes E_FAIL, refuses (S_FALSE).
    PREPARE = {"ok": 0, "fails": 2, "refuses": 3}
    KINDS = ["progress", "log_error", "delete_log_error",
             "establish_connection", "enable_modeless",
             "show_properties_completed", "show_error_completed",
             "prepare_completed", "synchronize_completed"]
    STATUSES = [0, 1, 2, 3, 4, 5, 6, 7, 0x100]
    FROM_THREAD, MALFORMED = 5, 6  # call shapes; 0: well-formed

    def __init__(self):
        self.s = Input()

    def register(self, index, flags=0, null_description=False):
        self.s.integral(0, 4, 0)
        self.s.integral(0, 3, index)
        self.s.pick(6, [0, 1, 2, 4, 7, 8].index(flags))
        self.s.boolean(null_description)
        return self

    def unregister(self, index, reserved=False):
        self.s.integral(0, 4, 1)
        self.s.integral(0, 3, index)
        self.s.boolean(reserved)
        return self

    def get_info(self, index, null_out=False):
        self.s.integral(0, 4, 2)
        self.s.integral(0, 3, index)
        self.s.boolean(null_out)
        return self

    def update_items(self, index, flags=2, cb=4, edge=None, null_cookie=False,
                     init=S_OK, prepare_result="ok", prepare="inline",
                     sync="inline", items=1, calls=(), cookie=b"ckie"):
        """items: up to two CHECKED items and a third UNCHECKED one; calls:
        dicts of call()'s arguments, made during Synchronize."""
        self.s.integral(0, 4, 3)
        self.s.integral(0, 3, index)
        documented = flags in (0, 2, 4, 6)
        self.s.boolean(documented)
        if documented:
            self.s.pick(4, [0, 2, 4, 6].index(flags))
        else:
            self.s.u32(flags)
        if edge is not None:
            self.s.integral(0, 2, 1)
            self.s.pick(3, edge)
        elif cb == 0:
            self.s.integral(0, 2, 2)
        else:
            self.s.integral(0, 2, 0)
            self.s.integral(0, 32, cb)
        self.s.boolean(null_cookie)
        self.s.pick(4, [S_OK, S_OK, S_FALSE, E_FAIL].index(init))
        self.s.pick(4, self.PREPARE[prepare_result])
        self.s.pick(3, self.HOW.index(prepare))
        self.s.pick(3, self.HOW.index(sync))
        self.s.integral(0, 3, items)
        self.s.integral(0, 3, len(calls))
        for call in calls:
            self.call(items, **call)
        self.s.raw(cookie)
        return self

    def call(self, items, kind, shape=0, item=0, mask=0, status=3,
             max_value=10, value=1, level=1, no_info=False, error_flags=0,
             all_errors=False, null_text=False, enable=True, hr=S_OK,
             count=0, null_ids=False, malformed=0):
        """One CallbackCall (ConsumeCall in differential_fuzzer.cc)."""
        self.s.integral(0, 8, self.KINDS.index(kind))
        self.s.integral(0, 7, shape)
        if items > 0:
            self.s.integral(0, items - 1, item)
        if kind == "progress":
            self.s.integral(0, 15, mask)
            self.s.pick(len(self.STATUSES), self.STATUSES.index(status))
            self.s.integral(0, 100, max_value)
            self.s.integral(0, max_value, value)
        elif kind == "log_error":
            self.s.integral(1, 3, level)
            self.s.boolean(no_info)
            self.s.integral(0, 7, mask)
            self.s.integral(0, 1, error_flags)
        elif kind == "delete_log_error":
            self.s.boolean(all_errors)
        elif kind == "establish_connection":
            self.s.boolean(null_text)
        elif kind == "enable_modeless":
            self.s.boolean(enable)
        elif kind == "show_error_completed":
            self.s.pick(3, [S_OK, S_RETRYSYNC, E_FAIL].index(hr))
            self.s.integral(0, 2, count)
            self.s.boolean(null_ids)
        else:
            self.s.boolean(hr == S_OK)
        if shape >= self.MALFORMED:
            self.s.integral(0, 5, malformed)

    def update_all(self, index=0):
        self.s.integral(0, 4, 4)
        self.s.integral(0, 3, index)
        return self

    def encode(self):
        return self.s.encode()


def differential_seeds():
    D = Differential
    M = D.MALFORMED
    documented_calls = [
        dict(kind="progress", mask=0xF, status=3, max_value=10, value=1),
        dict(kind="enable_modeless", enable=True),
        dict(kind="establish_connection", null_text=True)]
    logged_calls = [
        dict(kind="log_error", level=3, mask=7, item=1),
        dict(kind="delete_log_error", all_errors=True),
        dict(kind="enable_modeless", enable=False)]
    malformed_calls = [
        dict(kind="progress", shape=M, malformed=1),
        dict(kind="log_error", shape=M, malformed=0),
        dict(kind="establish_connection", shape=M)]
    unknown_item_calls = [
        dict(kind="progress", shape=M, malformed=5),
        dict(kind="log_error", shape=M, malformed=5),
        dict(kind="progress", mask=0xC, max_value=5, value=5, item=1)]
    thread_calls = [
        dict(kind="log_error", shape=D.FROM_THREAD, level=2),
        dict(kind="enable_modeless", shape=D.FROM_THREAD),
        dict(kind="establish_connection", shape=D.FROM_THREAD)]
    completion_calls = [
        dict(kind="show_properties_completed"),
        dict(kind="show_error_completed", hr=S_RETRYSYNC, count=2,
             null_ids=True),
        dict(kind="prepare_completed")]
    late_calls = [
        dict(kind="synchronize_completed"),
        dict(kind="progress", mask=0x3, status=4),
        dict(kind="synchronize_completed", hr=E_FAIL)]
    return {
        "registration_round_trip": D().register(0, 7).get_info(0)
        .register(0, 1, True).get_info(0).unregister(0).get_info(0)
        .get_info(0, True).encode(),
        "registration_bad_arguments": D().register(3).register(0, 8)
        .unregister(3).unregister(0, True).encode(),
        "update_items_every_flag_value": D().register(0).update_items(0, 0)
        .update_items(0, 2).update_items(0, 4).update_items(0, 6).encode(),
        "update_items_unknown_flags_ui105": D().register(0)
        .update_items(0, 1).update_items(0, 0xFFFFFFFF).encode(),
        "update_items_unregistered_ui109": D().update_items(0)
        .update_items(3).register(1).unregister(1).update_items(1).encode(),
        "update_items_cookie_shapes": D().register(1)
        .update_items(1, cb=0, cookie=b"").update_items(1, cb=0,
                                                        null_cookie=True,
                                                        cookie=b"")
        .update_items(1, cb=4, null_cookie=True)
        .update_items(1, cb=32, cookie=b"x").encode(),
        # A cookie larger than what is left of the input takes all of it:
        # one such call per seed, the last one.
        "update_items_cookie_1mib": D().register(0)
        .update_items(0, edge=0, cookie=b"").encode(),
        "update_items_cookie_above_the_cap_ui107": D().register(0)
        .update_items(0, edge=1, cookie=b"").encode(),
        "update_items_cookie_size_max_null_ui103": D().register(0)
        .update_items(0, edge=2, null_cookie=True, cookie=b"").encode(),
        "update_items_cookie_size_max_ui107": D().register(0)
        .update_items(0, edge=2, cookie=b"").encode(),
        "update_items_initialize_results": D().register(0)
        .update_items(0, init=S_FALSE).update_items(0, init=E_FAIL)
        .register(2).update_items(2).encode(),
        "update_items_completions_from_threads": D().register(0)
        .update_items(0, prepare="other_thread", sync="other_thread")
        .update_items(0, prepare="delayed", sync="delayed").encode(),
        "update_items_prepare_fails_or_refuses_hs015": D().register(0)
        .update_items(0, prepare_result="fails", prepare="delayed")
        .update_items(0, prepare_result="refuses")
        .update_items(0, prepare_result="fails", prepare="other_thread")
        .encode(),
        "update_items_no_items": D().register(0).update_items(0, items=0)
        .encode(),
        "update_items_unchecked_item_st001": D().register(1)
        .update_items(1, items=3).update_items(1, flags=0, items=3)
        .encode(),
        "update_items_documented_callback_answers": D().register(0)
        .update_items(0, items=2, calls=documented_calls)
        .update_items(0, items=2, calls=logged_calls).encode(),
        "update_items_malformed_callback_calls_cb102": D().register(0)
        .update_items(0, items=2, calls=malformed_calls)
        .update_items(0, items=2, calls=unknown_item_calls).encode(),
        "update_items_callback_calls_from_threads": D().register(1)
        .update_items(1, items=1, calls=thread_calls, sync="delayed")
        .encode(),
        "update_items_unsolicited_completions_cb101": D().register(0)
        .update_items(0, items=1, calls=completion_calls)
        .update_items(0, items=1, calls=late_calls).encode(),
        "update_all_two_handlers_and_a_broken_one": D().register(0)
        .register(1).register(2).update_all().unregister(1).update_all()
        .encode(),
    }


# ---- dictionaries ---------------------------------------------------------

def dict_bytes(data):
    return "".join("\\x%02X" % b for b in data)


def u32le(value):
    return struct.pack("<I", value & 0xFFFFFFFF)


COMMON_DICT = [
    ("clsid_syncmgr", CLSID_SYNCMGR),
    ("guid_null", bytes(16)),
] + [("flags_%s" % name, u32le(v)) for name, v in (
    ("0", 0), ("startsync", 2), ("minimized", 4), ("both", 6), ("bit0", 1),
    ("bit3", 8), ("high", 0x80000000), ("all", 0xFFFFFFFF))] + [
    ("size_%s" % name, u32le(v)) for name, v in (
        ("1mib", 1 << 20), ("1mib_plus_1", (1 << 20) + 1),
        ("1mib_minus_1", (1 << 20) - 1), ("4096", 4096), ("4097", 4097),
        ("16", 16), ("17", 17), ("int_max", 0x7FFFFFFF))] + [
    ("hr_%s" % name, u32le(v)) for name, v in (
        ("s_false", S_FALSE), ("e_fail", E_FAIL),
        ("e_outofmemory", E_OUTOFMEMORY), ("e_invalidarg", 0x80070057),
        ("e_unexpected", E_UNEXPECTED), ("e_notimpl", E_NOTIMPL),
        ("missingitems", S_MISSINGITEMS), ("retrysync", S_RETRYSYNC),
        ("cancelitem", S_CANCELITEM), ("cancelall", S_CANCELALL))]

DICT_GUIDS = {
    "update_items_fuzzer": [1, 2, 3],
    "call_sequence_fuzzer": [0x20, 0x21, 0x22, 0x23],
    "handler_behaviour_fuzzer": [0x50, 0x60, 0x61, 0xEE],
    "differential_fuzzer": [0x70, 0x71, 0x72, 0x78],
}


def write_dict(name):
    entries = COMMON_DICT + [("test_clsid_%02x" % n, fuzz_guid(n))
                             for n in DICT_GUIDS[name]]
    with open(os.path.join("corpus", name + ".dict"), "w") as f:
        f.write("# %s: written by fuzz/make_seeds.py; numbers are\n"
                "# little-endian 32-bit values (FuzzedDataProvider reads them\n"
                "# from the end of the input), GUIDs in memory order.\n" % name)
        for key, data in entries:
            f.write('%s="%s"\n' % (key, dict_bytes(data)))


TARGETS = {
    "differential_fuzzer": differential_seeds,
    "handler_behaviour_fuzzer": handler_behaviour_seeds,
    "call_sequence_fuzzer": call_sequence_seeds,
    "update_items_fuzzer": update_items_seeds,
}


def main(argv):
    names = argv[1:] or sorted(TARGETS)
    for name in names:
        directory = os.path.join("corpus", name)
        os.makedirs(directory, exist_ok=True)
        seeds = TARGETS[name]()
        for seed_name, data in sorted(seeds.items()):
            with open(os.path.join(directory, seed_name), "wb") as f:
                f.write(data)
        write_dict(name)
        print("%s: %d seeds, %s.dict" % (name, len(seeds), name))


if __name__ == "__main__":
    main(sys.argv)
