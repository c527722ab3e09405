// File: windows/platform/posix/fnmatch.h
//
// fnmatch() for the MinGW-w64 build of conformance/certify_main.cc (the
// Windows C runtime has none): '*' and '?' wildcards and exact characters,
// which is all certify's --scenarios globs use. Only on the include path of
// //windows:certify_exe.
#ifndef SYNCMGR_WINDOWS_PLATFORM_POSIX_FNMATCH_H_
#define SYNCMGR_WINDOWS_PLATFORM_POSIX_FNMATCH_H_

#define FNM_NOMATCH 1

inline int fnmatch(const char* pattern, const char* text, int /*flags*/) {
  if (*pattern == '\0') return *text == '\0' ? 0 : FNM_NOMATCH;
  if (*pattern == '*') {
    for (const char* t = text;; ++t) {
      if (fnmatch(pattern + 1, t, 0) == 0) return 0;
      if (*t == '\0') return FNM_NOMATCH;
    }
  }
  if (*text == '\0') return FNM_NOMATCH;
  if (*pattern == '?' || *pattern == *text) {
    return fnmatch(pattern + 1, text + 1, 0);
  }
  return FNM_NOMATCH;
}

#endif  // SYNCMGR_WINDOWS_PLATFORM_POSIX_FNMATCH_H_
