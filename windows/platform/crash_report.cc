#include "windows/platform/crash_report.h"

#include <cstdint>

namespace syncmgr::windows {
namespace {

// The filter runs in a process that just faulted, maybe while a lock of
// the C runtime or of the heap was held: it formats into fixed buffers
// with its own helpers and writes with WriteFile, no stdio, no allocation.
class Line {
 public:
  void Text(const char* text) {
    while (*text != '\0' && size_ < sizeof buf_ - 1) buf_[size_++] = *text++;
  }
  void Hex(std::uint64_t value, int min_digits) {
    char digits[16];
    int n = 0;
    do {
      digits[n++] = "0123456789abcdef"[value & 0xF];
      value >>= 4;
    } while (value != 0 && n < 16);
    while (n < min_digits) digits[n++] = '0';
    Text("0x");
    while (n > 0 && size_ < sizeof buf_ - 1) buf_[size_++] = digits[--n];
  }
  // The exception code as Windows writes it: 0xC0000005.
  void Code(DWORD code) {
    Text("0x");
    for (int shift = 28; shift >= 0; shift -= 4) {
      const char digit[2] = {"0123456789ABCDEF"[(code >> shift) & 0xF], '\0'};
      Text(digit);
    }
  }
  void Write() {
    buf_[size_++] = '\n';
    DWORD written = 0;
    WriteFile(GetStdHandle(STD_ERROR_HANDLE), buf_, size_, &written, nullptr);
  }

 private:
  char buf_[1024];
  DWORD size_ = 0;
};

LONG WINAPI ReportCrash(EXCEPTION_POINTERS* pointers) {
  const EXCEPTION_RECORD* record = pointers->ExceptionRecord;
  const DWORD code = record->ExceptionCode;
  const auto address =
      reinterpret_cast<std::uintptr_t>(record->ExceptionAddress);
  Line line;
  line.Text("crashed with ");
  line.Code(code);
  line.Text(" at ");
  HMODULE module = nullptr;
  wchar_t path[MAX_PATH] = {};
  if (GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                             GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                         reinterpret_cast<LPCWSTR>(record->ExceptionAddress),
                         &module) &&
      GetModuleFileNameW(module, path, MAX_PATH) > 0) {
    const wchar_t* name = path;
    for (const wchar_t* p = path; *p != 0; ++p) {
      if (*p == L'\\' || *p == L'/') name = p + 1;
    }
    char narrow[MAX_PATH * 3] = {};
    WideCharToMultiByte(CP_UTF8, 0, name, -1, narrow, sizeof narrow - 1,
                        nullptr, nullptr);
    line.Text(narrow);
    line.Text("+");
    line.Hex(address - reinterpret_cast<std::uintptr_t>(module), 1);
  } else {
    line.Hex(address, 16);  // in no module (a call through a bad pointer)
  }
  const char* name = ExceptionName(code);
  if (code == EXCEPTION_ACCESS_VIOLATION && record->NumberParameters >= 2) {
    const ULONG_PTR kind = record->ExceptionInformation[0];
    line.Text(kind == 1   ? " (access violation, write to address "
              : kind == 8 ? " (access violation, execution of address "
                          : " (access violation, read of address ");
    line.Hex(record->ExceptionInformation[1], 16);
    line.Text(")");
  } else {
    line.Text(name);
  }
  line.Write();
  TerminateProcess(GetCurrentProcess(), code);
  return EXCEPTION_EXECUTE_HANDLER;  // not reached
}

}  // namespace

void InstallCrashReporter() { SetUnhandledExceptionFilter(ReportCrash); }

}  // namespace syncmgr::windows
