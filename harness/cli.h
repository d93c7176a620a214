// cli.h — harness utility shared by the lab's programs (sweep, gate, store): the one-line fatal
// error (exit 2 for bad input, 130 when an interrupt made the failing step fail), the runfiles
// tree, comma-separated lists.
#ifndef HAKMEM_HARNESS_CLI_H_
#define HAKMEM_HARNESS_CLI_H_

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "harness/subprocess.h"

namespace lab {

// "<prog>: <msg>" and exit `code`; after Ctrl-C whatever failed failed because of it:
// "<prog>: interrupted (SIGINT)<when>" and exit 130 instead.
[[noreturn]] inline void Die(const char* prog, int code, const std::string& msg, const char* when) {
  if (Interrupted()) {
    std::fprintf(stderr, "%s: interrupted (%s)%s\n", prog, InterruptName(), when);
    std::exit(kInterruptedExit);
  }
  std::fprintf(stderr, "%s: %s\n", prog, msg.c_str());
  std::exit(code);
}

// The runfiles tree of a program: $RUNFILES_DIR (set by a parent), else <argv0>.runfiles.
inline std::string RunfilesDir(const char* argv0) {
  if (const char* r = std::getenv("RUNFILES_DIR")) return r;
  return std::string(argv0) + ".runfiles";
}

// "a,b,,c" -> {a, b, c}.
inline std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace lab

#endif  // HAKMEM_HARNESS_CLI_H_
