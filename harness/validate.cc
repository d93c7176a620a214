// validate FILE... — checks result files against the schema (harness/README.md).
// Prints "ok FILE (N points, variants ...)" per good file; for a bad one, one line naming the file
// and the field, and exit status 2.
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "harness/result.h"

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    fmt::print(argc < 2 ? stderr : stdout, "usage: validate RESULT.json...\n");
    return argc < 2 ? 2 : 0;
  }
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    std::string err;
    const auto r = lab::ReadResultFile(argv[i], &err);
    if (!r) {
      fmt::print(stderr, "invalid: {}\n", err);
      status = 2;
      continue;
    }
    std::string names;
    for (const auto& v : r->variants) names += (names.empty() ? "" : ",") + v.name;
    fmt::print("ok {} ({} points, variants {}{})\n", argv[i], r->points.size(), names,
               r->complete ? "" : ", INCOMPLETE");
  }
  return status;
}
