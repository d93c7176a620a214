// rootcause — per-function instruction diff of two callgrind profiles, for humans:
//   bazel run //ci:rootcause -- --base A.out --base-ops N --head B.out --head-ops M
//       [--markdown F] [--json F] [--svg F] [--top N] [--base-name S] [--head-name S]
// Prints the table on stdout. Bad input: one line on stderr, exit 2. (The gate links the
// library, //ci:rootcause_lib, instead.)
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "ci/rootcause.h"

namespace {

const char kUsage[] =
    "usage: rootcause --base A.out --base-ops N --head B.out --head-ops M\n"
    "                 [--markdown F] [--json F] [--svg F] [--top N] [--base-name S] [--head-name S]\n"
    "  A.out, B.out   callgrind out files (valgrind --tool=callgrind --callgrind-out-file=F ...)\n"
    "  N, M           operations each profile covers (the benchmark's cycles), > 0\n"
    "  --markdown F   the report section (Markdown); --json F the data; --svg F the flame graph\n"
    "  --top N        movers to list (10)\n";

[[noreturn]] void Bad(const std::string& why) {
  fmt::print(stderr, "rootcause: {}\n", why);
  exit(2);
}

// Relative paths are the user's (bazel run changes the working directory).
std::string UserPath(const std::string& p) {
  const char* wd = getenv("BUILD_WORKING_DIRECTORY");
  if (p.empty() || p[0] == '/' || wd == nullptr || *wd == '\0') return p;
  return std::string(wd) + "/" + p;
}

double ParsePositive(const std::string& s, const char* what) {
  errno = 0;
  char* end = nullptr;
  const double v = strtod(s.c_str(), &end);
  if (s.empty() || errno != 0 || *end != '\0' || !(v > 0)) Bad(fmt::format("{} must be a positive number, not '{}'", what, s));
  return v;
}

// Opens every output before any work, so a bad path fails first.
std::ofstream OpenOut(const std::string& path, const char* what) {
  std::ofstream f(path, std::ios::trunc);
  if (!f) Bad(fmt::format("{} {}: cannot write: {}", what, path, strerror(errno)));
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::string base, head, md, js, svg, base_name = "base", head_name = "head";
  double base_ops = 0, head_ops = 0;
  size_t top = 10;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      fmt::print("{}", kUsage);
      return 0;
    }
    if (i + 1 >= argc) Bad(fmt::format("{} needs a value (--help for usage)", a));
    const std::string v = argv[++i];
    if (a == "--base") base = UserPath(v);
    else if (a == "--head") head = UserPath(v);
    else if (a == "--base-ops") base_ops = ParsePositive(v, "--base-ops");
    else if (a == "--head-ops") head_ops = ParsePositive(v, "--head-ops");
    else if (a == "--markdown") md = UserPath(v);
    else if (a == "--json") js = UserPath(v);
    else if (a == "--svg") svg = UserPath(v);
    else if (a == "--base-name") base_name = v;
    else if (a == "--head-name") head_name = v;
    else if (a == "--top") top = size_t(ParsePositive(v, "--top"));
    else Bad(fmt::format("unknown option {} (--help for usage)", a));
  }
  if (base.empty() || head.empty()) Bad("--base and --head are required (--help for usage)");
  if (base_ops <= 0 || head_ops <= 0) Bad("--base-ops and --head-ops are required (--help for usage)");

  std::ofstream md_out, js_out, svg_out;
  if (!md.empty()) md_out = OpenOut(md, "--markdown");
  if (!js.empty()) js_out = OpenOut(js, "--json");
  if (!svg.empty()) svg_out = OpenOut(svg, "--svg");

  rootcause::Profile b, h;
  std::string err;
  if (!rootcause::LoadCallgrind(base, &b, &err)) Bad(err);
  if (!rootcause::LoadCallgrind(head, &h, &err)) Bad(err);
  if (b.functions.empty()) Bad(base + ": no function has a cost (was collection on?)");
  if (h.functions.empty()) Bad(head + ": no function has a cost (was collection on?)");

  rootcause::ProfileDiff d = rootcause::DiffProfiles(b, base_ops, h, head_ops);
  d.base_name = base_name;
  d.head_name = head_name;
  rootcause::RenderOptions ro;
  ro.top = top;
  fmt::print("{}", rootcause::RenderTable(d, ro));
  if (md_out.is_open()) md_out << rootcause::RenderMarkdown(d, ro);
  if (js_out.is_open()) js_out << rootcause::RenderJson(d, ro).dump(2) << "\n";
  if (svg_out.is_open()) svg_out << rootcause::RenderSvg(d, h, {}, ro);
  for (auto* f : {&md_out, &js_out, &svg_out}) {
    if (f->is_open()) {
      f->close();
      if (f->fail()) Bad("writing an output failed");
    }
  }
  return 0;
}
