#include "harness/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>

namespace lab {

namespace {
std::atomic<pid_t> g_child{0};       // the running child (and its process group), 0 = none
std::atomic<int> g_interrupts{0};    // signals received
std::atomic<int> g_signal{0};
std::mutex g_temp_mu;
std::set<std::string>* g_temp = nullptr;

void OnInterrupt(int sig) {
  g_signal.store(sig);
  const int n = g_interrupts.fetch_add(1) + 1;
  const pid_t child = g_child.load();
  if (child > 0) kill(-child, n == 1 ? SIGINT : SIGKILL);  // async-signal-safe
}

void RemoveTemps() {
  std::lock_guard<std::mutex> lock(g_temp_mu);
  if (g_temp == nullptr) return;
  for (const auto& p : *g_temp) std::remove(p.c_str());
}
}  // namespace

void InstallInterruptHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool Interrupted() { return g_interrupts.load() > 0; }

const char* InterruptName() {
  switch (g_signal.load()) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "";
  }
}

void RemoveAtExit(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_temp_mu);
  if (g_temp == nullptr) {
    g_temp = new std::set<std::string>;
    std::atexit(RemoveTemps);
  }
  g_temp->insert(path);
}

RunOutput RunCommand(const std::vector<std::string>& argv, int timeout_sec, const RunSpec& spec) {
  RunOutput r;
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || (!spec.stderr_through && pipe2(err_pipe, O_CLOEXEC) != 0)) {
    r.err = "pipe failed";
    return r;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    r.err = "fork failed";
    return r;
  }
  if (pid == 0) {
    setpgid(0, 0);  // its own group: Ctrl-C reaches the parent, which forwards it (see header)
    dup2(out_pipe[1], 1);
    if (!spec.stderr_through) dup2(err_pipe[1], 2);
    if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) _exit(127);
    for (const auto& [k, v] : spec.env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also here: no signal may find the child outside its group
  g_child.store(pid);
  if (Interrupted()) kill(-pid, SIGKILL);  // interrupted while starting it
  close(out_pipe[1]);
  if (!spec.stderr_through) close(err_pipe[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_sec);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {spec.stderr_through ? -1 : err_pipe[0], POLLIN, 0}};
  int open_fds = spec.stderr_through ? 1 : 2;
  while (open_fds > 0) {
    int wait_ms = 1000;
    if (timeout_sec > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) {
        r.timed_out = true;
        kill(-pid, SIGKILL);  // the whole group: valgrind's guest, a benchmark's helpers
        break;
      }
      wait_ms = int(std::min<long>(left, 1000));
    }
    if (poll(fds, 2, wait_ms) < 0) continue;
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd >= 0 && (fds[k].revents & (POLLIN | POLLHUP))) {
        char buf[4096];
        const ssize_t n = read(fds[k].fd, buf, sizeof buf);
        if (n <= 0) {
          close(fds[k].fd);
          fds[k].fd = -1;
          --open_fds;
        } else {
          (k == 0 ? r.out : r.err).append(buf, size_t(n));
        }
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  g_child.store(0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
  return r;
}

std::string LastLine(const std::string& s) {
  std::string t = s;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  const size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace lab
