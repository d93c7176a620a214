"""Build settings for the allocator's switches, and targets generated from allocator/variants.bzl.

- one string flag per switch: `--//allocator:c7_header=false`
- `switch_defines()`: the `-D` values every allocator target compiles with (selects)
- `variant_binary`: a binary rebuilt under one named variant by a transition, so every variant
  of a benchmark can be built side by side in ONE `bazel build` (each lands in its own
  configuration directory; nothing overwrites anything).
"""

load("//allocator:variants.bzl", "IMPLS", "SWITCHES", "VARIANTS")

def _switch_flag_impl(ctx):
    if ctx.build_setting_value not in ctx.attr.allowed:
        fail("--%s=%s: allowed values are %s" % (ctx.label, ctx.build_setting_value, ", ".join(ctx.attr.allowed)))
    return []

switch_flag = rule(
    implementation = _switch_flag_impl,
    build_setting = config.string(flag = True),
    attrs = {"allowed": attr.string_list()},
)

def declare_switches():
    """Flags and config_settings for every switch, plus the `impl` flag (hakmem or a peer)."""
    for name, sw in SWITCHES.items():
        switch_flag(name = name, build_setting_default = sw["values"][0], allowed = sw["values"])
        for v in sw["values"]:
            native.config_setting(name = "%s_%s" % (name, v), flag_values = {":" + name: v})
    switch_flag(name = "impl", build_setting_default = "hakmem", allowed = IMPLS)
    for v in IMPLS:
        native.config_setting(name = "impl_" + v, flag_values = {":impl": v})

def switch_defines():
    """-D flags for the selected switch values (one select per switch)."""
    out = []
    for name, sw in SWITCHES.items():
        out += select({
            "//allocator:%s_%s" % (name, v): ["%s=%s" % (sw["macro"], sw["macro_values"][v])]
            for v in sw["values"]
        })
    return out

def variant_settings(variant_name):
    """Full flag assignment (every switch and impl) for a named variant or a peer."""
    settings = {"//allocator:" + name: sw["values"][0] for name, sw in SWITCHES.items()}
    settings["//allocator:impl"] = "hakmem"
    if variant_name in IMPLS and variant_name != "hakmem":
        settings["//allocator:impl"] = variant_name
        return settings
    for v in VARIANTS:
        if v["name"] == variant_name:
            for k, val in v["switches"].items():
                settings["//allocator:" + k] = val
            return settings
    fail("unknown variant " + variant_name)

_ALL_SETTINGS = ["//allocator:" + name for name in SWITCHES] + ["//allocator:impl"]

def _variant_transition_impl(settings, attr):
    out = variant_settings(attr.variant)
    if attr.stats:
        out["//allocator:stats"] = "on"
    return out

_variant_transition = transition(
    implementation = _variant_transition_impl,
    inputs = [],
    outputs = _ALL_SETTINGS,
)

def _variant_binary_impl(ctx):
    src = ctx.attr.binary[0][DefaultInfo].files_to_run.executable
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = src, is_executable = True)
    return [DefaultInfo(
        executable = out,
        files = depset([out]),
        runfiles = ctx.runfiles(files = [src]).merge(ctx.attr.binary[0][DefaultInfo].default_runfiles),
    )]

_VARIANT_ATTRS = {
    "binary": attr.label(cfg = _variant_transition, executable = True, mandatory = True),
    "variant": attr.string(mandatory = True),
    "stats": attr.bool(default = False),
    "_allowlist_function_transition": attr.label(
        default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
    ),
}

variant_binary = rule(
    implementation = _variant_binary_impl,
    executable = True,
    attrs = _VARIANT_ATTRS,
)

# The same for tests: a cc_test rebuilt under a named variant (names must end in _test).
variant_test = rule(
    implementation = _variant_binary_impl,
    test = True,
    attrs = _VARIANT_ATTRS,
)

def variant_tests(tests, tags = [], test_tags = {}):
    """<variant>__<test> for every named variant, and a test_suite per variant.

    test_tags: extra tags per test (e.g. no_sanitizer for a test that replaces malloc).
    """
    for v in VARIANTS:
        names = []
        for t in tests:
            name = "%s__%s" % (v["name"], t)
            variant_test(name = name, binary = ":" + t, variant = v["name"], tags = tags + test_tags.get(t, []))
            names.append(name)
        native.test_suite(name = "variant_%s_tests" % v["name"], tests = names, tags = tags)

def variant_binaries(binary, peers = True, stats = True):
    """<binary>.<variant> for every named variant (and .<peer>, and .<variant>.stats)."""
    names = [v["name"] for v in VARIANTS]
    if peers:
        names += [p for p in IMPLS if p != "hakmem"]
    for n in names:
        variant_binary(name = "%s.%s" % (binary, n), binary = ":" + binary, variant = n)
        if stats and n not in IMPLS:
            variant_binary(name = "%s.%s.stats" % (binary, n), binary = ":" + binary, variant = n, stats = True)
    native.filegroup(name = binary + ".all_variants", srcs = [":%s.%s" % (binary, n) for n in names])
    if stats:
        native.filegroup(
            name = binary + ".all_stats",
            srcs = [":%s.%s.stats" % (binary, n) for n in names if n not in IMPLS],
        )
