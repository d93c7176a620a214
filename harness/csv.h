// csv.h — harness utility: RFC 4180 rows for the --csv outputs of sweep and gate (spreadsheet
// and pandas friendly: one header row, one row per point, empty cell = not measured).
#ifndef HAKMEM_HARNESS_CSV_H_
#define HAKMEM_HARNESS_CSV_H_

#include <optional>
#include <string>
#include <vector>

#include "harness/result.h"

namespace lab {

// A field quoted when it holds a comma, a quote or a line break (quotes doubled).
inline std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
inline std::string CsvNumber(const std::optional<double>& v) { return v ? ExactNumber(*v) : ""; }
inline std::string CsvRow(const std::vector<std::string>& fields) {
  std::string row;
  for (size_t i = 0; i < fields.size(); ++i) row += (i ? "," : "") + CsvField(fields[i]);
  return row + "\n";
}

// One row per point of a result: what the sweep's --csv writes.
inline std::string ResultCsv(const Result& r) {
  std::string out = CsvRow({"commit", "machine", "workload", "label", "params", "variant", "unit", "samples", "median",
                            "mad", "ci95_lo", "ci95_hi", "instructions_per_op", "peak_rss_kb", "rss_after_free_kb",
                            "p99_ns_per_op"});
  for (const auto& p : r.points) {
    out += CsvRow({r.commit, r.machine.fingerprint, p.workload, p.Label(), p.ParamString(), p.variant, p.unit,
                   std::to_string(p.samples.size()), ExactNumber(p.median), ExactNumber(p.mad), ExactNumber(p.ci_lo),
                   ExactNumber(p.ci_hi), CsvNumber(p.instructions_per_op), CsvNumber(p.peak_rss_kb),
                   CsvNumber(p.rss_after_free_kb), CsvNumber(p.p99_ns_per_op)});
  }
  return out;
}

}  // namespace lab

#endif  // HAKMEM_HARNESS_CSV_H_
