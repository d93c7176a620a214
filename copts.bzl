"""Compiler flags in one place (abseil's copts.bzl style). Every cc target passes HAKMEM_COPTS."""

# Warnings for the project's own code. External code (system headers) is included with
# -isystem by the toolchain, so these flags never fire on it.
HAKMEM_WARNINGS = [
    "-Wall",
    "-Wextra",
    "-Wshadow",
    "-Wnon-virtual-dtor",
    "-Wcast-align",
    "-Wformat=2",
    "-Wimplicit-fallthrough",
    "-Wno-unused-parameter",
]

HAKMEM_COPTS = ["-std=c++17"] + HAKMEM_WARNINGS

# Tests add nothing of their own today; kept separate so test-only flags have one home.
HAKMEM_TEST_COPTS = HAKMEM_COPTS
