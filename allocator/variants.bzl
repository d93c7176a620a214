"""The lab's variants as data: every switch, every named state of the history, every peer.

This one file is read by Bazel (flags, config_settings, variant targets), by
tools/variants.py (the .bazelrc configs, `bazel run //tools:variants`), by the harness, the
history replay and the reports. Keep it pure literal data (dicts, lists, strings): the Python
tools read it with ast.literal_eval, not by executing it.
"""

# name: {doc, values (first = the default build), macro, macro value per value}
SWITCHES = {
    "c7_header": {
        "doc": "false: Phase 7, C7 blocks carry no header and free guesses C7 from 1 KiB alignment; true: Phase E1",
        "values": ["true", "false"],
        "macro": "HAKMEM_C7_HEADER",
        "macro_values": {"true": "1", "false": "0"},
    },
    "free_fast_registry_check": {
        "doc": "true: commit 5eabb89ad9, a SuperSlab registry lookup at the top of the tiny free fast path to detect C7",
        "values": ["false", "true"],
        "macro": "HAKMEM_FREE_FAST_REGISTRY_CHECK",
        "macro_values": {"false": "0", "true": "1"},
    },
    "classify_order": {
        "doc": "registry_first: commit a97005f50, the slow-path classifier asks the registry before probing the header",
        "values": ["header_first", "registry_first"],
        "macro": "HAKMEM_CLASSIFY_ORDER",
        "macro_values": {"header_first": "HAKMEM_CLASSIFY_HEADER_FIRST", "registry_first": "HAKMEM_CLASSIFY_REGISTRY_FIRST"},
    },
    "registry_impl": {
        "doc": "hash: fixed table, linear probing, lock-free reads; rbtree: ordered red-black tree under a lock (the E2 analysis)",
        "values": ["hash", "rbtree"],
        "macro": "HAKMEM_REGISTRY_IMPL",
        "macro_values": {"hash": "HAKMEM_REGISTRY_HASH", "rbtree": "HAKMEM_REGISTRY_RBTREE"},
    },
    "free_dispatch": {
        "doc": "superslab: every free takes the SuperSlab lookup route (0% header_fast), then pushes the block on the thread's list; superslab_free: the Findings' hak_super_lookup(ptr) + hak_tiny_free_superslab(ptr, ss), the block goes back to its slab (SlabReturn)",
        "values": ["header", "superslab", "superslab_free"],
        "macro": "HAKMEM_FREE_DISPATCH",
        "macro_values": {"header": "HAKMEM_FREE_DISPATCH_HEADER", "superslab": "HAKMEM_FREE_DISPATCH_SUPERSLAB", "superslab_free": "HAKMEM_FREE_DISPATCH_SUPERSLAB_FREE"},
    },
    "page_boundary_check": {
        "doc": "mincore: Phase 7-1.3's mincore probe for page-aligned pointers; same_page: read the header only on the same page, else classify",
        "values": ["same_page", "mincore"],
        "macro": "HAKMEM_PAGE_BOUNDARY_CHECK",
        "macro_values": {"same_page": "HAKMEM_PAGE_CHECK_SAME_PAGE", "mincore": "HAKMEM_PAGE_CHECK_MINCORE"},
    },
    "wrapper_guards": {
        "doc": "full: per-call init, LD_PRELOAD and recursion-depth checks of the 2025-11-09 state",
        "values": ["minimal", "full"],
        "macro": "HAKMEM_WRAPPER_GUARDS",
        "macro_values": {"minimal": "HAKMEM_WRAPPER_MINIMAL", "full": "HAKMEM_WRAPPER_FULL"},
    },
    "legacy_c7_branches": {
        "doc": "true: the class_idx == 7 special cases that E3-3 removed (C7 frees leave the fast path)",
        "values": ["false", "true"],
        "macro": "HAKMEM_LEGACY_C7_BRANCHES",
        "macro_values": {"false": "0", "true": "1"},
    },
    "fast_ownership_check": {
        "doc": "map_only is the release default since x4_map. map (the release default from e3_safe to x3_spill, not in the seeds): the O(1) ownership map and a stride test on the tiny free fast path before the header is trusted, so foreign and interior pointers never reach a free list; none: HAKMEM's design, the header byte alone (every history state); map_only (beyond the seeds, x4_map): the map byte alone names the class (it equals the header byte of the slab's blocks) and the stride test stays, so a free reads no byte of the block (debug builds still compare the header with the map byte)",
        "values": ["map_only", "map", "none"],
        "macro": "HAKMEM_FAST_OWNERSHIP_CHECK",
        "macro_values": {"none": "HAKMEM_OWNERSHIP_NONE", "map": "HAKMEM_OWNERSHIP_MAP", "map_only": "HAKMEM_OWNERSHIP_MAP_ONLY"},
    },
    "remote_free": {
        "doc": "spill is the release default since x3_spill. owner (beyond the seeds): a tiny free of a block whose slab is homed at another thread goes home in batches (per-thread outbox per home, flushed by count or on refill, one CAS onto the home's MPSC inbox; the home drains it when a list runs empty, before refilling from slabs); spill (beyond the seeds): every free onto the freeing thread's own list as in local (the fast path is local's), and a list that overflows sends its blocks homed at other threads home in one CAS per home and class instead of back to their slabs, into the same inboxes; local: HAKMEM's design, onto the freeing thread's own list, overflow back to the slabs",
        "values": ["spill", "local", "owner"],
        "macro": "HAKMEM_REMOTE_FREE",
        "macro_values": {"local": "HAKMEM_REMOTE_FREE_LOCAL", "owner": "HAKMEM_REMOTE_FREE_OWNER", "spill": "HAKMEM_REMOTE_FREE_SPILL"},
    },
    "stats": {
        "doc": "on: route counters (header_fast, ss_hit, pool, mid, large, foreign), refills, spills, HAKMEM_FREE_ROUTE_TRACE=1; off compiles all of it out",
        "values": ["off", "on"],
        "macro": "HAKMEM_STATS",
        "macro_values": {"off": "0", "on": "1"},
    },
    "fast_path_checks": {
        "doc": "on: the Findings' release-build corruption checks on the tiny fast paths (malloc: the popped block's header byte; free: header vs slab class, or not already the list head)",
        "values": ["off", "on"],
        "macro": "HAKMEM_FAST_PATH_CHECKS",
        "macro_values": {"off": "0", "on": "1"},
    },
    "mid_fast_path": {
        "doc": "on (beyond the seeds, x2_mid; the release default since 2026-12-02, x5_arena_mid): the pool tier (1-52 KiB) gets Tiny's inline TLS fast paths (size -> class by one table load -> pop; header byte -> class -> map + stride test -> push), 24 classes four per power of two (at most 25% of a request wasted), header bytes 0x40 + class, cache capacity and refill/spill batches by block bytes; off: the seeds' 7 pool classes (2..52 KiB), every pool malloc and free on the slow path",
        "values": ["on", "off"],
        "macro": "HAKMEM_MID_FAST_PATH",
        "macro_values": {"off": "0", "on": "1"},
    },
    "hit_counters": {
        "doc": "on: the Findings' hit counters in release builds, per-thread per-class malloc and free hit counts incremented on the tiny fast paths",
        "values": ["off", "on"],
        "macro": "HAKMEM_HIT_COUNTERS",
        "macro_values": {"off": "0", "on": "1"},
    },
    "large_cache": {
        "doc": "on (beyond the seeds; the release default since x3_spill): freed Large chunks (> 2 MiB) kept mapped in a bounded cache (16 chunks, 64 MiB, never more than the Large bytes in use, 256-operation decay) and reused by size, resized with mremap; realloc of a Mid/Large chunk resizes it with mremap instead of malloc+copy+free; off: every Large chunk is a fresh mmap and munmap (HAKMEM's design)",
        "values": ["on", "off"],
        "macro": "HAKMEM_LARGE_CACHE",
        "macro_values": {"off": "0", "on": "1"},
    },
    "chunk_arena": {
        "doc": "on (beyond the seeds, x5_arena; the release default since 2026-12-01): Mid and Large chunks up to 32 MiB carved first-fit from 256 MiB arenas by a bitmap of 64 KiB granules, so freed pages are reused by a chunk of any size and realloc grows into the free granules after it; free resident pages under a cap of the chunk bytes in use (4x, then the square, 128 MiB from 5.66 MiB in use, as much as is in use from 128 MiB on), resident runs taken first, the highest given back with madvise; HAKMEM's exact-size Mid lists stay in front (the Mid hit path) and go back to the arena when a chunk they cannot serve needs room (allocator/chunk_arena.h); off: every chunk its own mapping, cached by exact size (HAKMEM's Mid cache) and by large_cache",
        "values": ["on", "off"],
        "macro": "HAKMEM_CHUNK_ARENA",
        "macro_values": {"off": "0", "on": "1"},
    },
    "pool_keep": {
        "doc": "16 (beyond the seeds, x6_keep16; not the release default: the gate fails it on RSS after free): under mid_fast_path=on, up to 16 free pool slabs keep their pages (4 MiB) and a run of 16 pool slab releases with no slab taken gives them back; 8: 8 and a run of 8 (superslab.h). A thread that takes a slab another thread emptied then reuses resident pages instead of faulting them: mem_thread_churn faulted 45K pages against mimalloc's 4.6K",
        "values": ["8", "16"],
        "macro": "HAKMEM_POOL_KEEP",
        "macro_values": {"8": "8", "16": "16"},
    },
    "mid_thread_cache": {
        "doc": "on (beyond the seeds, x7_mid_tcache; the release default since 2026-12-03): each thread keeps the Mid chunks of up to 1 MiB (16 granules) it frees, at most 2 MiB and 8 of a size, no more than the bytes of such chunks it still has in use (or 512 KiB when it has less), and its next Mid malloc of that granule count takes one back without the chunk lock (allocator/mid_large.h); the rest, and every chunk at thread exit or hak_flush_thread_cache, goes to the shared exact-size lists as before. off: every Mid malloc and free takes the chunk lock (two atomic read-modify-writes): 30 ns a malloc/free pair of 64 KiB..1 MiB against tcmalloc's 5",
        "values": ["on", "off"],
        "macro": "HAKMEM_MID_THREAD_CACHE",
        "macro_values": {"off": "0", "on": "1"},
    },
}

# Which allocator the harness links: hakmem (this tree, with the switches above) or a peer.
IMPLS = ["hakmem", "system", "mimalloc", "jemalloc", "tcmalloc"]

# The history, in order. `branch` (default "e"): "e" is the linear history phase7 .. e3;
# "findings" is the 2025-11-09 Findings document and its three-step fix plan, a side branch off
# phase7 (REPLAY below); "beyond" holds states past E3 that are not in the seeds (issue 14).
# A state with "history": False is not replayed. `notes`: fidelity choices.
# `switches` lists only values that differ from the defaults (the first of each switch's values:
# the release build, x3_spill since 2026-12-01; e3_safe before). Every state of the seeds trusts
# the header alone (fast_ownership_check=none).
VARIANTS = [
    {
        "name": "phase7",
        "commit": "498335281",
        "date": "2025-11-08",
        "title": "Phase 7-1.3: hybrid mincore + macro fix (the peak)",
        "switches": {"c7_header": "false", "page_boundary_check": "mincore", "legacy_c7_branches": "true", "fast_ownership_check": "none", "large_cache": "off", "remote_free": "local", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
    },
    {
        "name": "phase7_broken",
        "commit": "2025-11-09",
        "date": "2025-11-09",
        "title": "Findings: header free not working, every free takes the SuperSlab route",
        "switches": {"c7_header": "false", "page_boundary_check": "mincore", "legacy_c7_branches": "true", "free_dispatch": "superslab", "wrapper_guards": "full", "fast_ownership_check": "none", "large_cache": "off", "remote_free": "local", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
        "notes": "The lab's first model of the 2025-11-09 state, kept so that stored measurements stay comparable: after the lookup the block is pushed on the thread's list (not returned to its slab; f7_broken does that). It can measure faster than phase7: in phase7 (c7_header=false, C7 branches) every C7 free misses the header fast path and pays the fast-path attempt plus the slow classifier's lookup, about half the frees of random_mixed (sizes 16..1039; routes.json: free_header_fast vs free_ss_hit), while phase7_broken goes straight to the lookup.",
    },
    {
        "name": "fg_registry",
        "commit": "a97005f50",
        "date": "2025-11-11",
        "title": "Front gate: registry-first classification",
        "switches": {"c7_header": "false", "page_boundary_check": "mincore", "legacy_c7_branches": "true", "classify_order": "registry_first", "fast_ownership_check": "none", "large_cache": "off", "remote_free": "local", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
    },
    {
        "name": "e1",
        "commit": "baaf815c9",
        "date": "2025-11-12",
        "title": "Phase E1: 1-byte header on C7 too",
        "switches": {"page_boundary_check": "mincore", "legacy_c7_branches": "true", "classify_order": "registry_first", "registry_impl": "rbtree", "fast_ownership_check": "none", "large_cache": "off", "remote_free": "local", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
    },
    {
        "name": "e2",
        "commit": "5eabb89ad9",
        "date": "2025-11-12",
        "title": "WIP: 150K SEGV investigation (registry lookup on every free: the regression)",
        "switches": {"page_boundary_check": "mincore", "legacy_c7_branches": "true", "classify_order": "registry_first", "registry_impl": "rbtree", "free_fast_registry_check": "true", "fast_ownership_check": "none", "large_cache": "off", "remote_free": "local", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
    },
    {
        "name": "e3_1",
        "commit": "E3-1",
        "date": "2025-11-12",
        "title": "E3-1: registry lookup removed from the free fast path",
        "switches": {"page_boundary_check": "mincore", "legacy_c7_branches": "true", "classify_order": "registry_first", "registry_impl": "rbtree", "fast_ownership_check": "none", "large_cache": "off", "remote_free": "local", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
    },
    {
        "name": "e3_2",
        "commit": "E3-2",
        "date": "2025-11-12",
        "title": "E3-2: header-first classification",
        "switches": {"page_boundary_check": "mincore", "legacy_c7_branches": "true", "registry_impl": "rbtree", "fast_ownership_check": "none", "large_cache": "off", "remote_free": "local", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
    },
    {
        "name": "e3",
        "commit": "E3-3",
        "date": "2025-11-12",
        "title": "E3-3: C7 special cases removed (the history's end state; the release default adds the ownership check)",
        "switches": {"fast_ownership_check": "none", "large_cache": "off", "remote_free": "local", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
    },
    {
        "name": "e3_safe",
        "commit": "lab",
        "date": "2026-11-22",
        "title": "E3 + ownership map and stride test on the tiny free fast path: the release build until 2026-12-01 (not in the seeds)",
        "switches": {"large_cache": "off", "remote_free": "local", "fast_ownership_check": "map", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
        "history": False,
    },
    {
        "name": "x1_remote",
        "commit": "lab",
        "date": "2026-12-01",
        "title": "Remote frees go home: tiny blocks freed by another thread return to their slab's home thread in batches",
        "switches": {"remote_free": "owner", "large_cache": "off", "fast_ownership_check": "map", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
        "branch": "beyond",
        "history": False,
        "notes": "beyond the seeds: e3_safe plus remote_free=owner. A tiny slab's home is the thread slot (1..63) of the thread that last carved from it, kept when the slab is left. The free fast path compares that home with the thread's slot; a mismatch goes to a per-thread outbox of 4 homes, flushed at 32 blocks, on eviction, on every refill and at thread exit, as one CAS onto the home's MPSC inbox (a Treiber stack taken whole). The home drains its inbox into its lists when one runs empty, before the slab refill. A thread's exit closes its inbox (later pushes fall back to the pusher's own lists) and spills what it held; slot 0 (more than 63 live threads) means no home: those frees stay local. Pool classes are unchanged (local).",
    },
    {
        "name": "x1_spill",
        "commit": "lab",
        "date": "2026-12-01",
        "title": "Remote frees go home on overflow: local's free fast path, a list that overflows sends other threads' tiny blocks home in batches",
        "switches": {"remote_free": "spill", "large_cache": "off", "fast_ownership_check": "map", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
        "branch": "beyond",
        "history": False,
        "notes": "beyond the seeds: e3_safe plus remote_free=spill, the same slab homes, home slots and MPSC inboxes as x1_remote, reached at a different moment. Every free goes onto the freeing thread's own list (local's fast path, no home check); when a list overflows, the runs it spills whose slab is homed at another live thread go into the outbox for that home and are sent in one CAS per home and class as soon as the list is cut, instead of back to their slabs; the home takes its inbox when a list runs empty, before refilling from slabs. An inbox holds at most four list capacities (more goes back to the slabs, so an idle home hoards nothing others could reuse). Symmetric churn (both threads free each other's blocks) never overflows a list and costs nothing; a consumer that only frees sends its producer whole chains.",
    },
    {
        "name": "x2_mid",
        "commit": "lab",
        "date": "2026-12-01",
        "title": "A fast medium tier: inline TLS fast paths for the pool classes, four classes per power of two (<= 25% waste), batches by block size",
        "switches": {"mid_fast_path": "on", "large_cache": "off", "remote_free": "local", "fast_ownership_check": "map", "chunk_arena": "off", "mid_thread_cache": "off"},
        "branch": "beyond",
        "history": False,
        "notes": "beyond the seeds: e3_safe with mid_fast_path=on. HAKMEM's pool tier took every malloc and free of 1-52 KiB through the slow path (MallocSlow's class loop, FreeSlow's classifier with a division); here a pool malloc is one table load and a pop, a pool free a header byte, the ownership map byte and a multiply-based stride test, then a push. Classes 1, 1.25, 1.5, 1.75, 2 KiB, ... 32, 40, 48, 52 KiB replace 2, 4, 8, 16, 32, 40, 52 KiB; pool header bytes move to 0x40 + class (24 classes do not fit 0xB0's nibble). A pool SuperSlab holds 8 slabs of 256 KiB, each of its own class (the seeds' pool: one 2 MiB slab); a released pool slab's pages are discarded unless fewer than 8 free slabs keep theirs; a pool class's list starts at a quarter of its capacity and doubles at each refill.",
    },
    {
        "name": "x3_large",
        "commit": "lab",
        "date": "2026-12-01",
        "title": "Large blocks reused: a bounded cache of freed Large mappings, mremap for realloc of Mid/Large chunks (not in the seeds)",
        "switches": {"remote_free": "local", "fast_ownership_check": "map", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
        "branch": "beyond",
        "history": True,
        "notes": "beyond the seeds: issue 14's 'Large blocks reused'. A freed Large chunk (above 2 MiB; Mid chunks keep HAKMEM's exact-size Mid cache) stays mapped (pages resident) in a cache of at most 16 chunks and 64 MiB that never holds more bytes than the Large chunks in use, so freeing every Large block returns them all to the OS; an entry not reused within 256 Large operations is unmapped. A Large malloc takes the cached chunk closest in size and fits it with mremap (shrink in place; grow in place or moved onto a fresh 64 KiB-aligned reservation). realloc of a Mid or Large chunk resizes it with mremap (no copy). Policy: allocator/mid_large.h.",
    },
    {
        "name": "x3_spill",
        "commit": "lab",
        "date": "2026-12-01",
        "title": "x3_large + remote frees go home on overflow (remote_free=spill): the release default build on 2026-12-01 before x4_map",
        "switches": {"fast_ownership_check": "map", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
        "branch": "beyond",
        "notes": "beyond the seeds: the second cumulative step after E3: x3_large with x1_spill's switch (remote_free=spill). x1_remote's design (every remote free sent home, remote_free=owner) is not on the chain: against e3_safe it lost mt_churn x0.83 and mt_larson x0.92 and cost 8 instructions per free.",
    },
    {
        "name": "x4_map",
        "commit": "lab",
        "date": "2026-12-01",
        "title": "x3_spill + the free reads no byte of the block: the ownership map byte names the class (fast_ownership_check=map_only): the release default build on 2026-12-01 before x5_arena",
        "switches": {"chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
        "branch": "beyond",
        "notes": "beyond the seeds: the third cumulative step after E3. HAKMEM's free reads the 1-byte header before the block; e3_safe reads it and the ownership map byte and compares them. The map byte alone carries the same class (every block of a tiny or pool slab has the slab's header byte), so the free fast path loads it, keeps the stride test (interior and foreign pointers still go to the slow path) and never loads the block: perf on mt_larson put 43% of free's samples on the header load (a block written by another thread or long ago misses the cache; the push's store to it does not stall). The header is still written on malloc (the slow paths and debug builds read it).",
    },
    {
        "name": "x4_map_mid",
        "commit": "lab",
        "date": "2026-12-01",
        "title": "x4_map + the fast medium tier (mid_fast_path=on)",
        "switches": {"mid_fast_path": "on", "chunk_arena": "off", "mid_thread_cache": "off"},
        "branch": "beyond",
        "history": False,
        "notes": "beyond the seeds: the fourth cumulative step after E3: x4_map with x2_mid's switch (mid_fast_path=on, 24 pool classes with inline TLS fast paths). Off the chain since x5_arena: the replay of 2026-12-01 failed it on size_sweep 64 KiB instructions (+1.2%) and the PR gate on medium_mixed memory (256 KiB per-class caches); x5_arena_mid carries the same switch on top of x5_arena.",
    },
    {
        "name": "x5_arena",
        "commit": "lab",
        "date": "2026-12-01",
        "title": "x4_map + chunks carved from arenas by a first-fit granule bitmap (chunk_arena=on): the release default build on 2026-12-01 and 02 before x5_arena_mid",
        "switches": {"mid_fast_path": "off", "mid_thread_cache": "off"},
        "branch": "beyond",
        "notes": "beyond the seeds: the fourth cumulative step after E3 (x4_map_mid, the first try at a fourth, is off the chain: the gate fails it on memory). HAKMEM maps every Mid/Large chunk on its own and caches it by exact size: mem_large_churn faulted nearly every page it wrote (x0.03 of mimalloc) and realloc growth to 1 MiB faulted 226 pages a round (x0.01 of glibc). Here chunks up to 32 MiB come first-fit from 256 MiB arenas (a bitmap of 64 KiB granules, as mimalloc's arenas): a freed chunk's resident pages serve the next chunk of any size, neighbours coalesce, realloc grows in place into free granules with no system call. Free resident pages are capped at min(64 MiB, the Large cache's cap; 4x the chunk bytes in use), the highest going back first (madvise outside the lock). Policy and the caps measured against it: allocator/chunk_arena.h.",
    },
    {
        "name": "x5_arena_mid",
        "commit": "lab",
        "date": "2026-12-01",
        "title": "x5_arena + the fast medium tier (mid_fast_path=on): the release default build 2026-12-02..03",
        "switches": {"mid_thread_cache": "off"},
        "branch": "beyond",
        "notes": "beyond the seeds: the fifth cumulative step after E3: x5_arena with x2_mid's switch (mid_fast_path=on), as x4_map_mid was on x4_map. What x4_map_mid failed on is mended in code every state shares or that only this switch reaches: a Mid/Large malloc the fast path has sorted above the pool tier and a free whose map byte is the chunk tag enter the chunk tier directly and by tail call (size_sweep 64 KiB: 2.0 instructions/op fewer than x5_arena, which was 2.5 more), and an empty pool list first takes a cached block of one of the next two classes before it carves fresh slots or takes a slab (medium_mixed ws 128 peak RSS 7.46 -> 6.72 MiB, against x5_arena's 5.92: the 24 classes' own high-water marks). Gate --base-config x5_arena --head-config x5_arena_mid (full grid, 2026-12-02): 27 improvements (medium_mixed x1.26-1.76, size_sweep 1-52 KiB x1.26-1.50, mem_liveset x1.10), one memory point, mem_thread_churn RSS after free 13.8 -> 15.4 MiB (15 readings), which a rerun passed and 20 interleaved runs put at 15.09 vs 15.37 MiB (ranges 12.2-17.8 and 13.6-17.4). With 256 KiB pool caches the PR gate against the shipped x5_arena failed medium_mixed ws 2048 RSS after free 15.0 -> 16.5 MiB (reproduced); with 192 KiB (kPoolCacheBytes) it reads 15.03 against 14.93 and both grids pass.",
    },
    {
        "name": "x6_keep16",
        "commit": "lab",
        "date": "2026-12-02",
        "title": "x5_arena_mid + 16 free pool slabs keep their pages (pool_keep=16)",
        "switches": {"pool_keep": "16", "mid_thread_cache": "off"},
        "branch": "beyond",
        "history": False,
        "notes": "beyond the seeds, off the chain: the gate trades it away. mem_thread_churn (200 short threads; the main thread frees what they hand it) faulted 45K pages against mimalloc's 4.6K: the pool slabs main empties were discarded (a run of 8 releases with no take, or past 8 kept) and the next threads faulted them again. 16 kept and a run of 16, gate --base-config x5_arena_mid --head-config x6_keep16 (full grid, 2026-12-02): mem_thread_churn x2.15 (11.2 -> 24.1M ops/s), mem_prodcons_long x1.23 (inconclusive, p 0.09; x1.27 in an earlier run), and two memory regressions: RSS after free 14.5 -> 17.9 MiB on mem_thread_churn (tier pool_kept_bytes 0 -> 3.4 MiB) and 8.8 -> 11.0 on medium_mixed ws 512 (pool_kept_bytes 0 -> 2.2 MiB: it ends with its kept slabs resident). So the release default stays x5_arena_mid. mimalloc and tcmalloc hold 20 and 35 MiB after that free.",
    },
    {
        "name": "x7_mid_tcache",
        "commit": "lab",
        "date": "2026-12-03",
        "title": "x5_arena_mid + a per-thread Mid chunk cache (mid_thread_cache=on): the release default build since 2026-12-03",
        "switches": {},
        "branch": "beyond",
        "notes": "beyond the seeds: the sixth cumulative step after E3. A Mid malloc/free pair of 64 KiB..1 MiB took 30 ns (tcmalloc 5, glibc 13), most of it the chunk lock's CAS and exchange. Each thread keeps up to 2 MiB (8 of a size, no more than it still has in use, 512 KiB when it has less) of the Mid chunks of at most 1 MiB it frees, a stack per granule count, and reuses them with no lock (tcmalloc's per-thread cache covers 256 KiB); policy in allocator/mid_large.h. The first form failed gate --base-config x5_arena_mid --head-config x7_mid_tcache: size_sweep 64 KiB x0.686 with fewer instructions (fixed by keeping reuse LIFO past the caps and a full fence before the hit's loads: measured, the lock's CAS had been that fence), mem_realloc_grow 1 MiB x0.007 (a round's last chunk kept here stopped the next round growing in place: a miss now flushes the cache), RSS after free on two points (the 512 KiB floor), and then size_sweep 1 MiB instructions 613 -> 706 (chunks above 1 MiB now bypass it). The third run (full grid, 2026-12-03): PASS, size_sweep 64 KiB x1.294 (133.1 -> 130.5 instr/op), 256 KiB x1.102, every other point ok, memory equal.",
    },
    {
        "name": "f7_broken",
        "commit": "2025-11-09",
        "date": "2025-11-09",
        "title": "Findings: lookup + free into the SuperSlab, full wrapper guards, release corruption checks and hit counters",
        "switches": {"c7_header": "false", "page_boundary_check": "mincore", "legacy_c7_branches": "true", "free_dispatch": "superslab_free", "wrapper_guards": "full", "fast_path_checks": "on", "hit_counters": "on", "fast_ownership_check": "none", "large_cache": "off", "remote_free": "local", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
        "branch": "findings",
        "notes": "Phase 7 (c7_header=false, mincore, C7 branches) with the Findings' three bottlenecks: every free is hak_super_lookup + hak_tiny_free_superslab (registry lookup, block back to its slab via SlabReturn, so mallocs refill from the slab; the seeds' hash+linear-probing registry); wrapper_guards=full; fast_path_checks and hit_counters on. Unfaithful: the two-layer SFC/SLL front is not modelled (one TLS list); the checks and counters are this lab's guesses at 'corruption checks' and 'hit counters' (the seeds name them, not their code); the header is still written on malloc (the Findings suspect it may not be, unconfirmed).",
    },
    {
        "name": "f7_fix1",
        "commit": "findings-fix1",
        "date": "2025-11-09",
        "title": "Findings fix 1: header-based free fast path restored (wrapper guards, checks, counters kept)",
        "switches": {"c7_header": "false", "page_boundary_check": "mincore", "legacy_c7_branches": "true", "wrapper_guards": "full", "fast_path_checks": "on", "hit_counters": "on", "fast_ownership_check": "none", "large_cache": "off", "remote_free": "local", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
        "branch": "findings",
        "notes": "f7_broken with free_dispatch=header (Phase 7-1.3's header read + TLS push). A plan step, not a commit of the seeds: the Findings list the fixes, no state between them was measured there.",
    },
    {
        "name": "f7_fix2",
        "commit": "findings-fix2",
        "date": "2025-11-09",
        "title": "Findings fix 2: + wrapper guards minimal",
        "switches": {"c7_header": "false", "page_boundary_check": "mincore", "legacy_c7_branches": "true", "fast_path_checks": "on", "hit_counters": "on", "fast_ownership_check": "none", "large_cache": "off", "remote_free": "local", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
        "branch": "findings",
        "notes": "f7_fix1 with wrapper_guards=minimal (the plan's compile-time LD_PRELOAD/init/depth removal). A plan step, not a seed commit.",
    },
    {
        "name": "f7_fix3",
        "commit": "findings-fix3",
        "date": "2025-11-09",
        "title": "Findings fix 3: + front simplified (corruption checks and hit counters off)",
        "switches": {"c7_header": "false", "page_boundary_check": "mincore", "legacy_c7_branches": "true", "fast_path_checks": "off", "hit_counters": "off", "fast_ownership_check": "none", "large_cache": "off", "remote_free": "local", "chunk_arena": "off", "mid_fast_path": "off", "mid_thread_cache": "off"},
        "branch": "findings",
        "notes": "f7_fix2 with fast_path_checks and hit_counters off: the same switch values as phase7 (the lab never had the SFC/SLL split, so 'single TLS freelist' is already the case). A plan step, not a seed commit.",
    },
]

# The branches tools/history.py replays: all their states measured interleaved in one sweep,
# each step gated against the state before it. A branch's chain is its `from` state (the fork
# point, on another branch) followed by its own states in VARIANTS order. `bisect`: the pair the
# page's bisect searches between (good, bad), over the chain read from good to bad (backwards when
# good comes later: a fix plan undone one fix at a time); `seed_culprit`: the state whose step the
# seeds blame, `seed_says`: their words.
REPLAY = {
    "e": {
        "title": "The E history: Phase 7 -> E1 -> E2 -> E3",
        "from": None,
        "bisect": ["phase7", "e2"],
        "seed_culprit": "e2",
        "seed_says": "E2 analysis: commit 5eabb89ad9 put a registry lookup on every free, 59M -> 9M ops/s (-85%)",
    },
    "beyond": {
        "title": "Beyond the seeds: the release build (e3_safe) -> Large cache -> remote frees home on overflow -> the free reads only the ownership map -> chunk arenas -> fast medium tier -> Mid thread cache",
        "from": "e3_safe",
        "bisect": None,
        "seed_culprit": None,
        "seed_says": None,
        # Measured in a sweep of its own over the gate's cross-thread, memory and medium
        # workloads (what these states change), not the history's random_mixed/size_sweep alone.
        # size_sweep is in it: without it, large_cache=on's +1.4% instructions on a 64 KiB Mid
        # chunk passed this replay and was caught only by the PR gate.
        "workloads": "random_mixed,size_sweep,mt_churn,mt_prodcons,mt_larson,mem_liveset,mem_prodcons_long,mem_thread_churn,mem_large_churn,mem_realloc_grow,medium_mixed",
    },
    "findings": {
        "title": "The Findings branch: the 2025-11-09 state and its three-step fix plan",
        "from": "phase7",
        "bisect": ["f7_fix3", "f7_broken"],
        "seed_culprit": "f7_broken",
        "seed_says": "Findings: bottleneck 1, the SuperSlab lookup on every free, is the biggest (+400-800% to gain); wrapper guards +30-50%, front-gate complexity +10-20%",
    },
}
