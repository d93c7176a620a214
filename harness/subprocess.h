// subprocess.h — run a program with a time limit and capture what it prints (sweep, gate).
#ifndef HAKMEM_HARNESS_SUBPROCESS_H_
#define HAKMEM_HARNESS_SUBPROCESS_H_

#include <string>
#include <utility>
#include <vector>

namespace lab {

struct RunSpec {
  std::string cwd;                                       // "" = inherit
  std::vector<std::pair<std::string, std::string>> env;  // set in the child
  bool stderr_through = false;                           // child's stderr goes to ours, live
};

struct RunOutput {
  int status = -1;  // exit code, -signal, or 127 when the program could not be started
  bool timed_out = false;
  std::string out, err;
};

// argv[0] is looked up in PATH when it has no '/'. timeout_sec <= 0: no limit; past it the child
// is killed (SIGKILL) and timed_out is set.
RunOutput RunCommand(const std::vector<std::string>& argv, int timeout_sec, const RunSpec& spec = {});

// Interrupts (Ctrl-C, SIGTERM). Every child RunCommand starts leads its own process group, so
// a terminal's Ctrl-C reaches only this program; after InstallInterruptHandlers() the first
// SIGINT/SIGTERM is forwarded (as SIGINT) to the running child's whole group (a benchmark, a
// valgrind and its guest, a nested sweep, a bazel build) and sets Interrupted(); a second one
// kills that group. The caller checks Interrupted() after each run, keeps what it has, and exits
// with kInterruptedExit. Temporary files registered with RemoveAtExit go at exit either way.
inline constexpr int kInterruptedExit = 130;
void InstallInterruptHandlers();
bool Interrupted();
// Which signal interrupted us ("SIGINT", "SIGTERM"), "" when none.
const char* InterruptName();
void RemoveAtExit(const std::string& path);

// Last non-empty line of a program's output (where benchmarks put their JSON record or error).
std::string LastLine(const std::string& s);

}  // namespace lab

#endif  // HAKMEM_HARNESS_SUBPROCESS_H_
