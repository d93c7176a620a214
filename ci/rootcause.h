// rootcause.h — where did the instructions go? Callgrind profiles of base and head, in steps:
//   ParseCallgrind()  callgrind out file -> Profile (per function: exclusive, inclusive, calls,
//                     caller -> callee edges)
//   DiffProfiles()    two profiles + operation counts -> ProfileDiff (per function, per op)
//   Render*()         ProfileDiff -> table, Markdown section, JSON, differential flame graph (SVG)
// Nothing here runs valgrind or writes files; the gate (or ci/rootcause_main.cc) does the I/O.
#ifndef HAKMEM_CI_ROOTCAUSE_H_
#define HAKMEM_CI_ROOTCAUSE_H_

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace rootcause {

// ---- one profile ----

// All calls from one function to another, summed over call sites.
struct CallEdge {
  std::string caller, callee;  // full names (keys of Profile::functions)
  uint64_t calls = 0;
  uint64_t inclusive = 0;  // cost spent in the callee (and below) on behalf of these calls
};

struct Function {
  std::string name;    // as callgrind prints it: demangled, with argument list
  std::string object;  // ob= (ELF object) and fl= (source file) where it was first seen
  std::string file;
  uint64_t self = 0;       // exclusive cost
  uint64_t inclusive = 0;  // self + calls to other functions (capped at the profile's total)
  uint64_t calls = 0;      // times called (incoming calls= counts; recursive calls included)
  std::vector<size_t> callers, callees;  // indices into Profile::edges
  // Exclusive cost per source line ("file", line); the file is fi=/fe= for inlined code.
  std::map<std::pair<std::string, long>, uint64_t> lines;
};

struct Profile {
  std::string cmd;                  // "cmd:" header (the profiled command line)
  std::vector<std::string> events;  // "events:" header, e.g. {"Ir"}
  std::string event;                // the event read into the costs ("Ir")
  uint64_t total = 0;               // sum of all exclusive costs
  uint64_t totals_line = 0;         // the file's own "totals:" value (0 when absent)
  std::map<std::string, Function> functions;  // by full name
  std::vector<CallEdge> edges;

  const Function* Find(const std::string& name) const;
  // The function whose full or short name is `name` (first match by full name order), or null.
  const Function* FindShort(const std::string& short_name) const;
};

struct ParseOptions {
  std::string event = "Ir";  // which column of "events:" to read
  // Callgrind names recursion levels "f'2", "f'3" (--separate-recs): fold them into "f".
  bool merge_recursion_levels = true;
};

// Reads the callgrind format (version 1): headers, ob/fl/fi/fe/fn/cob/cfi/cfl/cfn with "(id)"
// name compression, cost lines with "+N" / "-N" / "*" / hex subpositions, calls= (followed by
// the call's inclusive cost line), jump=/jcnd= (followed by a position line), several parts.
// Functions are keyed by name: the pieces callgrind_annotate splits by inlined file are one.
// On malformed input returns false with *err = "line N: what".
bool ParseCallgrind(std::istream& in, Profile* out, std::string* err, const ParseOptions& options = {});
// The same from a file; *err starts with the path.
bool LoadCallgrind(const std::string& path, Profile* out, std::string* err, const ParseOptions& options = {});

// "hak::(anonymous namespace)::FreeSlowRoute(void*) [clone .cold]" -> "FreeSlowRoute.cold":
// argument lists, return types, symbol versions (@@GLIBC_2.2.5) and leading lowercase
// namespaces are dropped; classes stay ("hak::ThreadCache::Push(int)" -> "ThreadCache::Push");
// long template argument lists shrink to "<...>".
std::string ShortName(const std::string& full);

// ---- base vs head ----

struct CallerShare {
  std::string name, short_name;
  double calls_per_op = 0;
  double inclusive_per_op = 0;  // cost of the callee on behalf of this caller
  double share = 0;             // of the callee's incoming inclusive cost, 0..1
};

struct FunctionDiff {
  std::string name, short_name;
  // Per operation (cost / ops).
  double base_self = 0, head_self = 0;
  double base_inclusive = 0, head_inclusive = 0;
  double base_calls = 0, head_calls = 0;
  bool new_in_head = false;   // not on the base's path at all (no cost, no calls)
  bool gone_in_head = false;  // on the base's path, not on the head's
  // Callers in head, heaviest first (in base when gone_in_head), at most 3.
  std::vector<CallerShare> callers;
  // Hottest source line of the function in head (base when gone): "registry_rbtree.cc:167".
  std::string hot_line;
  double hot_line_per_op = 0;

  double self_delta() const { return head_self - base_self; }
  double inclusive_delta() const { return head_inclusive - base_inclusive; }
};

struct ProfileDiff {
  std::string base_name = "base", head_name = "head";  // labels for rendering; set by the caller
  std::string event = "Ir";
  double base_ops = 0, head_ops = 0;
  double base_total = 0, head_total = 0;  // cost per op of the whole profile
  // Every function of either profile, by |self_delta()| descending (then by name).
  std::vector<FunctionDiff> functions;
  // Full names of functions new on the head's path, by head inclusive cost descending.
  std::vector<std::string> new_in_head;
  std::vector<std::string> gone_in_head;

  double total_delta() const { return head_total - base_total; }
  const FunctionDiff* Find(const std::string& full_or_short_name) const;
};

// Normalises both profiles per operation (base_ops, head_ops > 0: the measured loop's cycles;
// throws std::invalid_argument otherwise) and matches functions by full name.
ProfileDiff DiffProfiles(const Profile& base, double base_ops, const Profile& head, double head_ops);

// ---- rendering ----

struct RenderOptions {
  size_t top = 10;  // movers in tables and headlines
  // A function "moved" when |self delta| >= max(min_delta, min_share * base total) per op.
  double min_delta = 0.05;
  double min_share = 0.001;
};

// Whether `f` moved enough to be reported (the rule of RenderOptions).
bool Moved(const ProfileDiff& d, const FunctionDiff& f, const RenderOptions& o = {});
// The top movers (at most o.top, moved only), in ProfileDiff order.
std::vector<const FunctionDiff*> TopMovers(const ProfileDiff& d, const RenderOptions& o = {});

// One sentence per top mover: "RegistryLookup: 0 -> 23.7 instr/op self (0 -> 65.6 inclusive),
// new on the path, called from free (66%), Classify (34%)".
std::vector<std::string> Headlines(const ProfileDiff& d, const RenderOptions& o = {});
// "New on the path: RegistryLookup (65.6 instr/op inclusive, called from free (66%), ...)", for
// new functions whose inclusive cost per op passes the mover threshold; "" when there are none.
std::string NewOnPathLine(const ProfileDiff& d, const RenderOptions& o = {});

std::string RenderTable(const ProfileDiff& d, const RenderOptions& o = {});     // plain text
std::string RenderMarkdown(const ProfileDiff& d, const RenderOptions& o = {});  // a "####" section
// Every function that has a cost in either profile (not only the top movers), and the headlines.
nlohmann::json RenderJson(const ProfileDiff& d, const RenderOptions& o = {});

// ---- differential flame graph ----

// One box: a frame of the approximate call tree of the head profile.
struct FlameFrame {
  std::string name;  // full name
  int depth = 0;     // 0 = root
  double x = 0;      // start, in cost units of the head profile (not per op)
  double width = 0;  // inclusive cost of this frame
};

struct FlameOptions {
  int max_depth = 12;
  double min_fraction = 0.005;  // prune frames narrower than this share of the root
  // Full or short name of the root. "": main when it holds >= 95% of the cost, else the only
  // uncalled function, else a frame "(all)" over every uncalled one (threads, toggled collection).
  std::string root;
  double width_px = 1200;
  double frame_px = 17;
};

// The head profile as a tree: from the root, each function's callees are expanded in
// proportion (an edge F -> G of cost e under a frame of F of width w gives G width w * e /
// inclusive(F)), heaviest first. Callgrind keeps one level of context only, so this is an
// approximation of the real stacks; recursion is not expanded (a function is never its own
// descendant). Frames in depth-first order.
std::vector<FlameFrame> BuildFlame(const Profile& head, const FlameOptions& o = {});

// A standalone SVG document: the head's flame (width = inclusive cost), each box coloured by
// the function's self cost change per op vs base (red grew, blue shrank, grey unchanged; new
// functions are red), with <title> tooltips giving both profiles' numbers.
std::string RenderSvg(const ProfileDiff& d, const Profile& head, const FlameOptions& fo = {},
                      const RenderOptions& ro = {});

}  // namespace rootcause

#endif  // HAKMEM_CI_ROOTCAUSE_H_
