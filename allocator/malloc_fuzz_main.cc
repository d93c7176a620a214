// malloc_fuzz_main.cc — test of layer 5: replays inputs through malloc_fuzz.cc's LLVMFuzzerTestOneInput without
// libFuzzer: every file of the given folders (the checked-in corpus, which must not be empty),
// then `--generated N` inputs from a fixed seed. A failed check aborts, so the test fails.
// Without arguments (as the per-config copies run it): allocator/fuzz_corpus and 100 generated.
#include <dirent.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool ReadFile(const std::string& path, std::vector<uint8_t>* out) {
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  uint8_t buf[65536];
  size_t n;
  out->clear();
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out->insert(out->end(), buf, buf + n);
  fclose(f);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  static const char* kDefaults[] = {argv[0], "allocator/fuzz_corpus", "--generated", "100"};
  if (argc == 1) {
    argc = 4;
    argv = const_cast<char**>(kDefaults);
  }
  long generated = 0;
  size_t files = 0;
  std::vector<uint8_t> data;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--generated") == 0 && i + 1 < argc) {
      generated = strtol(argv[++i], nullptr, 10);
      continue;
    }
    DIR* d = opendir(argv[i]);
    if (d == nullptr) {
      fprintf(stderr, "malloc_fuzz_main: cannot open corpus folder %s\n", argv[i]);
      return 2;
    }
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') names.push_back(std::string(argv[i]) + "/" + e->d_name);
    }
    closedir(d);
    for (const std::string& name : names) {
      if (!ReadFile(name, &data)) {
        fprintf(stderr, "malloc_fuzz_main: cannot read %s\n", name.c_str());
        return 2;
      }
      LLVMFuzzerTestOneInput(data.data(), data.size());
      ++files;
    }
  }
  if (files == 0) {
    fprintf(stderr, "malloc_fuzz_main: no corpus files: nothing was replayed\n");
    return 2;
  }
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (long g = 0; g < generated; ++g) {
    data.resize(16 + (g * 97) % 3000);
    for (auto& b : data) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      b = uint8_t(x);
    }
    LLVMFuzzerTestOneInput(data.data(), data.size());
  }
  printf("malloc_fuzz_main: %zu corpus inputs and %ld generated inputs passed\n", files, generated);
  return 0;
}
