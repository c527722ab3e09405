// File: fuzz/internal/guarded_buffer.h
//
// Caller buffers whose last byte is followed by an inaccessible page: code
// that reads past the end faults at once, and the fault handler installed
// by InstallGuardHandler() turns the fault into a finding with the buffer's
// own text (the requirement it breaks), in the format of FUZZ_CHECK. Faults
// anywhere else go on to the handler that was installed before (the
// sanitizer's, libFuzzer's, or the default action).
//
// The same idea as the conformance suite's GuardedBytes, for fuzz targets,
// which link neither GoogleTest nor the suite's fixtures.
//
// Example:
//   InstallGuardHandler();  // once, before libFuzzer installs its own
//   GuardedBuffer cookie(size, "documented contract: UI-015: ...");
//   invoke->UpdateItems(flags, clsid, size, cookie.data());
#ifndef SYNCMGR_FUZZ_INTERNAL_GUARDED_BUFFER_H_
#define SYNCMGR_FUZZ_INTERNAL_GUARDED_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace syncmgr::fuzz {

class GuardedBuffer {
 public:
  // `size` writable bytes (a zero-size buffer's data() is the guard page
  // itself). `finding` is printed when the guard page is read, followed by
  // the offset of the read.
  GuardedBuffer(size_t size, std::string finding);
  ~GuardedBuffer();
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  std::uint8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  void* pages_ = nullptr;
  size_t mapped_ = 0;
  std::uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string finding_;
  int slot_ = -1;  // in the handler's table; -1 when it was full
};

// Installs the SIGSEGV and SIGBUS handler (once; later calls do nothing).
void InstallGuardHandler();

}  // namespace syncmgr::fuzz

#endif  // SYNCMGR_FUZZ_INTERNAL_GUARDED_BUFFER_H_
