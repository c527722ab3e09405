#include "fuzz/internal/guarded_buffer.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

namespace syncmgr::fuzz {
namespace {

// Live buffers' guard pages, read by the signal handler without locks: a
// slot's text and end are written before its begin is published.
constexpr int kSlots = 64;
struct Slot {
  std::atomic<std::uintptr_t> begin{0};
  std::uintptr_t end = 0;
  const char* finding = nullptr;
};
Slot g_slots[kSlots];
std::mutex g_slots_mu;  // taken by Claim and Release, never by the handler

struct sigaction g_previous_segv;
struct sigaction g_previous_bus;

void Write(const char* text) {
  size_t left = std::strlen(text);
  while (left > 0) {
    const ssize_t n = write(STDERR_FILENO, text, left);
    if (n <= 0) return;
    text += n;
    left -= static_cast<size_t>(n);
  }
}

// `value` in decimal, without allocating.
void WriteNumber(std::uintptr_t value) {
  char text[32];
  char* p = text + sizeof text;
  *--p = '\0';
  do {
    *--p = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  Write(p);
}

void PassOn(int signal_number, siginfo_t* info, void* context) {
  const struct sigaction& previous =
      signal_number == SIGSEGV ? g_previous_segv : g_previous_bus;
  if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(signal_number, info, context);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN &&
      previous.sa_handler != nullptr) {
    previous.sa_handler(signal_number);
    return;
  }
  // Default action: returning re-runs the faulting access.
  signal(signal_number, SIG_DFL);
}

void OnFault(int signal_number, siginfo_t* info, void* context) {
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (Slot& slot : g_slots) {
    const std::uintptr_t begin = slot.begin.load(std::memory_order_acquire);
    if (begin == 0 || address < begin || address >= slot.end) continue;
    Write("\n==== FUZZ INVARIANT VIOLATED ====\n" __FILE__ ": a guard page\n");
    Write(slot.finding);
    Write("\n  read at: the buffer's end + ");
    WriteNumber(address - begin);
    Write("\n=================================\n");
    std::abort();
  }
  PassOn(signal_number, info, context);
}

int Claim(std::uintptr_t begin, std::uintptr_t end, const char* finding) {
  std::lock_guard lock(g_slots_mu);
  for (int i = 0; i < kSlots; ++i) {
    Slot& slot = g_slots[i];
    if (slot.begin.load(std::memory_order_relaxed) != 0) continue;
    slot.end = end;
    slot.finding = finding;
    slot.begin.store(begin, std::memory_order_release);
    return i;
  }
  return -1;
}

void Release(int i) {
  std::lock_guard lock(g_slots_mu);
  g_slots[i].begin.store(0, std::memory_order_release);
}

}  // namespace

GuardedBuffer::GuardedBuffer(size_t size, std::string finding)
    : size_(size), finding_(std::move(finding)) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t data_pages = (size + page - 1) / page;
  mapped_ = (data_pages + 1) * page;
  pages_ = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages_ == MAP_FAILED) std::abort();  // nothing can go on
  auto* guard = static_cast<std::uint8_t*>(pages_) + data_pages * page;
  mprotect(guard, page, PROT_NONE);
  data_ = guard - size;
  const auto begin = reinterpret_cast<std::uintptr_t>(guard);
  slot_ = Claim(begin, begin + page, finding_.c_str());
}

GuardedBuffer::~GuardedBuffer() {
  if (slot_ >= 0) Release(slot_);
  munmap(pages_, mapped_);
}

void InstallGuardHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_sigaction = OnFault;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &g_previous_segv);
    sigaction(SIGBUS, &action, &g_previous_bus);
  });
}

}  // namespace syncmgr::fuzz
