// sweep_render.cc — harness, the sweep's rendering step (see sweep_render.h).
#include "harness/sweep_render.h"

#include <map>
#include <set>

#include <fmt/format.h>

namespace sweep {

std::string Human(double ops) { return fmt::format("{:.1f}M", ops / 1e6); }

std::string RenderTables(const lab::Result& r, const std::vector<std::string>& variants, int rounds,
                         bool instructions) {
  std::string s;
  // Rows: (workload, params) in measurement order; cells by variant.
  std::vector<const lab::Point*> rows;
  std::set<std::string> row_keys;
  std::map<std::string, const lab::Point*> by_key;  // Key() -> point
  for (const auto& p : r.points) {
    by_key[p.Key()] = &p;
    lab::Point q = p;
    q.variant.clear();
    if (row_keys.insert(q.Key()).second) rows.push_back(&p);
  }
  auto at = [&](const lab::Point* row, const std::string& v) -> const lab::Point* {
    lab::Point q = *row;
    q.variant = v;
    auto it = by_key.find(q.Key());
    return it == by_key.end() || it->second->samples.empty() ? nullptr : it->second;
  };
  if (variants.empty()) return s;
  const std::string& ref = variants.front();
  auto header = [&](const char* first) {
    s += fmt::format("\n{:<22} {:<13}", first, "point");
    for (const auto& v : variants) s += fmt::format(" {:>14}", v);
    s += "\n";
  };
  header("workload");
  for (const lab::Point* row : rows) {
    const lab::Point* rp = at(row, ref);
    if (rp == nullptr) continue;
    s += fmt::format("{:<22} {:<13}", row->workload, row->Label());
    for (const auto& v : variants) {
      const lab::Point* p = at(row, v);
      if (p == nullptr) {
        s += fmt::format(" {:>14}", "-");
      } else if (v == ref) {
        s += fmt::format(" {:>14}", Human(p->median));
      } else {
        s += fmt::format(" {:>14}", fmt::format("{} x{:.2f}", Human(p->median), p->median / rp->median));
      }
    }
    s += "\n";
  }
  s += fmt::format("(median ops/s of {} interleaved rounds; xN = ratio to {})\n", rounds, ref);
  if (!instructions) return s;
  header("instr/op");
  for (const lab::Point* row : rows) {
    const lab::Point* rp = at(row, ref);
    if (rp == nullptr || !rp->instructions_per_op) continue;
    s += fmt::format("{:<22} {:<13}", row->workload, row->Label());
    for (const auto& v : variants) {
      const lab::Point* p = at(row, v);
      s += fmt::format(" {:>14}", p && p->instructions_per_op ? fmt::format("{:.1f}", *p->instructions_per_op) : "-");
    }
    s += "\n";
  }
  auto fast = [&](const char* title, const std::map<std::string, std::map<std::string, double>>& m) {
    s += fmt::format("\n{:<36}", title);
    for (const auto& v : variants) s += fmt::format(" {:>14}", v);
    for (const char* k : {"malloc_hit", "free_hit"}) {
      s += fmt::format("\n{:<36}", std::string("tiny ") + k);
      for (const auto& v : variants) {
        auto it = m.find(v);
        const bool has = it != m.end() && it->second.count(k);
        s += fmt::format(" {:>14}", has ? fmt::format("{:.1f}", it->second.at(k)) : "-");
      }
    }
  };
  fast("fast path (instructions)", r.fastpath);
  s += "\n(one call between callgrind toggles, call and return included)\n";
  if (!r.fastpath_cycles.empty()) {
    fast("fast path (TSC ticks per call)", r.fastpath_cycles);
    s += fmt::format("\n({}; median of {} rounds)\n", r.fastpath_cycles_clock, rounds);
  }
  return s;
}

}  // namespace sweep
