"""The known-bad handlers of testdata/bad_handlers.cc: name -> class."""

BAD_HANDLERS = {
    "keeps_cookie_pointer": "KeepsCookiePointer",
    "never_completes": "NeverCompletes",
    "completes_twice": "CompletesTwice",
    "leaks_reference": "LeaksReference",
    "undocumented_hresult": "UndocumentedHresult",
    "crashes_on_empty_cookie": "CrashesOnEmptyCookie",
    "malformed_item": "MalformedItem",
    "shared_clone": "SharedClone",
    "get_item_object_fails": "GetItemObjectFails",
    "endless_malformed_items": "EndlessMalformedItems",
    "ignores_cancellation": "IgnoresCancellation",
    "ignores_skip": "IgnoresSkip",
    "handler_info_from_malloc": "HandlerInfoFromMalloc",
    "keeps_callback_without_addref": "KeepsCallbackWithoutAddRef",
    "leaves_ppv_on_failure": "LeavesPpvOnFailure",
    "unloads_while_alive": "UnloadsWhileAlive",
    "crashes_in_dll_get_class_object": "CrashesInDllGetClassObject",
}
