// Google Benchmark micro-benchmarks of the malloc API, linked against //allocator:malloc (or a
// variant / peer through alloc_benchmark.<config>). The sweep ingests their JSON output
// (--benchmark_format=json): items_per_second of each benchmark is its ops/s.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "harness/allocator_probe.h"

namespace {

// One malloc and one free of the same size.
void BM_MallocFree(benchmark::State& st) {
  const size_t n = size_t(st.range(0));
  for (auto _ : st) {
    void* p = malloc(n);
    benchmark::DoNotOptimize(p);
    free(p);
  }
  st.SetItemsProcessed(st.iterations() * 2);
}
BENCHMARK(BM_MallocFree)->Arg(16)->Arg(64)->Arg(256)->Arg(1000)->Arg(4096)->Arg(32768)->Arg(100000)->Arg(1 << 20);

// Allocate N blocks of 64 bytes, then free them in the order of the benchmark's name.
enum Order { kLifo, kFifo, kRandom };
template <Order order>
void BM_Batch(benchmark::State& st) {
  const size_t n = size_t(st.range(0));
  std::vector<void*> v(n);
  std::vector<size_t> perm(n);
  for (size_t i = 0; i < n; ++i) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), std::mt19937(42));
  for (auto _ : st) {
    for (size_t i = 0; i < n; ++i) v[i] = malloc(64);
    benchmark::ClobberMemory();
    for (size_t i = 0; i < n; ++i) {
      const size_t k = order == kLifo ? n - 1 - i : order == kFifo ? i : perm[i];
      free(v[k]);
    }
  }
  st.SetItemsProcessed(st.iterations() * int64_t(n) * 2);
}
BENCHMARK_TEMPLATE(BM_Batch, kLifo)->Name("BM_BatchLifo")->Arg(100)->Arg(10000);
BENCHMARK_TEMPLATE(BM_Batch, kFifo)->Name("BM_BatchFifo")->Arg(100)->Arg(10000);
BENCHMARK_TEMPLATE(BM_Batch, kRandom)->Name("BM_BatchRandom")->Arg(100)->Arg(10000);

// Grow one block from 16 bytes to the argument, doubling, then free it.
void BM_ReallocGrowth(benchmark::State& st) {
  const size_t top = size_t(st.range(0));
  int64_t calls = 0;
  for (auto _ : st) {
    void* p = malloc(16);
    for (size_t n = 32; n <= top; n *= 2) {
      p = realloc(p, n);
      static_cast<char*>(p)[n - 1] = 1;
      ++calls;
    }
    free(p);
    calls += 2;
  }
  st.SetItemsProcessed(calls);
}
BENCHMARK(BM_ReallocGrowth)->Arg(4096)->Arg(1 << 20);

void BM_Calloc(benchmark::State& st) {
  const size_t n = size_t(st.range(0));
  for (auto _ : st) {
    void* p = calloc(1, n);
    benchmark::DoNotOptimize(p);
    free(p);
  }
  st.SetItemsProcessed(st.iterations() * 2);
}
BENCHMARK(BM_Calloc)->Arg(64)->Arg(4096)->Arg(1 << 20);

}  // namespace

// BENCHMARK_MAIN, plus the probed allocator in the JSON context ("allocator", "owns_malloc",
// "variant", "allocator_path", "allocator_soname"), so a reader can refuse numbers from the
// wrong allocator.
int main(int argc, char** argv) {
  const lab::ProbeResult probe = lab::ProbeAllocator();
  benchmark::AddCustomContext("allocator", probe.allocator);
  benchmark::AddCustomContext("owns_malloc", probe.owns_malloc ? "true" : "false");
  benchmark::AddCustomContext("variant", probe.variant);
  benchmark::AddCustomContext("allocator_path", probe.path);
  benchmark::AddCustomContext("allocator_soname", probe.soname);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
