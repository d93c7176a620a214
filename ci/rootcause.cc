#include "ci/rootcause.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <istream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace rootcause {

using nlohmann::json;

// ---- parsing ----
namespace {

std::vector<std::string> SplitWs(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string t;
  while (in >> t) out.push_back(t);
  return out;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool ParseU64(const std::string& s, uint64_t* v) {
  if (s.empty() || s[0] == '-' || s[0] == '+') return false;
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const char* begin = s.c_str() + (hex ? 2 : 0);
  if (!std::isxdigit(static_cast<unsigned char>(*begin))) return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long x = std::strtoull(begin, &end, hex ? 16 : 10);  // decimal or 0x hex
  if (errno != 0 || *end != '\0') return false;
  *v = x;
  return true;
}

// "f'2" -> "f" (callgrind's recursion levels).
std::string StripRecursionLevel(const std::string& name) {
  const size_t q = name.rfind('\'');
  if (q == std::string::npos || q == 0 || q + 1 >= name.size()) return name;
  for (size_t i = q + 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return name;
  }
  return name.substr(0, q);
}

class Parser {
 public:
  Parser(Profile* p, const ParseOptions& o) : p_(p), o_(o) {}

  bool Line(const std::string& raw, std::string* err) {
    ++lineno_;
    std::string line = raw;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (Trim(line).empty() || line[0] == '#') return true;
    if (pending_ != Pending::kNone) return PendingLine(line, err);
    const size_t eq = line.find('=');
    const size_t colon = line.find(':');
    if (eq != std::string::npos && (colon == std::string::npos || eq < colon) && IsSpecKey(line.substr(0, eq))) {
      return Spec(line.substr(0, eq), line.substr(eq + 1), err);
    }
    if (IsCostStart(line[0])) {
      std::vector<std::string> tok = SplitWs(line);
      std::vector<int64_t> pos;
      if (!Positions(tok, &pos, true, err)) return false;
      uint64_t cost = 0;
      if (!Cost(tok, &cost, err)) return false;
      if (fn_ == nullptr) return Fail(err, "cost line before any fn=");
      fn_->self += cost;
      p_->total += cost;
      if (line_index_ >= 0 && cost > 0) fn_->lines[{file_, long(pos[size_t(line_index_)])}] += cost;
      return true;
    }
    if (colon != std::string::npos && colon > 0 && IsHeaderKey(line.substr(0, colon))) {
      return Header(line.substr(0, colon), Trim(line.substr(colon + 1)), err);
    }
    return Fail(err, "cannot parse '" + line.substr(0, 60) + "'");
  }

  bool Finish(std::string* err) {
    if (pending_ == Pending::kCall) return Fail(err, "calls= without its cost line at the end of the file");
    if (event_index_ < 0) return Fail(err, "no 'events:' line: not a callgrind file");
    // Edges -> per-function lists; inclusive = self + calls to other functions.
    for (size_t i = 0; i < p_->edges.size(); ++i) {
      const CallEdge& e = p_->edges[i];
      Function& caller = p_->functions[e.caller];
      Function& callee = p_->functions[e.callee];
      caller.callees.push_back(i);
      callee.callers.push_back(i);
      callee.calls += e.calls;
    }
    for (auto& [name, f] : p_->functions) {
      uint64_t incl = f.self;
      for (size_t i : f.callees) {
        if (p_->edges[i].callee != name) incl += p_->edges[i].inclusive;
      }
      // Indirect recursion (f -> g -> f) counts f's nested frames twice; never exceed the whole.
      f.inclusive = std::min(incl, std::max(p_->total, f.self));
    }
    return true;
  }

 private:
  enum class Pending { kNone, kCall, kJump };

  bool Fail(std::string* err, const std::string& what) const {
    *err = fmt::format("line {}: {}", lineno_, what);
    return false;
  }

  static bool IsCostStart(char c) { return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '*'; }
  static bool IsSpecKey(const std::string& k) {
    static const std::set<std::string> keys = {"ob",  "fl",  "fi",    "fe",   "fn",   "cob", "cfi", "cfl",
                                               "cfn", "calls", "jump", "jcnd", "jfi", "jfn"};
    return keys.count(k) > 0;
  }
  static bool IsHeaderKey(const std::string& k) {
    return std::all_of(k.begin(), k.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
  }

  // "(id) name" defines, "(id)" references, anything else is an uncompressed name.
  bool Name(std::map<uint64_t, std::string>* ids, const std::string& value, std::string* out, std::string* err) {
    const std::string v = Trim(value);
    if (!v.empty() && v[0] == '(') {
      const size_t close = v.find(')');
      uint64_t id = 0;
      if (close != std::string::npos && close > 1 && ParseU64(v.substr(1, close - 1), &id) &&
          v.substr(1, close - 1).find_first_not_of("0123456789") == std::string::npos) {
        const std::string rest = Trim(v.substr(close + 1));
        if (!rest.empty()) {
          (*ids)[id] = rest;
          *out = rest;
          return true;
        }
        auto it = ids->find(id);
        if (it == ids->end()) return Fail(err, fmt::format("({}) refers to a name never defined", id));
        *out = it->second;
        return true;
      }
    }
    *out = v;  // e.g. "(anonymous namespace)::f()" uncompressed
    return true;
  }

  std::string FnName(const std::string& n) const { return o_.merge_recursion_levels ? StripRecursionLevel(n) : n; }

  Function* Get(const std::string& name, const std::string& object, const std::string& file) {
    auto [it, inserted] = p_->functions.try_emplace(name);
    if (inserted) {
      it->second.name = name;
      it->second.object = object;
      it->second.file = file;
    }
    return &it->second;
  }

  bool Spec(const std::string& key, const std::string& value, std::string* err) {
    std::string name;
    if (key == "ob" || key == "cob") {
      if (!Name(&ob_ids_, value, &name, err)) return false;
      (key == "ob" ? ob_ : cob_) = name;
      if (key == "ob") cob_ = name;
    } else if (key == "fl" || key == "fi" || key == "fe" || key == "cfi" || key == "cfl" || key == "jfi") {
      if (!Name(&fl_ids_, value, &name, err)) return false;
      if (key == "fl") {
        fl_ = file_ = cfile_ = name;
      } else if (key == "fi" || key == "fe") {
        file_ = cfile_ = name;
      } else if (key != "jfi") {
        cfile_ = name;
      }
    } else if (key == "fn" || key == "cfn" || key == "jfn") {
      if (!Name(&fn_ids_, value, &name, err)) return false;
      if (key == "fn") {
        fn_ = Get(FnName(name), ob_, fl_);
        file_ = cfile_ = fl_;
        cob_ = ob_;
        callee_.clear();
      } else if (key == "cfn") {
        callee_ = FnName(name);
      }
    } else if (key == "calls") {
      std::vector<std::string> tok = SplitWs(value);
      if (tok.empty() || !ParseU64(tok[0], &call_count_)) return Fail(err, "calls= needs a count");
      tok.erase(tok.begin());
      std::vector<int64_t> target;
      if (!Positions(tok, &target, false, err)) return false;
      if (callee_.empty()) return Fail(err, "calls= without cfn=");
      if (fn_ == nullptr) return Fail(err, "calls= before any fn=");
      pending_ = Pending::kCall;
    } else {  // jump=count target / jcnd=exe/jumps target: a position line follows
      pending_ = Pending::kJump;
    }
    return true;
  }

  bool PendingLine(const std::string& line, std::string* err) {
    const Pending what = pending_;
    pending_ = Pending::kNone;
    if (!IsCostStart(line[0])) {
      return Fail(err, what == Pending::kCall ? "calls= must be followed by a cost line" : "jump must be followed by a position line");
    }
    std::vector<std::string> tok = SplitWs(line);
    std::vector<int64_t> pos;
    if (!Positions(tok, &pos, true, err)) return false;
    if (what == Pending::kJump) return true;
    uint64_t cost = 0;
    if (!Cost(tok, &cost, err)) return false;
    const auto key = std::make_pair(fn_->name, callee_);
    auto it = edge_index_.find(key);
    if (it == edge_index_.end()) {
      Get(callee_, cob_, cfile_);
      it = edge_index_.emplace(key, p_->edges.size()).first;
      p_->edges.push_back({fn_->name, callee_, 0, 0});
    }
    p_->edges[it->second].calls += call_count_;
    p_->edges[it->second].inclusive += cost;
    cob_ = ob_;  // cob=/cfi= hold for one call
    cfile_ = file_;
    return true;
  }

  // The first npos tokens are subpositions: absolute (decimal or 0x hex), +N / -N relative to
  // the previous cost line, * the same. Only cost lines move the reference (update = true).
  bool Positions(const std::vector<std::string>& tok, std::vector<int64_t>* out, bool update, std::string* err) {
    if (tok.size() < positions_.size()) return Fail(err, fmt::format("expected {} position(s)", positions_.size()));
    out->assign(positions_.size(), 0);
    for (size_t i = 0; i < positions_.size(); ++i) {
      const std::string& t = tok[i];
      int64_t v = 0;
      uint64_t u = 0;
      if (t == "*") {
        v = last_[i];
      } else if (t[0] == '+' || t[0] == '-') {
        if (!ParseU64(t.substr(1), &u)) return Fail(err, "bad relative position '" + t + "'");
        v = t[0] == '+' ? last_[i] + int64_t(u) : last_[i] - int64_t(u);
      } else {
        if (!ParseU64(t, &u)) return Fail(err, "bad position '" + t + "'");
        v = int64_t(u);
      }
      (*out)[i] = v;
    }
    if (update) last_ = *out;
    return true;
  }

  bool Cost(const std::vector<std::string>& tok, uint64_t* cost, std::string* err) {
    if (event_index_ < 0) return Fail(err, "cost line before 'events:'");
    for (size_t i = positions_.size(); i < tok.size(); ++i) {
      uint64_t v = 0;
      if (!ParseU64(tok[i], &v)) return Fail(err, "bad cost '" + tok[i] + "'");
      if (i - positions_.size() == size_t(event_index_)) *cost = v;
    }
    return true;
  }

  bool Header(const std::string& key, const std::string& value, std::string* err) {
    if (key == "events") {
      p_->events = SplitWs(value);
      auto it = std::find(p_->events.begin(), p_->events.end(), o_.event);
      if (it == p_->events.end()) return Fail(err, "no event '" + o_.event + "' in 'events: " + value + "'");
      event_index_ = int(it - p_->events.begin());
      p_->event = o_.event;
    } else if (key == "positions") {
      positions_ = SplitWs(value);
      line_index_ = -1;
      for (size_t i = 0; i < positions_.size(); ++i) {
        if (positions_[i] == "line") line_index_ = int(i);
        else if (positions_[i] != "instr") return Fail(err, "unknown position '" + positions_[i] + "'");
      }
      last_.assign(positions_.size(), 0);
    } else if (key == "cmd") {
      p_->cmd = value;
    } else if (key == "totals") {
      const std::vector<std::string> tok = SplitWs(value);
      uint64_t v = 0;
      if (event_index_ >= 0 && size_t(event_index_) < tok.size() && ParseU64(tok[size_t(event_index_)], &v)) {
        p_->totals_line += v;
      }
    }
    return true;  // version, creator, pid, part, desc, summary, event, ...: nothing to keep
  }

  Profile* p_;
  ParseOptions o_;
  size_t lineno_ = 0;
  int event_index_ = -1;
  std::vector<std::string> positions_ = {"line"};
  int line_index_ = 0;
  std::vector<int64_t> last_ = {0};
  std::map<uint64_t, std::string> ob_ids_, fl_ids_, fn_ids_;
  std::string ob_, fl_, file_, cob_, cfile_, callee_;
  Function* fn_ = nullptr;
  Pending pending_ = Pending::kNone;
  uint64_t call_count_ = 0;
  std::map<std::pair<std::string, std::string>, size_t> edge_index_;
};

}  // namespace

const Function* Profile::Find(const std::string& name) const {
  auto it = functions.find(name);
  return it == functions.end() ? nullptr : &it->second;
}

const Function* Profile::FindShort(const std::string& short_name) const {
  if (const Function* f = Find(short_name)) return f;
  for (const auto& [name, f] : functions) {
    if (ShortName(name) == short_name) return &f;
  }
  return nullptr;
}

bool ParseCallgrind(std::istream& in, Profile* out, std::string* err, const ParseOptions& options) {
  *out = Profile();
  Parser parser(out, options);
  std::string line;
  while (std::getline(in, line)) {
    if (!parser.Line(line, err)) return false;
  }
  return parser.Finish(err);
}

bool LoadCallgrind(const std::string& path, Profile* out, std::string* err, const ParseOptions& options) {
  std::ifstream f(path);
  if (!f) {
    *err = path + ": cannot open";
    return false;
  }
  if (!ParseCallgrind(f, out, err, options)) {
    *err = path + ": " + *err;
    return false;
  }
  return true;
}

// ---- short names ----
namespace {

bool IsIdent(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Position of a top-level "operator" token (operator(), operator<, operator new), or npos.
size_t OperatorPos(const std::string& s) {
  size_t pos = s.rfind("operator");
  while (pos != std::string::npos) {
    const bool start_ok = pos == 0 || s[pos - 1] == ':' || s[pos - 1] == ' ';
    const bool end_ok = pos + 8 >= s.size() || !IsIdent(s[pos + 8]);
    if (start_ok && end_ok) return pos;
    if (pos == 0) break;
    pos = s.rfind("operator", pos - 1);
  }
  return std::string::npos;
}

int Depth(char c) {
  switch (c) {
    case '(': case '<': case '[': case '{': return 1;
    case ')': case '>': case ']': case '}': return -1;
    default: return 0;
  }
}

// Splits on "::" outside brackets.
std::vector<std::string> SplitScopes(const std::string& s) {
  std::vector<std::string> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    depth += Depth(s[i]);
    if (depth == 0 && s[i] == ':' && i + 1 < s.size() && s[i + 1] == ':') {
      out.push_back(s.substr(start, i - start));
      start = i + 2;
      ++i;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

// "vector<int, std::allocator<int> >" -> "vector<...>" when the arguments are long.
std::string ShrinkTemplate(const std::string& c) {
  const size_t lt = c.find('<');
  if (lt == std::string::npos) return c;
  int depth = 0;
  for (size_t i = lt; i < c.size(); ++i) {
    if (c[i] == '<') ++depth;
    if (c[i] == '>' && --depth == 0) {
      if (i - lt - 1 > 20) return c.substr(0, lt) + "<...>" + ShrinkTemplate(c.substr(i + 1));
      return c.substr(0, i + 1) + ShrinkTemplate(c.substr(i + 1));
    }
  }
  return c;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string ShortName(const std::string& full) {
  std::string s = StripRecursionLevel(Trim(full));
  const size_t at = s.find('@');  // symbol version: pthread_mutex_lock@@GLIBC_2.2.5
  if (at != std::string::npos && at > 0) s = s.substr(0, at);
  std::string clones;  // " [clone .isra.0] [clone .cold]" -> ".isra.0.cold"
  for (;;) {
    const size_t c = s.rfind(" [clone ");
    if (c == std::string::npos || !EndsWith(s, "]")) break;
    clones = s.substr(c + 8, s.size() - c - 9) + clones;
    s = Trim(s.substr(0, c));
  }
  for (bool again = true; again;) {
    again = false;
    for (const char* q : {" const", " volatile", " &&", " &", " noexcept"}) {
      if (EndsWith(s, q)) {
        s = Trim(s.substr(0, s.size() - std::string(q).size()));
        again = true;
      }
    }
  }
  if (EndsWith(s, ")")) {  // the argument list
    int depth = 0;
    for (size_t i = s.size(); i-- > 0;) {
      if (s[i] == ')') ++depth;
      if (s[i] == '(' && --depth == 0) {
        if (i > 0) s = Trim(s.substr(0, i));
        break;
      }
    }
  }
  // "operator..." is atomic (its characters would confuse the bracket depth).
  std::string tail;
  const size_t op = OperatorPos(s);
  if (op != std::string::npos) {
    tail = s.substr(op);
    s = s.substr(0, op);
  }
  {  // the return type: everything before the last top-level space
    int depth = 0;
    size_t cut = std::string::npos;
    for (size_t i = 0; i < s.size(); ++i) {
      depth += Depth(s[i]);
      if (depth == 0 && s[i] == ' ') cut = i;
    }
    if (cut != std::string::npos) s = s.substr(cut + 1);
  }
  std::vector<std::string> scopes;
  if (!s.empty()) scopes = SplitScopes(EndsWith(s, "::") ? s.substr(0, s.size() - 2) : s);
  if (!tail.empty()) scopes.push_back(tail);
  // Leading namespaces: "(anonymous namespace)" and lowercase names without template arguments.
  size_t first = 0;
  while (first + 1 < scopes.size()) {
    const std::string& c = scopes[first];
    const bool anon = c == "(anonymous namespace)";
    const bool lower_ns = !c.empty() && (std::islower(static_cast<unsigned char>(c[0])) || c[0] == '_') &&
                          c.find_first_of("<({") == std::string::npos;
    if (!anon && !lower_ns) break;
    ++first;
  }
  std::string out;
  for (size_t i = first; i < scopes.size(); ++i) {
    if (!out.empty()) out += "::";
    out += (i + 1 == scopes.size() && !tail.empty()) ? scopes[i] : ShrinkTemplate(scopes[i]);
  }
  if (out.empty()) out = Trim(full);
  return out + clones;
}

// ---- diff ----
namespace {

std::vector<CallerShare> CallersOf(const Profile& p, const Function& f, double ops) {
  std::vector<CallerShare> out;
  uint64_t sum = 0;
  for (size_t i : f.callers) {
    if (p.edges[i].caller != f.name) sum += p.edges[i].inclusive;
  }
  for (size_t i : f.callers) {
    const CallEdge& e = p.edges[i];
    if (e.caller == f.name) continue;  // recursion is not a caller
    CallerShare c;
    c.name = e.caller;
    c.short_name = ShortName(e.caller);
    c.calls_per_op = double(e.calls) / ops;
    c.inclusive_per_op = double(e.inclusive) / ops;
    c.share = sum > 0 ? double(e.inclusive) / double(sum) : 0;
    out.push_back(c);
  }
  std::sort(out.begin(), out.end(), [](const CallerShare& a, const CallerShare& b) {
    if (a.inclusive_per_op != b.inclusive_per_op) return a.inclusive_per_op > b.inclusive_per_op;
    if (a.calls_per_op != b.calls_per_op) return a.calls_per_op > b.calls_per_op;
    return a.name < b.name;
  });
  if (out.size() > 3) out.resize(3);
  return out;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool OnPath(const Function* f) { return f != nullptr && (f->self > 0 || f->calls > 0 || f->inclusive > 0); }

}  // namespace

const FunctionDiff* ProfileDiff::Find(const std::string& full_or_short_name) const {
  for (const auto& f : functions) {
    if (f.name == full_or_short_name) return &f;
  }
  for (const auto& f : functions) {
    if (f.short_name == full_or_short_name) return &f;
  }
  return nullptr;
}

ProfileDiff DiffProfiles(const Profile& base, double base_ops, const Profile& head, double head_ops) {
  if (!(base_ops > 0) || !(head_ops > 0)) {
    throw std::invalid_argument(fmt::format("operation counts must be positive (base {}, head {})", base_ops, head_ops));
  }
  ProfileDiff d;
  d.event = head.event.empty() ? base.event : head.event;
  d.base_ops = base_ops;
  d.head_ops = head_ops;
  d.base_total = double(base.total) / base_ops;
  d.head_total = double(head.total) / head_ops;
  std::set<std::string> names;
  for (const auto& kv : base.functions) names.insert(kv.first);
  for (const auto& kv : head.functions) names.insert(kv.first);
  for (const std::string& name : names) {
    const Function* b = base.Find(name);
    const Function* h = head.Find(name);
    FunctionDiff f;
    f.name = name;
    f.short_name = ShortName(name);
    if (b != nullptr) {
      f.base_self = double(b->self) / base_ops;
      f.base_inclusive = double(b->inclusive) / base_ops;
      f.base_calls = double(b->calls) / base_ops;
    }
    if (h != nullptr) {
      f.head_self = double(h->self) / head_ops;
      f.head_inclusive = double(h->inclusive) / head_ops;
      f.head_calls = double(h->calls) / head_ops;
    }
    f.new_in_head = OnPath(h) && !OnPath(b);
    f.gone_in_head = OnPath(b) && !OnPath(h);
    const bool use_base = f.gone_in_head;
    const Profile& p = use_base ? base : head;
    const Function* src = use_base ? b : h;
    const double ops = use_base ? base_ops : head_ops;
    if (src != nullptr) {
      f.callers = CallersOf(p, *src, ops);
      uint64_t best = 0;
      for (const auto& [where, cost] : src->lines) {
        if (cost > best) {
          best = cost;
          f.hot_line = fmt::format("{}:{}", BaseName(where.first), where.second);
        }
      }
      f.hot_line_per_op = double(best) / ops;
    }
    d.functions.push_back(std::move(f));
  }
  std::sort(d.functions.begin(), d.functions.end(), [](const FunctionDiff& a, const FunctionDiff& b) {
    const double sa = std::fabs(a.self_delta()), sb = std::fabs(b.self_delta());
    if (sa != sb) return sa > sb;
    const double ia = std::fabs(a.inclusive_delta()), ib = std::fabs(b.inclusive_delta());
    if (ia != ib) return ia > ib;
    return a.name < b.name;
  });
  std::vector<const FunctionDiff*> fresh, gone;
  for (const auto& f : d.functions) {
    if (f.new_in_head) fresh.push_back(&f);
    if (f.gone_in_head) gone.push_back(&f);
  }
  std::stable_sort(fresh.begin(), fresh.end(),
                   [](const FunctionDiff* a, const FunctionDiff* b) { return a->head_inclusive > b->head_inclusive; });
  std::stable_sort(gone.begin(), gone.end(),
                   [](const FunctionDiff* a, const FunctionDiff* b) { return a->base_inclusive > b->base_inclusive; });
  for (const FunctionDiff* f : fresh) d.new_in_head.push_back(f->name);
  for (const FunctionDiff* f : gone) d.gone_in_head.push_back(f->name);
  return d;
}

// ---- rendering ----
namespace {

// 0 stays "0"; small non-zero values keep two significant digits.
std::string Num(double v) {
  if (v == 0) return "0";
  if (std::fabs(v) < 0.05) return fmt::format("{:.2g}", v);
  return fmt::format("{:.1f}", v);
}
std::string Signed(double v) { return (v > 0 ? "+" : "") + Num(v); }
std::string Calls(double v) { return v == 0 ? "0" : std::fabs(v) < 0.005 ? fmt::format("{:.2g}", v) : fmt::format("{:.2f}", v); }
std::string Unit(const ProfileDiff& d) { return d.event == "Ir" || d.event.empty() ? "instr/op" : d.event + "/op"; }
std::string Percent(double share) { return fmt::format("{:.0f}%", share * 100); }

std::string CalledFrom(const FunctionDiff& f) {
  if (f.callers.empty()) return "no recorded caller";
  std::string s = f.gone_in_head ? "was called from " : "called from ";
  if (f.callers.size() == 1 || f.callers[0].share >= 0.995) return s + f.callers[0].short_name;
  for (size_t i = 0; i < f.callers.size(); ++i) {
    if (i > 0) s += ", ";
    s += f.callers[i].short_name + " (" + Percent(f.callers[i].share) + ")";
  }
  return s;
}

std::string MdName(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '`') out += "'";
    else out += c;
  }
  return "`" + out + "`";
}

std::string Xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\n': out += "&#10;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;
    }
  }
  return out;
}

std::string Status(const FunctionDiff& f) { return f.new_in_head ? "new" : f.gone_in_head ? "gone" : ""; }

}  // namespace

bool Moved(const ProfileDiff& d, const FunctionDiff& f, const RenderOptions& o) {
  const double limit = std::max(o.min_delta, o.min_share * d.base_total);
  return std::fabs(f.self_delta()) >= limit;
}

std::vector<const FunctionDiff*> TopMovers(const ProfileDiff& d, const RenderOptions& o) {
  std::vector<const FunctionDiff*> out;
  for (const auto& f : d.functions) {
    if (out.size() >= o.top) break;
    if (Moved(d, f, o)) out.push_back(&f);
  }
  return out;
}

std::vector<std::string> Headlines(const ProfileDiff& d, const RenderOptions& o) {
  std::vector<std::string> out;
  for (const FunctionDiff* f : TopMovers(d, o)) {
    std::string s = fmt::format("{}: {} -> {} {} self", f->short_name, Num(f->base_self), Num(f->head_self), Unit(d));
    const bool has_callees = std::fabs(f->head_inclusive - f->head_self) >= o.min_delta ||
                             std::fabs(f->base_inclusive - f->base_self) >= o.min_delta;
    if (has_callees) s += fmt::format(" ({} -> {} inclusive)", Num(f->base_inclusive), Num(f->head_inclusive));
    if (f->new_in_head) s += ", new on the path";
    if (f->gone_in_head) s += ", gone from the path";
    s += ", " + CalledFrom(*f);
    out.push_back(s);
  }
  return out;
}

std::string NewOnPathLine(const ProfileDiff& d, const RenderOptions& o) {
  // Worth a word: new functions that cost as much as a mover (inclusive); the data lists all.
  const double limit = std::max(o.min_delta, o.min_share * d.base_total);
  std::vector<const FunctionDiff*> worth;
  for (const std::string& name : d.new_in_head) {
    const FunctionDiff* f = d.Find(name);
    if (f != nullptr && f->head_inclusive >= limit) worth.push_back(f);
  }
  if (worth.empty()) return "";
  std::string s = "New on the path: ";
  size_t shown = 0;
  for (const FunctionDiff* f : worth) {
    if (shown == o.top) {
      s += fmt::format(", and {} more", worth.size() - shown);
      break;
    }
    if (shown > 0) s += ", ";
    s += fmt::format("{} ({} {} inclusive, {})", f->short_name, Num(f->head_inclusive), Unit(d), CalledFrom(*f));
    ++shown;
  }
  return s;
}

std::string RenderTable(const ProfileDiff& d, const RenderOptions& o) {
  std::string s = fmt::format("root cause ({}): base {} -> head {}: {} -> {} {} ({})\n\n", d.event, d.base_name,
                              d.head_name, Num(d.base_total), Num(d.head_total), Unit(d), Signed(d.total_delta()));
  s += fmt::format("{:<40} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}  {}\n", "function", "self b", "self h", "delta",
                   "incl b", "incl h", "calls h", "main caller (head)");
  for (const FunctionDiff* f : TopMovers(d, o)) {
    std::string name = f->short_name;
    if (!Status(*f).empty()) name += " (" + Status(*f) + ")";
    if (name.size() > 40) name = name.substr(0, 37) + "...";
    s += fmt::format("{:<40} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}  {}\n", name, Num(f->base_self), Num(f->head_self),
                     Signed(f->self_delta()), Num(f->base_inclusive), Num(f->head_inclusive), Calls(f->head_calls),
                     f->callers.empty() ? "-" : f->callers[0].short_name);
  }
  s += "\n";
  for (const std::string& h : Headlines(d, o)) s += "- " + h + "\n";
  const std::string fresh = NewOnPathLine(d, o);
  if (!fresh.empty()) s += fresh + "\n";
  return s;
}

std::string RenderMarkdown(const ProfileDiff& d, const RenderOptions& o) {
  const double pct = d.base_total > 0 ? 100 * d.total_delta() / d.base_total : 0;
  std::string s = fmt::format("#### Where the instructions went (callgrind {}, base `{}` -> head `{}`)\n\n", d.event,
                              d.base_name, d.head_name);
  s += fmt::format("Total: {} -> {} {} ({}, {:+.1f}%).\n\n", Num(d.base_total), Num(d.head_total), Unit(d),
                   Signed(d.total_delta()), pct);
  const std::string fresh = NewOnPathLine(d, o);
  if (!fresh.empty()) s += "**" + fresh + "**\n\n";
  const std::vector<std::string> heads = Headlines(d, o);
  for (const std::string& h : heads) {
    const size_t colon = h.find(": ");
    s += "- **" + h.substr(0, colon) + "**" + h.substr(colon) + "\n";
  }
  if (heads.empty()) s += "- no function moved by more than the reporting threshold\n";
  s += fmt::format("\n| function | self base | self head | delta | incl. base | incl. head | calls/op head | main "
                   "caller (head) | hottest line (head) |\n");
  s += "|---|---:|---:|---:|---:|---:|---:|---|---|\n";
  for (const FunctionDiff* f : TopMovers(d, o)) {
    s += fmt::format("| {}{} | {} | {} | {} | {} | {} | {} | {} | {} |\n", MdName(f->short_name),
                     Status(*f).empty() ? "" : " (" + Status(*f) + ")", Num(f->base_self), Num(f->head_self),
                     Signed(f->self_delta()), Num(f->base_inclusive), Num(f->head_inclusive), Calls(f->head_calls),
                     f->callers.empty() ? "-" : MdName(f->callers[0].short_name),
                     f->hot_line.empty() ? "-" : fmt::format("{} ({})", MdName(f->hot_line), Num(f->hot_line_per_op)));
  }
  s += fmt::format("\n{} = {} per operation (base {} ops, head {} ops); self = exclusive, incl. = with callees.\n",
                   Unit(d), d.event == "Ir" ? "instructions" : d.event, d.base_ops, d.head_ops);
  return s;
}

json RenderJson(const ProfileDiff& d, const RenderOptions& o) {
  json j = {{"event", d.event},           {"base", d.base_name},           {"head", d.head_name},
            {"base_ops", d.base_ops},     {"head_ops", d.head_ops},        {"base_total_per_op", d.base_total},
            {"head_total_per_op", d.head_total}, {"total_delta_per_op", d.total_delta()},
            {"new_in_head", d.new_in_head},      {"gone_in_head", d.gone_in_head},
            {"headlines", Headlines(d, o)}};
  j["top_movers"] = json::array();
  for (const FunctionDiff* f : TopMovers(d, o)) j["top_movers"].push_back(f->name);
  j["functions"] = json::array();
  for (const auto& f : d.functions) {
    json callers = json::array();
    for (const auto& c : f.callers) {
      callers.push_back({{"name", c.name}, {"short_name", c.short_name}, {"calls_per_op", c.calls_per_op},
                         {"inclusive_per_op", c.inclusive_per_op}, {"share", c.share}});
    }
    j["functions"].push_back({{"name", f.name},
                              {"short_name", f.short_name},
                              {"base_self_per_op", f.base_self},
                              {"head_self_per_op", f.head_self},
                              {"self_delta_per_op", f.self_delta()},
                              {"base_inclusive_per_op", f.base_inclusive},
                              {"head_inclusive_per_op", f.head_inclusive},
                              {"inclusive_delta_per_op", f.inclusive_delta()},
                              {"base_calls_per_op", f.base_calls},
                              {"head_calls_per_op", f.head_calls},
                              {"new_in_head", f.new_in_head},
                              {"gone_in_head", f.gone_in_head},
                              {"moved", Moved(d, f, o)},
                              {"hot_line", f.hot_line},
                              {"hot_line_per_op", f.hot_line_per_op},
                              {"callers", callers}});
  }
  return j;
}

// ---- differential flame graph ----

const char kAllFrame[] = "(all)";

std::vector<FlameFrame> BuildFlame(const Profile& head, const FlameOptions& o) {
  std::vector<FlameFrame> frames;
  // Roots: functions nobody else calls (with --instr-atstart=no, those already running).
  std::vector<const Function*> roots;
  for (const auto& [name, f] : head.functions) {
    const bool uncalled =
        std::all_of(f.callers.begin(), f.callers.end(), [&](size_t i) { return head.edges[i].caller == name; });
    if (uncalled && f.inclusive > 0) roots.push_back(&f);
  }
  std::stable_sort(roots.begin(), roots.end(),
                   [](const Function* a, const Function* b) { return a->inclusive > b->inclusive; });
  const Function* root = nullptr;
  if (!o.root.empty()) {
    root = head.FindShort(o.root);
    if (root == nullptr) return frames;
  } else if (const Function* m = head.Find("main"); m != nullptr && double(m->inclusive) >= 0.95 * double(head.total)) {
    root = m;
  } else if (roots.size() == 1) {
    root = roots[0];
  }
  const double total = root != nullptr ? double(root->inclusive) : double(head.total);
  if (total <= 0) return frames;
  const double min_width = o.min_fraction * total;
  std::vector<const Function*> stack;
  std::function<void(const Function&, int, double, double)> expand = [&](const Function& f, int depth, double x,
                                                                          double width) {
    frames.push_back({f.name, depth, x, width});
    if (depth + 1 >= o.max_depth || f.inclusive == 0) return;
    stack.push_back(&f);
    std::vector<const CallEdge*> out;
    for (size_t i : f.callees) out.push_back(&head.edges[i]);
    std::sort(out.begin(), out.end(), [](const CallEdge* a, const CallEdge* b) {
      return a->inclusive != b->inclusive ? a->inclusive > b->inclusive : a->callee < b->callee;
    });
    const double scale = width / double(f.inclusive);
    double cx = x;
    for (const CallEdge* e : out) {
      const Function* g = head.Find(e->callee);
      if (g == nullptr || std::find(stack.begin(), stack.end(), g) != stack.end()) continue;
      const double w = std::min(double(e->inclusive) * scale, x + width - cx);
      if (w < min_width || w <= 0) continue;
      expand(*g, depth + 1, cx, w);
      cx += w;
    }
    stack.pop_back();
  };
  if (root != nullptr) {
    expand(*root, 0, 0, total);
    return frames;
  }
  // Several roots (threads, or main only part of the cost): one "(all)" frame above them.
  frames.push_back({kAllFrame, 0, 0, total});
  if (o.max_depth <= 1) return frames;
  double cx = 0;
  for (const Function* r : roots) {
    const double w = std::min(double(r->inclusive), total - cx);
    if (w < min_width || w <= 0) continue;
    expand(*r, 1, cx, w);
    cx += w;
  }
  return frames;
}

std::string RenderSvg(const ProfileDiff& d, const Profile& head, const FlameOptions& fo, const RenderOptions& ro) {
  const std::vector<FlameFrame> frames = BuildFlame(head, fo);
  int max_depth = 0;
  for (const auto& f : frames) max_depth = std::max(max_depth, f.depth);
  const double top = 58, pad = 10;
  const double W = fo.width_px, H = top + (max_depth + 1) * fo.frame_px + 30;
  const double root_width = frames.empty() ? 1 : frames[0].width;
  const double scale = (W - 2 * pad) / root_width;
  double max_delta = 0;
  for (const auto& f : d.functions) max_delta = std::max(max_delta, std::fabs(f.self_delta()));

  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{:.0f}\" height=\"{:.0f}\" "
      "viewBox=\"0 0 {:.0f} {:.0f}\" font-family=\"monospace\" font-size=\"11\">\n",
      W, H, W, H);
  s += fmt::format("<rect x=\"0\" y=\"0\" width=\"{:.0f}\" height=\"{:.0f}\" fill=\"#fbfbf8\"/>\n", W, H);
  s += fmt::format("<text x=\"{:.0f}\" y=\"20\" font-size=\"14\" text-anchor=\"middle\">{}</text>\n", W / 2,
                   Xml(fmt::format("Differential flame graph: head {} vs base {} ({} -> {} {})", d.head_name,
                                   d.base_name, Num(d.base_total), Num(d.head_total), Unit(d))));
  s += fmt::format("<text x=\"{:.0f}\" y=\"38\" text-anchor=\"middle\" fill=\"#555\">{}</text>\n", W / 2,
                   Xml("width = head inclusive cost (approximate stacks from callgrind call edges); colour = self "
                       "cost per op vs base"));
  const struct {
    const char* fill;
    const char* label;
  } legend[] = {{"rgb(225,60,50)", "grew"}, {"rgb(60,110,220)", "shrank"}, {"rgb(205,205,205)", "unchanged"}};
  double lx = pad;
  for (const auto& l : legend) {
    s += fmt::format("<rect x=\"{:.0f}\" y=\"44\" width=\"10\" height=\"10\" fill=\"{}\"/>", lx, l.fill);
    s += fmt::format("<text x=\"{:.0f}\" y=\"53\">{}</text>\n", lx + 14, l.label);
    lx += 90;
  }
  s += "<g id=\"frames\">\n";
  for (const auto& fr : frames) {
    const FunctionDiff* f = d.Find(fr.name);
    std::string fill = "rgb(205,205,205)";
    if (f != nullptr && Moved(d, *f, ro) && max_delta > 0) {
      const double t = 0.3 + 0.7 * std::min(1.0, std::fabs(f->self_delta()) / max_delta);
      auto mix = [t](int a, int b) { return int(std::lround(a + (b - a) * t)); };
      fill = f->self_delta() > 0 ? fmt::format("rgb({},{},{})", mix(250, 215), mix(215, 40), mix(210, 35))
                                 : fmt::format("rgb({},{},{})", mix(210, 45), mix(220, 95), mix(250, 215));
    }
    const double x = pad + fr.x * scale, w = fr.width * scale;
    const double y = top + (max_depth - fr.depth) * fo.frame_px;
    std::string tip = fmt::format("{}\nframe: {} {} ({:.1f}% of the root)", fr.name, Num(fr.width / d.head_ops),
                                  Unit(d), 100 * fr.width / root_width);
    if (f != nullptr) {
      tip += fmt::format("\nself: {} -> {} ({})\ninclusive: {} -> {}\ncalls/op: {} -> {}", Num(f->base_self),
                         Num(f->head_self), Signed(f->self_delta()), Num(f->base_inclusive), Num(f->head_inclusive),
                         Calls(f->base_calls), Calls(f->head_calls));
      if (f->new_in_head) tip += "\nnew on the path";
    }
    s += fmt::format("<g><title>{}</title><rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" "
                     "fill=\"{}\" stroke=\"#fbfbf8\" stroke-width=\"0.5\" rx=\"2\"/>",
                     Xml(tip), x, y, w, fo.frame_px - 1, fill);
    const std::string label = f != nullptr ? f->short_name : ShortName(fr.name);
    const size_t fit = w > 8 ? size_t((w - 6) / 6.6) : 0;
    if (fit >= 3) {
      const std::string text = label.size() <= fit ? label : label.substr(0, fit - 2) + "..";
      s += fmt::format("<text x=\"{:.2f}\" y=\"{:.1f}\">{}</text>", x + 3, y + fo.frame_px - 5, Xml(text));
    }
    s += "</g>\n";
  }
  s += "</g>\n";
  if (frames.empty()) s += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\">no call tree in the head profile</text>\n", pad, top + 12);
  s += "</svg>\n";
  return s;
}

}  // namespace rootcause
