// Replays fuzz inputs without libFuzzer: each argument is a file or a
// directory of files (not recursive), fed one by one to the target's
// LLVMFuzzerTestOneInput, in name order. This is the `main` of every
// `<target>` replay test (tools/fuzz.bzl), so a corpus and its past findings
// run under `bazel test`, also with --config=asan. An invariant violation
// aborts the process, naming the input on the line before.
//
//   replay_main [--allow-missing] PATH...
//
// In a directory, files ending in .txt or .md (a finding's stack, a README)
// are not inputs and are skipped.
// --allow-missing: a PATH that does not exist is skipped (an empty
// regressions/ folder is not in the runfiles). Fails when no input at all
// was replayed, so that a wrong path cannot pass silently.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc,
                                                          char*** argv);

namespace {

namespace fs = std::filesystem;

bool ReplayFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
  // A private copy of exactly the input's size, as libFuzzer passes it, so
  // that ASan sees a read past the end.
  std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  bool allow_missing = false;
  int replayed = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--allow-missing") == 0) {
      allow_missing = true;
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
      if (!ReplayFile(file)) return 2;
      ++replayed;
    }
  }
  if (replayed == 0) {
    std::fprintf(stderr, "replay: no input found\n");
    return 2;
  }
  std::fprintf(stderr, "replay: %d input(s) passed\n", replayed);
  return 0;
}
