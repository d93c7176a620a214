#include "harness/machine.h"

#include <gnu/libc-version.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

#include <fmt/format.h>

namespace lab {

uint64_t Fnv1a64(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

namespace {
constexpr uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
}  // namespace

std::string Sha256Hex(const std::string& data) {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::string m = data;
  const uint64_t bits = uint64_t(data.size()) * 8;
  m.push_back(char(0x80));
  while (m.size() % 64 != 56) m.push_back('\0');
  for (int i = 7; i >= 0; --i) m.push_back(char((bits >> (8 * i)) & 0xff));
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(m.data() + off + 4 * i);
      w[i] = uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
    }
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 = Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 = Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; ++i) {
      const uint32_t t1 = k + (Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25)) + ((e & f) ^ (~e & g)) + kK[i] + w[i];
      const uint32_t t2 = (Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
  }
  std::string out;
  for (uint32_t v : h) out += fmt::format("{:08x}", v);
  return out;
}

std::string KernelSeries(const std::string& kernel) {
  std::istringstream in(kernel);
  std::string tok;
  while (in >> tok) {
    if (tok.empty() || !isdigit(static_cast<unsigned char>(tok[0]))) continue;
    const size_t dot = tok.find('.');
    if (dot == std::string::npos) return tok.substr(0, tok.find_first_not_of("0123456789"));
    const size_t end = tok.find_first_not_of("0123456789", dot + 1);
    return tok.substr(0, end);
  }
  return "";
}

std::string FingerprintV2(const Machine& m) {
  return fmt::format("{:016x}", Fnv1a64(m.cpu_model + "|" + std::to_string(m.cores) + "|" +
                                        std::to_string(m.memory_gib) + "|" + m.libc + "|" +
                                        m.kernel_series + "|" + m.host));
}

std::string LegacyFingerprint(const std::string& cpu_model, int cores, const std::string& kernel,
                              const std::string& libc, const std::string& machine_id_raw) {
  const size_t h = std::hash<std::string>{}(cpu_model + "|" + std::to_string(cores) + "|" + kernel + "|" +
                                            libc + "|" + machine_id_raw);
  return fmt::format("{:016x}", h);
}

std::string RawMachineId() {
  std::string id;
  std::ifstream("/etc/machine-id") >> id;
  return id;
}

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
  std::ifstream mem("/proc/meminfo");
  while (std::getline(mem, line)) {
    if (line.rfind("MemTotal:", 0) == 0) {  // "MemTotal:  24731184 kB"
      m.memory_gib = int(std::lround(std::stod(line.substr(9)) / (1024.0 * 1024.0)));
      break;
    }
  }
  utsname u{};
  uname(&u);
  m.kernel = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  m.kernel_series = KernelSeries(u.release);
  m.libc = fmt::format("glibc {}", gnu_get_libc_version());
  // Distinguishes two machines of the same model; hashed, so the id itself is never published.
  // The file's bytes as `sha256sum /etc/machine-id` reads them (trailing newline included).
  std::ifstream idf("/etc/machine-id", std::ios::binary);
  const std::string id((std::istreambuf_iterator<char>(idf)), std::istreambuf_iterator<char>());
  m.host = id.empty() ? "" : Sha256Hex(id).substr(0, 12);
  m.fingerprint_scheme = 2;
  m.fingerprint = FingerprintV2(m);
  return m;
}

}  // namespace lab
