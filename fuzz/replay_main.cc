// Replays fuzz inputs without libFuzzer: each argument is a file or a
// directory of files (not recursive), fed one by one to the target's
// LLVMFuzzerTestOneInput, in name order. This is the `main` of every
// `<target>` replay test (tools/fuzz.bzl), so a corpus and its past findings
// run under `bazel test`, also with --config=asan. An invariant violation
// aborts the process, naming the input on the line before.
//
//   replay_main [--allow-missing] [--mutations=N [--seed=S]] PATH...
//
// In a directory, files ending in .txt or .md (a finding's stack, a README)
// are not inputs and are skipped.
// --allow-missing: a PATH that does not exist is skipped (an empty
// regressions/ folder is not in the runfiles). Fails when no input at all
// was replayed, so that a wrong path cannot pass silently.
// --mutations=N: then N inputs made from the replayed ones by a few random
// edits each (bit flips, byte values, insertions, erasures, copies within
// and across inputs), from a generator seeded with S (default 1): the same
// inputs on every run, without libFuzzer or coverage feedback. Each is
// written to $TEST_UNDECLARED_OUTPUTS_DIR/mutation (when set) before it
// runs, so that the one that aborts is kept.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc,
                                                          char*** argv);

namespace {

namespace fs = std::filesystem;

using Input = std::vector<std::uint8_t>;

// libFuzzer's default -max_len.
constexpr size_t kMaxLength = 4096;

void Run(const Input& input) {
  // A private copy of exactly the input's size, as libFuzzer passes it, so
  // that ASan sees a read past the end.
  Input data(input);
  LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
}

bool ReplayFile(const fs::path& path, std::vector<Input>* replayed) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
  replayed->emplace_back(bytes.begin(), bytes.end());
  Run(replayed->back());
  return true;
}

// One to four random edits of `input`; `others` supplies bytes to copy.
Input Mutate(Input input, const std::vector<Input>& others,
             std::mt19937_64& random) {
  auto below = [&](size_t n) {
    return n == 0 ? size_t{0} : static_cast<size_t>(random() % n);
  };
  static const std::uint8_t kInteresting[] = {0x00, 0x01, 0x7F, 0x80, 0xFF};
  const size_t edits = 1 + below(4);
  for (size_t e = 0; e < edits; ++e) {
    switch (below(6)) {
      case 0:  // flip a bit
        if (!input.empty()) input[below(input.size())] ^= 1u << below(8);
        break;
      case 1:  // an interesting or a random byte value
        if (!input.empty()) {
          input[below(input.size())] =
              below(2) == 0 ? kInteresting[below(sizeof kInteresting)]
                            : static_cast<std::uint8_t>(random());
        }
        break;
      case 2: {  // insert random bytes
        const size_t at = below(input.size() + 1);
        const size_t n = 1 + below(4);
        for (size_t i = 0; i < n; ++i) {
          input.insert(input.begin() + at, static_cast<std::uint8_t>(random()));
        }
        break;
      }
      case 3:  // erase bytes
        if (!input.empty()) {
          const size_t at = below(input.size());
          const size_t n = std::min(input.size() - at, 1 + below(4));
          input.erase(input.begin() + at, input.begin() + at + n);
        }
        break;
      case 4: {  // copy a part of another input over or into this one
        const Input& other = others[below(others.size())];
        if (other.empty()) break;
        const size_t from = below(other.size());
        const size_t n = 1 + below(std::min<size_t>(other.size() - from, 16));
        const size_t at = below(input.size() + 1);
        if (below(2) == 0) {
          input.insert(input.begin() + at, other.begin() + from,
                       other.begin() + from + n);
        } else {
          for (size_t i = 0; i < n && at + i < input.size(); ++i) {
            input[at + i] = other[from + i];
          }
        }
        break;
      }
      case 5:  // repeat a part of this input
        if (!input.empty()) {
          const size_t from = below(input.size());
          const size_t n = 1 + below(std::min<size_t>(input.size() - from, 8));
          const Input part(input.begin() + from, input.begin() + from + n);
          input.insert(input.begin() + below(input.size() + 1), part.begin(),
                       part.end());
        }
        break;
    }
  }
  if (input.size() > kMaxLength) input.resize(kMaxLength);
  return input;
}

// Runs `count` mutations of the replayed inputs.
void RunMutations(const std::vector<Input>& replayed, long count,
                  std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string keep;
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    keep = std::string(dir) + "/mutation";
  }
  for (long i = 0; i < count; ++i) {
    const Input input =
        Mutate(replayed[random() % replayed.size()], replayed, random);
    if (!keep.empty()) {
      std::ofstream(keep, std::ios::binary | std::ios::trunc)
          .write(reinterpret_cast<const char*>(input.data()),
                 static_cast<std::streamsize>(input.size()));
    }
    Run(input);
  }
  std::fprintf(stderr, "replay: %ld mutation(s) (seed %llu) passed%s%s\n",
               count, static_cast<unsigned long long>(seed),
               keep.empty() ? "" : ", each written to ", keep.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  bool allow_missing = false;
  long mutations = 0;
  std::uint64_t seed = 1;
  std::vector<Input> replayed;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--allow-missing") == 0) {
      allow_missing = true;
      continue;
    }
    if (std::strncmp(argv[i], "--mutations=", 12) == 0) {
      mutations = std::atol(argv[i] + 12);
      continue;
    }
    if (std::strncmp(argv[i], "--seed=", 7) == 0) {
      seed = std::strtoull(argv[i] + 7, nullptr, 10);
      continue;
    }
    const fs::path path(argv[i]);
    std::error_code error;
    if (!fs::exists(path, error)) {
      if (allow_missing) {
        std::fprintf(stderr, "replay: %s does not exist, skipped\n", argv[i]);
        continue;
      }
      std::fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      return 2;
    }
    std::vector<fs::path> files;
    if (fs::is_directory(path)) {
      for (const fs::directory_entry& entry : fs::directory_iterator(path)) {
        const std::string extension = entry.path().extension().string();
        if (extension == ".txt" || extension == ".md") continue;
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(path);
    }
    for (const fs::path& file : files) {
      if (!ReplayFile(file, &replayed)) return 2;
    }
  }
  if (replayed.empty()) {
    std::fprintf(stderr, "replay: no input found\n");
    return 2;
  }
  std::fprintf(stderr, "replay: %zu input(s) passed\n", replayed.size());
  if (mutations > 0) RunMutations(replayed, mutations, seed);
  return 0;
}
