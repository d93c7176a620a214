#include "ci/rootcause.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace rootcause {
namespace {

std::string Fixture(const std::string& name) {
  return std::string(getenv("TEST_SRCDIR")) + "/hakmem_lab/ci/testdata/" + name;
}

Profile Load(const std::string& name, const ParseOptions& o = {}) {
  Profile p;
  std::string err;
  EXPECT_TRUE(LoadCallgrind(Fixture(name), &p, &err, o)) << err;
  return p;
}

Profile ParseText(const std::string& text, const ParseOptions& o = {}) {
  std::istringstream in(text);
  Profile p;
  std::string err;
  EXPECT_TRUE(ParseCallgrind(in, &p, &err, o)) << err;
  return p;
}

std::string ParseError(const std::string& text) {
  std::istringstream in(text);
  Profile p;
  std::string err;
  EXPECT_FALSE(ParseCallgrind(in, &p, &err));
  return err;
}

const CallEdge* Edge(const Profile& p, const std::string& caller, const std::string& callee) {
  for (const auto& e : p.edges) {
    if (e.caller == caller && e.callee == callee) return &e;
  }
  return nullptr;
}

// ---- a handwritten profile whose every number is known ----
// main: self 5+3+2+1 = 11, calls Work twice (inclusive 98) and Helper once (7).
// Work: self 40 + 20 (inlined from inl.h) + 10 = 70, calls Helper 4 times (28): inclusive 98.
// Helper: self 35 (7 per call, 5 calls). Solo (uncompressed name, never called): self 4.
// Total 120. Dr (the first event) is 1, in main only.
const char kMini[] = R"(# callgrind format
version: 1
creator: handwritten
cmd: ./prog --flag=1
positions: instr line
events: Dr Ir
summary: 0

ob=(1) /bin/prog
fl=(1) main.cc
fn=(1) main
0x1000 10 1 5
+4 * 0 3
+2 +2 0 2
cfn=(2) hak::(anonymous namespace)::Work(int)
calls=2 0x2000 20
* * 0 98
jump=1 +8 *
+4 -1
cfl=(2) lib.cc
cfn=(3) Helper
calls=1 0x3000 30
* * 0 7
+1 13 0 1

fn=(2)
0x2000 20 0 40
fi=(3) inl.h
+1 5 0 20
fe=(1)
+1 21 0 10
cfi=(2)
cfn=(3)
calls=4 0x3000 30
* * 0 28

fl=(2)
fn=(3)
0x3000 30 0 35
fn=(anonymous namespace)::Solo()
0x4000 40 0 4

totals: 0 120
)";

TEST(Parse, HandwrittenProfileHasTheKnownNumbers) {
  const Profile p = ParseText(kMini);
  EXPECT_EQ(p.cmd, "./prog --flag=1");
  EXPECT_EQ(p.events, (std::vector<std::string>{"Dr", "Ir"}));
  EXPECT_EQ(p.event, "Ir");
  EXPECT_EQ(p.total, 120u);
  EXPECT_EQ(p.totals_line, 120u);
  ASSERT_EQ(p.functions.size(), 4u);

  const Function* main_fn = p.Find("main");
  const Function* work = p.Find("hak::(anonymous namespace)::Work(int)");
  const Function* helper = p.Find("Helper");
  const Function* solo = p.Find("(anonymous namespace)::Solo()");  // uncompressed, starts with '('
  ASSERT_TRUE(main_fn && work && helper && solo);
  EXPECT_EQ(main_fn->self, 11u);
  EXPECT_EQ(main_fn->inclusive, 116u);
  EXPECT_EQ(main_fn->calls, 0u);
  EXPECT_EQ(work->self, 70u);
  EXPECT_EQ(work->inclusive, 98u);
  EXPECT_EQ(work->calls, 2u);
  EXPECT_EQ(helper->self, 35u);
  EXPECT_EQ(helper->inclusive, 35u);
  EXPECT_EQ(helper->calls, 5u);
  EXPECT_EQ(solo->self, 4u);
  EXPECT_EQ(solo->file, "lib.cc");  // fl=(2) was defined by cfl=(2): one id space for files
  EXPECT_EQ(work->file, "main.cc");
  EXPECT_EQ(work->object, "/bin/prog");

  ASSERT_EQ(p.edges.size(), 3u);
  const CallEdge* mw = Edge(p, "main", work->name);
  const CallEdge* mh = Edge(p, "main", "Helper");
  const CallEdge* wh = Edge(p, work->name, "Helper");
  ASSERT_TRUE(mw && mh && wh);
  EXPECT_EQ(mw->calls, 2u);
  EXPECT_EQ(mw->inclusive, 98u);
  EXPECT_EQ(mh->calls, 1u);
  EXPECT_EQ(mh->inclusive, 7u);
  EXPECT_EQ(wh->calls, 4u);
  EXPECT_EQ(wh->inclusive, 28u);
  EXPECT_EQ(helper->callers.size(), 2u);
  EXPECT_EQ(main_fn->callees.size(), 2u);
}

TEST(Parse, SubpositionsAndInlinedFilesGiveTheLines) {
  const Profile p = ParseText(kMini);
  // 0x1000/10, +4 * -> 0x1004/10, +2 +2 -> line 12; the call lines and the position line after
  // jump= carry no self cost; +1 13 -> line 13.
  const auto& m = p.Find("main")->lines;
  using Key = std::pair<std::string, long>;
  EXPECT_EQ(m.at(Key("main.cc", 10)), 8u);
  EXPECT_EQ(m.at(Key("main.cc", 12)), 2u);
  EXPECT_EQ(m.at(Key("main.cc", 13)), 1u);
  EXPECT_EQ(m.size(), 3u);
  const auto& w = p.Find("hak::(anonymous namespace)::Work(int)")->lines;
  EXPECT_EQ(w.at(Key("main.cc", 20)), 40u);
  EXPECT_EQ(w.at(Key("inl.h", 5)), 20u);  // fi=
  EXPECT_EQ(w.at(Key("main.cc", 21)), 10u);  // fe= back to the function's file
}

TEST(Parse, ReadsTheRequestedEvent) {
  ParseOptions o;
  o.event = "Dr";
  const Profile p = ParseText(kMini, o);
  EXPECT_EQ(p.total, 1u);
  EXPECT_EQ(p.totals_line, 0u);
  EXPECT_EQ(p.Find("main")->self, 1u);
  o.event = "Dw";
  std::istringstream in(kMini);
  Profile q;
  std::string err;
  EXPECT_FALSE(ParseCallgrind(in, &q, &err, o));
  EXPECT_NE(err.find("no event 'Dw'"), std::string::npos) << err;
}

TEST(Parse, MissingCostsAreZeroAndUncompressedNamesWork) {
  const Profile p = ParseText("events: Ir Dr\nfl=a.c\nfn=f\n3 10\n4\ncfn=g\ncalls=2 9\n4 6\nfn=g\n9 6\n");
  EXPECT_EQ(p.total, 16u);
  EXPECT_EQ(p.Find("f")->self, 10u);
  EXPECT_EQ(p.Find("f")->inclusive, 16u);
  EXPECT_EQ(p.Find("g")->calls, 2u);
  // Several parts in one file (--combine-dumps=yes): summed.
  const Profile parts = ParseText("events: Ir\nfn=(1) f\n1 5\ntotals: 5\npart: 2\nevents: Ir\nfn=(1)\n1 7\ntotals: 7\n");
  EXPECT_EQ(parts.total, 12u);
  EXPECT_EQ(parts.totals_line, 12u);
  EXPECT_EQ(parts.Find("f")->self, 12u);
}

TEST(Parse, MalformedInputIsAnErrorWithTheLine) {
  EXPECT_NE(ParseError("events: Ir\nfn=(9)\n").find("line 2: (9) refers to a name never defined"), std::string::npos);
  EXPECT_NE(ParseError("events: Ir\nfn=f\ncfn=g\ncalls=1 3\nfn=h\n").find("line 5: calls= must be followed by a cost line"),
            std::string::npos);
  EXPECT_NE(ParseError("events: Ir\nfn=f\n1 12x\n").find("line 3: bad cost '12x'"), std::string::npos);
  EXPECT_NE(ParseError("events: Ir\n1 12\n").find("cost line before any fn="), std::string::npos);
  EXPECT_NE(ParseError("fn=f\n").find("no 'events:' line"), std::string::npos);
  EXPECT_NE(ParseError("<html>\n").find("line 1: cannot parse"), std::string::npos);
  EXPECT_NE(ParseError("events: Ir\nfn=f\ncalls=1 3\n5 5\n").find("calls= without cfn="), std::string::npos);
  Profile p;
  std::string err;
  EXPECT_FALSE(LoadCallgrind("/nonexistent/x.out", &p, &err));
  EXPECT_EQ(err, "/nonexistent/x.out: cannot open");
}

// ---- real profiles of //ci:rootcause_fixture_prog (see its source for the call graph) ----
const char kLeaf[] = "fixture::(anonymous namespace)::Leaf(int)";
const char kMid[] = "fixture::(anonymous namespace)::Mid(int)";
const char kFact[] = "fixture::(anonymous namespace)::Fact(int)";

TEST(TinyProgram, CallCountsAndInclusiveCostsFollowTheCallGraph) {
  const Profile p = Load("tiny.callgrind");
  EXPECT_EQ(p.total, p.totals_line);
  const Function* main_fn = p.Find("main");
  const Function* leaf = p.Find(kLeaf);
  const Function* mid = p.Find(kMid);
  const Function* fact = p.Find(kFact);
  ASSERT_TRUE(main_fn && leaf && mid && fact);
  EXPECT_EQ(p.functions.size(), 4u);  // Fact(int)'2 (callgrind's recursion level) folded into Fact
  EXPECT_EQ(leaf->calls, 16u);        // 10 from main, 2 x 3 from Mid
  EXPECT_EQ(mid->calls, 3u);
  EXPECT_EQ(fact->calls, 5u);  // 1 from main, 4 recursive
  EXPECT_EQ(Edge(p, "main", kLeaf)->calls, 10u);
  EXPECT_EQ(Edge(p, kMid, kLeaf)->calls, 6u);
  EXPECT_EQ(Edge(p, kFact, kFact)->calls, 4u);
  // Inclusive = self + calls to others; a recursive call is not added again.
  EXPECT_EQ(main_fn->inclusive, p.total);
  EXPECT_EQ(mid->inclusive, mid->self + Edge(p, kMid, kLeaf)->inclusive);
  EXPECT_EQ(mid->inclusive, Edge(p, "main", kMid)->inclusive);
  EXPECT_EQ(fact->inclusive, fact->self);
  EXPECT_EQ(fact->inclusive, Edge(p, "main", kFact)->inclusive);
  EXPECT_EQ(leaf->inclusive, leaf->self);
  EXPECT_EQ(leaf->self, Edge(p, "main", kLeaf)->inclusive + Edge(p, kMid, kLeaf)->inclusive);
  EXPECT_EQ(leaf->self % 16, 0u);  // the same instructions on every call
  uint64_t sum = 0;
  for (const auto& [name, f] : p.functions) sum += f.self;
  EXPECT_EQ(sum, p.total);
}

TEST(TinyProgram, InstructionPositionsAndJumpsParseToTheSameProfile) {
  // Same binary, --dump-instr=yes --collect-jumps=yes: hex addresses, two subpositions, jcnd=.
  const Profile a = Load("tiny.callgrind");
  const Profile b = Load("tiny_instr.callgrind");
  EXPECT_EQ(b.total, b.totals_line);
  EXPECT_EQ(a.total, b.total);
  ASSERT_EQ(a.functions.size(), b.functions.size());
  for (const auto& [name, f] : a.functions) {
    const Function* g = b.Find(name);
    ASSERT_NE(g, nullptr) << name;
    EXPECT_EQ(f.self, g->self) << name;
    EXPECT_EQ(f.inclusive, g->inclusive) << name;
    EXPECT_EQ(f.calls, g->calls) << name;
  }
  // Lines are decoded through the relative positions too: the same per-line costs.
  EXPECT_EQ(a.Find(kMid)->lines, b.Find(kMid)->lines);
  EXPECT_EQ(a.Find("main")->lines, b.Find("main")->lines);
}

TEST(TinyProgram, RecursionLevelsCanBeKept) {
  ParseOptions o;
  o.merge_recursion_levels = false;
  const Profile p = Load("tiny.callgrind", o);
  ASSERT_NE(p.Find(std::string(kFact) + "'2"), nullptr);
  EXPECT_EQ(p.Find(kFact)->calls, 1u);
  EXPECT_EQ(p.Find(std::string(kFact) + "'2")->calls, 4u);
}

// ---- real benchmark profiles: bench_random_mixed 200000 1024 1234567, --instr-atstart=no ----
constexpr double kOps = 200000;
const char kLookup[] = "hak::RegistryLookup(unsigned long)";

TEST(RandomMixed, ProfilesMatchCallgrindAnnotate) {
  const Profile e2 = Load("random_mixed.e2.callgrind");
  const Profile e3 = Load("random_mixed.e3.callgrind");
  EXPECT_EQ(e2.total, 33420565u);  // == totals:, == callgrind_annotate's PROGRAM TOTALS
  EXPECT_EQ(e2.totals_line, e2.total);
  EXPECT_EQ(e3.total, 10187757u);
  EXPECT_EQ(e3.totals_line, e3.total);
  // callgrind_annotate --inclusive=yes, functions that live in one file:
  EXPECT_EQ(e2.Find(kLookup)->inclusive, 13124632u);
  EXPECT_EQ(e2.Find("hak::Classify(unsigned long)")->inclusive, 8904097u);
  EXPECT_EQ(e2.Find("hak::FreeSlow(void*)")->inclusive, 13677095u);
  EXPECT_EQ(e2.Find("main")->inclusive, e2.total);
  // free is one function although annotate splits it by inlined file (override.cc, front_gate.h).
  EXPECT_EQ(e2.Find("free")->calls, 100014u + 1u + 1023u);
  // e2's free path looks the block up in the registry, e3's does not.
  EXPECT_EQ(e3.Find(kLookup), nullptr);
  EXPECT_EQ(e2.Find(kLookup)->calls, 100532u + 52080u);
  EXPECT_EQ(Edge(e2, "free", kLookup)->calls, 100532u);
  EXPECT_EQ(Edge(e2, "free", kLookup)->inclusive, 8645752u);
}

TEST(Diff, RegistryLookupIsNewOnTheHeadPath) {
  ProfileDiff d = DiffProfiles(Load("random_mixed.e3.callgrind"), kOps, Load("random_mixed.e2.callgrind"), kOps);
  EXPECT_NEAR(d.base_total, 10187757 / kOps, 1e-9);
  EXPECT_NEAR(d.head_total, 33420565 / kOps, 1e-9);
  const FunctionDiff* f = d.Find("RegistryLookup");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->name, kLookup);
  EXPECT_TRUE(f->new_in_head);
  EXPECT_FALSE(f->gone_in_head);
  EXPECT_EQ(f->base_self, 0);
  EXPECT_EQ(f->base_inclusive, 0);
  EXPECT_NEAR(f->head_inclusive, 13124632 / kOps, 1e-9);
  EXPECT_NEAR(f->head_self, (13124632 - 4883584 - 3510076) / kOps, 1e-9);  // minus the mutex calls
  EXPECT_NEAR(f->head_calls, 152612 / kOps, 1e-9);
  ASSERT_EQ(f->callers.size(), 2u);
  EXPECT_EQ(f->callers[0].short_name, "free");
  EXPECT_NEAR(f->callers[0].share, 8645752.0 / 13124632, 1e-9);
  EXPECT_EQ(f->callers[1].short_name, "Classify");
  EXPECT_EQ(f->hot_line.substr(0, 18), "registry_rbtree.cc");
  EXPECT_NE(std::find(d.new_in_head.begin(), d.new_in_head.end(), kLookup), d.new_in_head.end());
  EXPECT_TRUE(d.gone_in_head.empty());
  // Sorted by |self delta|, largest first.
  for (size_t i = 1; i < d.functions.size(); ++i) {
    EXPECT_GE(std::fabs(d.functions[i - 1].self_delta()), std::fabs(d.functions[i].self_delta()));
  }
  // The movers explain the whole difference: self deltas sum to the total delta.
  double sum = 0;
  for (const auto& g : d.functions) sum += g.self_delta();
  EXPECT_NEAR(sum, d.total_delta(), 1e-6);
}

TEST(Diff, ReverseDirectionReportsTheFunctionGone) {
  const ProfileDiff d = DiffProfiles(Load("random_mixed.e2.callgrind"), kOps, Load("random_mixed.e3.callgrind"), kOps);
  const FunctionDiff* f = d.Find(kLookup);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->gone_in_head);
  EXPECT_EQ(f->head_self, 0);
  ASSERT_FALSE(f->callers.empty());  // from the base, where it still ran
  EXPECT_EQ(f->callers[0].short_name, "free");
  EXPECT_EQ(d.gone_in_head, std::vector<std::string>{kLookup});
  EXPECT_TRUE(d.new_in_head.empty());
}

TEST(Diff, NormalisesPerOperation) {
  const Profile e2 = Load("random_mixed.e2.callgrind");
  const ProfileDiff same = DiffProfiles(e2, kOps, e2, kOps);
  for (const auto& f : same.functions) EXPECT_EQ(f.self_delta(), 0) << f.name;
  EXPECT_TRUE(TopMovers(same).empty());
  EXPECT_TRUE(Headlines(same).empty());
  EXPECT_TRUE(same.new_in_head.empty());
  EXPECT_EQ(NewOnPathLine(same), "");
  // The same profile over twice the operations costs half per op.
  const ProfileDiff half = DiffProfiles(e2, kOps, e2, 2 * kOps);
  EXPECT_NEAR(half.head_total, half.base_total / 2, 1e-9);
  EXPECT_NEAR(half.Find(kLookup)->head_inclusive, half.Find(kLookup)->base_inclusive / 2, 1e-9);
  EXPECT_THROW(DiffProfiles(e2, 0, e2, kOps), std::invalid_argument);
  EXPECT_THROW(DiffProfiles(e2, kOps, e2, -1), std::invalid_argument);
}

TEST(Diff, HandwrittenProfilesGiveExactPerOpNumbers) {
  const Profile base = ParseText("events: Ir\nfn=main\n1 10\ncfn=Work\ncalls=1 5\n1 20\nfn=Work\n5 20\n");
  const Profile head = ParseText(kMini);  // main self 11, Work 70 (inclusive 98), Helper 35, Solo 4
  const ProfileDiff d = DiffProfiles(base, 10, head, 2);
  EXPECT_DOUBLE_EQ(d.base_total, 3);
  EXPECT_DOUBLE_EQ(d.head_total, 60);
  const FunctionDiff* helper = d.Find("Helper");
  ASSERT_NE(helper, nullptr);
  EXPECT_TRUE(helper->new_in_head);
  EXPECT_DOUBLE_EQ(helper->head_self, 17.5);
  EXPECT_DOUBLE_EQ(helper->head_calls, 2.5);
  ASSERT_EQ(helper->callers.size(), 2u);
  EXPECT_EQ(helper->callers[0].short_name, "Work");  // 28 of 35
  EXPECT_DOUBLE_EQ(helper->callers[0].share, 0.8);
  EXPECT_DOUBLE_EQ(helper->callers[0].calls_per_op, 2);
  // "Work" in base and "hak::(anonymous namespace)::Work(int)" in head are different functions.
  EXPECT_TRUE(d.Find("Work")->gone_in_head || d.Find("Work")->new_in_head);
  EXPECT_EQ(d.functions.front().short_name, "Work");  // +35 self (head's Work), then Helper +17.5
  // A function new on the path but negligible per op is data, not a headline.
  const ProfileDiff tiny = DiffProfiles(base, 10, ParseText("events: Ir\nfn=main\n1 30\nfn=Once\n2 1\n"), 1e6);
  EXPECT_EQ(tiny.new_in_head, std::vector<std::string>{"Once"});
  EXPECT_EQ(NewOnPathLine(tiny), "");
}

// ---- names ----
TEST(Names, ShortNamesDropArgumentsAndNamespaces) {
  EXPECT_EQ(ShortName("hak::RegistryLookup(unsigned long)"), "RegistryLookup");
  EXPECT_EQ(ShortName("hak::(anonymous namespace)::FreeSlowRoute(void*) [clone .cold]"), "FreeSlowRoute.cold");
  EXPECT_EQ(ShortName("hak::(anonymous namespace)::Spill(hak::ThreadCache&, int, unsigned int) [clone .constprop.0]"),
            "Spill.constprop.0");
  EXPECT_EQ(ShortName("(anonymous namespace)::RunCycles(void**, unsigned int, unsigned long, unsigned int, unsigned "
                      "long, unsigned long)"),
            "RunCycles");
  EXPECT_EQ(ShortName("pthread_mutex_lock@@GLIBC_2.2.5"), "pthread_mutex_lock");
  EXPECT_EQ(ShortName("free.cold"), "free.cold");
  EXPECT_EQ(ShortName("main"), "main");
  EXPECT_EQ(ShortName("lab::NowSeconds()"), "NowSeconds");
  EXPECT_EQ(ShortName("hak::ThreadCache::Push(int) const"), "ThreadCache::Push");
  EXPECT_EQ(ShortName("void hak::Fill<unsigned long>(unsigned long*, int)"), "Fill<unsigned long>");
  EXPECT_EQ(ShortName("std::vector<int, std::allocator<int> >::push_back(int const&)"), "vector<...>::push_back");
  EXPECT_EQ(ShortName("hak::Arena::operator()(int)"), "Arena::operator()");
  EXPECT_EQ(ShortName("bool hak::operator<(hak::Key const&, hak::Key const&)"), "operator<");
  EXPECT_EQ(ShortName("operator new(unsigned long)"), "operator new");
  EXPECT_EQ(ShortName("fixture::(anonymous namespace)::Fact(int)'2"), "Fact");
  EXPECT_EQ(ShortName("0x0000000000401130"), "0x0000000000401130");
}

// ---- rendering ----
ProfileDiff E3ToE2() {
  ProfileDiff d = DiffProfiles(Load("random_mixed.e3.callgrind"), kOps, Load("random_mixed.e2.callgrind"), kOps);
  d.base_name = "e3";
  d.head_name = "e2";
  return d;
}

TEST(Render, HeadlinesNameTheNewFunctionAndItsCaller) {
  const ProfileDiff d = E3ToE2();
  const std::vector<std::string> h = Headlines(d);
  ASSERT_FALSE(h.empty());
  EXPECT_LE(h.size(), 10u);
  const auto it = std::find_if(h.begin(), h.end(), [](const std::string& s) { return s.rfind("RegistryLookup:", 0) == 0; });
  ASSERT_NE(it, h.end());
  EXPECT_EQ(*it,
            "RegistryLookup: 0 -> 23.7 instr/op self (0 -> 65.6 inclusive), new on the path, called from free (66%), "
            "Classify (34%)");
  EXPECT_EQ(NewOnPathLine(d),
            "New on the path: RegistryLookup (65.6 instr/op inclusive, called from free (66%), Classify (34%))");
  RenderOptions o;
  o.top = 2;
  EXPECT_EQ(Headlines(d, o).size(), 2u);
}

TEST(Render, MarkdownAndTable) {
  const ProfileDiff d = E3ToE2();
  const std::string md = RenderMarkdown(d);
  EXPECT_EQ(md.rfind("#### Where the instructions went (callgrind Ir, base `e3` -> head `e2`)", 0), 0u) << md;
  EXPECT_NE(md.find("Total: 50.9 -> 167.1 instr/op (+116.2, +228.0%)."), std::string::npos) << md;
  EXPECT_NE(md.find("**New on the path: RegistryLookup"), std::string::npos) << md;
  EXPECT_NE(md.find("- **RegistryLookup**: 0 -> 23.7"), std::string::npos) << md;
  EXPECT_NE(md.find("| `RegistryLookup` (new) | 0 | 23.7 | +23.7 | 0 | 65.6 | 0.76 | `free` | `registry_rbtree.cc:"),
            std::string::npos)
      << md;
  const std::string t = RenderTable(d);
  EXPECT_NE(t.find("base e3 -> head e2: 50.9 -> 167.1 instr/op (+116.2)"), std::string::npos) << t;
  EXPECT_NE(t.find("RegistryLookup (new)"), std::string::npos) << t;
  // Names with Markdown's table separator stay in their cell.
  ProfileDiff odd;
  odd.base_ops = odd.head_ops = 1;
  odd.base_total = 10;
  FunctionDiff f;
  f.name = f.short_name = "operator|";
  f.head_self = 5;
  odd.functions.push_back(f);
  EXPECT_NE(RenderMarkdown(odd).find("| `operator\\|` | 0 | 5.0 |"), std::string::npos) << RenderMarkdown(odd);
}

TEST(Render, JsonHasEveryFunctionAndTheHeadlines) {
  const ProfileDiff d = E3ToE2();
  const nlohmann::json j = nlohmann::json::parse(RenderJson(d).dump());
  EXPECT_EQ(j["base"], "e3");
  EXPECT_EQ(j["head"], "e2");
  EXPECT_DOUBLE_EQ(j["head_ops"].get<double>(), kOps);
  EXPECT_EQ(j["functions"].size(), d.functions.size());
  EXPECT_EQ(j["new_in_head"][0], kLookup);
  EXPECT_EQ(j["headlines"].size(), Headlines(d).size());
  bool found = false;
  for (const auto& f : j["functions"]) {
    if (f["name"] != kLookup) continue;
    found = true;
    EXPECT_EQ(f["short_name"], "RegistryLookup");
    EXPECT_TRUE(f["new_in_head"].get<bool>());
    EXPECT_TRUE(f["moved"].get<bool>());
    EXPECT_NEAR(f["head_inclusive_per_op"].get<double>(), 13124632 / kOps, 1e-9);
    EXPECT_EQ(f["base_self_per_op"].get<double>(), 0);
    EXPECT_EQ(f["callers"][0]["short_name"], "free");
  }
  EXPECT_TRUE(found);
}

TEST(Flame, TinyTreeFollowsTheCallEdges) {
  const Profile p = Load("tiny.callgrind");
  const std::vector<FlameFrame> fr = BuildFlame(p);
  ASSERT_EQ(fr.size(), 5u);  // main; Fact, Mid, Mid/Leaf, Leaf (heaviest first, no Fact/Fact)
  EXPECT_EQ(fr[0].name, "main");
  EXPECT_EQ(fr[0].depth, 0);
  EXPECT_DOUBLE_EQ(fr[0].width, double(p.total));
  EXPECT_EQ(fr[1].name, kFact);
  EXPECT_DOUBLE_EQ(fr[1].width, double(p.Find(kFact)->inclusive));
  EXPECT_EQ(fr[2].name, kMid);
  EXPECT_EQ(fr[3].name, kLeaf);
  EXPECT_EQ(fr[3].depth, 2);
  EXPECT_DOUBLE_EQ(fr[3].width, double(Edge(p, kMid, kLeaf)->inclusive));
  EXPECT_DOUBLE_EQ(fr[3].x, fr[2].x);
  EXPECT_EQ(fr[4].name, kLeaf);
  EXPECT_EQ(fr[4].depth, 1);
  EXPECT_DOUBLE_EQ(fr[4].x, fr[2].x + fr[2].width);
  FlameOptions o;
  o.max_depth = 1;
  EXPECT_EQ(BuildFlame(p, o).size(), 1u);
  o.max_depth = 12;
  o.root = "Mid";
  ASSERT_EQ(BuildFlame(p, o).size(), 2u);
  o.root = "NoSuchFunction";
  EXPECT_TRUE(BuildFlame(p, o).empty());
}

TEST(Flame, SeveralRootsHangUnderOneAllFrame) {
  // main waits, the threads work: every uncalled function is a root, heaviest first.
  const Profile p = ParseText("events: Ir\nfn=main\n1 10\nfn=worker\n1 30\ncfn=leaf\ncalls=2 5\n1 50\n"
                              "fn=leaf\n5 50\nfn=tick\n1 0\n");
  const std::vector<FlameFrame> fr = BuildFlame(p);
  ASSERT_EQ(fr.size(), 4u);
  EXPECT_EQ(fr[0].name, "(all)");
  EXPECT_DOUBLE_EQ(fr[0].width, 90);
  EXPECT_EQ(fr[1].name, "worker");
  EXPECT_EQ(fr[1].depth, 1);
  EXPECT_DOUBLE_EQ(fr[1].width, 80);
  EXPECT_EQ(fr[2].name, "leaf");
  EXPECT_EQ(fr[2].depth, 2);
  EXPECT_EQ(fr[3].name, "main");
  EXPECT_DOUBLE_EQ(fr[3].x, 80);
  const ProfileDiff d = DiffProfiles(p, 1, p, 1);
  const std::string svg = RenderSvg(d, p);
  EXPECT_NE(svg.find(">(all)</text>"), std::string::npos);
}

TEST(Flame, BenchmarkTreeIsPrunedAndNested) {
  const Profile p = Load("random_mixed.e2.callgrind");
  const std::vector<FlameFrame> fr = BuildFlame(p);
  ASSERT_GT(fr.size(), 5u);
  EXPECT_EQ(fr[0].name, "main");
  bool lookup = false;
  for (size_t i = 0; i < fr.size(); ++i) {
    EXPECT_LT(fr[i].depth, 12);
    EXPECT_GE(fr[i].width, 0.005 * fr[0].width);
    if (fr[i].name == kLookup) lookup = true;
    if (i == 0) continue;
    // Depth-first: the parent is the nearest earlier frame one level up, and contains this one.
    size_t parent = i;
    while (parent-- > 0 && fr[parent].depth != fr[i].depth - 1) {}
    EXPECT_GE(fr[i].x + 1e-6, fr[parent].x);
    EXPECT_LE(fr[i].x + fr[i].width, fr[parent].x + fr[parent].width + 1e-6);
  }
  EXPECT_TRUE(lookup);
}

// Tags balance (a small XML well-formedness check) and every '&' starts an entity.
void ExpectWellFormed(const std::string& svg) {
  std::vector<std::string> stack;
  for (size_t i = svg.find('<'); i != std::string::npos; i = svg.find('<', i + 1)) {
    const size_t end = svg.find('>', i);
    ASSERT_NE(end, std::string::npos);
    const std::string tag = svg.substr(i + 1, end - i - 1);
    ASSERT_EQ(tag.find('<'), std::string::npos) << "unescaped '<' near " << svg.substr(i, 80);
    if (tag.back() == '/') continue;
    const std::string name = tag.substr(tag[0] == '/' ? 1 : 0, tag.find_first_of(" />", 1) - (tag[0] == '/' ? 1 : 0));
    if (tag[0] == '/') {
      ASSERT_FALSE(stack.empty()) << "closing " << name;
      ASSERT_EQ(stack.back(), name);
      stack.pop_back();
    } else {
      stack.push_back(name);
    }
  }
  EXPECT_TRUE(stack.empty());
  for (size_t i = svg.find('&'); i != std::string::npos; i = svg.find('&', i + 1)) {
    const std::string rest = svg.substr(i, 6);
    EXPECT_TRUE(rest.rfind("&amp;", 0) == 0 || rest.rfind("&lt;", 0) == 0 || rest.rfind("&gt;", 0) == 0 ||
                rest.rfind("&quot;", 0) == 0 || rest.rfind("&apos;", 0) == 0 || rest.rfind("&#10;", 0) == 0)
        << rest;
  }
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t i = s.find(what); i != std::string::npos; i = s.find(what, i + 1)) ++n;
  return n;
}

TEST(Flame, SvgIsStandaloneAndColoursTheMovers) {
  const ProfileDiff d = E3ToE2();
  const Profile head = Load("random_mixed.e2.callgrind");
  const std::string svg = RenderSvg(d, head);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_EQ(Count(svg, "<g"), Count(svg, "</g>"));
  ExpectWellFormed(svg);
  EXPECT_EQ(svg.find("http://", 50), std::string::npos);  // no external reference
  EXPECT_EQ(Count(svg, "<title>"), BuildFlame(head).size());
  // The top mover is in a tooltip; the new function's box is red, labelled and explained.
  const std::string top = TopMovers(d).front()->name;
  EXPECT_NE(svg.find("<title>" + top + "&#10;"), std::string::npos) << top;
  const size_t box = svg.find("<title>hak::RegistryLookup(unsigned long)&#10;");
  ASSERT_NE(box, std::string::npos);
  const std::string g = svg.substr(box, svg.find("</g>", box) - box);
  EXPECT_NE(g.find("new on the path"), std::string::npos) << g;
  EXPECT_NE(g.find(">RegistryLookup</text>"), std::string::npos) << g;
  const size_t fill = g.find("fill=\"rgb(");
  ASSERT_NE(fill, std::string::npos);
  int r = 0, gr = 0, b = 0;
  ASSERT_EQ(sscanf(g.c_str() + fill, "fill=\"rgb(%d,%d,%d)", &r, &gr, &b), 3);
  EXPECT_GT(r, gr + 50) << "red: grew";
  // The reverse diff colours it blue where it still runs (the base's profile as head).
  ProfileDiff rev = DiffProfiles(Load("random_mixed.e2.callgrind"), kOps, Load("random_mixed.e3.callgrind"), kOps);
  const std::string svg2 = RenderSvg(rev, Load("random_mixed.e3.callgrind"));
  ExpectWellFormed(svg2);
  EXPECT_EQ(svg2.find("RegistryLookup"), std::string::npos);  // not on e3's path
  EXPECT_NE(svg2.find("rgb(205,205,205)"), std::string::npos);  // main and RunCycles: unchanged self
}

TEST(Flame, EmptyProfileStillGivesAValidSvg) {
  const Profile empty = ParseText("events: Ir\n");
  const ProfileDiff d = DiffProfiles(empty, 1, empty, 1);
  const std::string svg = RenderSvg(d, empty);
  ExpectWellFormed(svg);
  EXPECT_NE(svg.find("no call tree"), std::string::npos);
}

}  // namespace
}  // namespace rootcause
