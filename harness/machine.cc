#include "harness/machine.h"

#include <gnu/libc-version.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <functional>

#include <fmt/format.h>

namespace lab {

Machine ThisMachine() {
  Machine m;
  std::ifstream cpu("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpu, line)) {
    if (line.rfind("model name", 0) == 0) {
      m.cpu_model = line.substr(line.find(':') + 2);
      break;
    }
  }
  if (m.cpu_model.empty()) m.cpu_model = "unknown";
  m.cores = int(sysconf(_SC_NPROCESSORS_ONLN));
  utsname u{};
  uname(&u);
  m.kernel = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  m.libc = fmt::format("glibc {}", gnu_get_libc_version());
  std::string host;
  std::ifstream("/etc/machine-id") >> host;  // distinguishes two machines of the same model
  const size_t h = std::hash<std::string>{}(m.cpu_model + "|" + std::to_string(m.cores) + "|" +
                                            m.kernel + "|" + m.libc + "|" + host);
  m.fingerprint = fmt::format("{:016x}", h);
  return m;
}

}  // namespace lab
