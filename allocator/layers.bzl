"""layer_headers: the headers a cc_library's compile actions see (its CcInfo), for layering_test.

Bazel runs each compile action in a sandbox holding only the declared inputs: the target's own
headers and those of its transitive deps. So the headers in a layer's CcInfo are exactly what a
file of that layer can #include; layering_test checks that no header of a higher layer is among
them and that compiling against them behaves as the build does.
"""

def _layer_headers_impl(ctx):
    hdrs = ctx.attr.lib[CcInfo].compilation_context.headers.to_list()
    manifest = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.write(manifest, "".join([h.short_path + "\n" for h in hdrs]))
    return [DefaultInfo(
        files = depset([manifest]),
        runfiles = ctx.runfiles(files = hdrs + [manifest]),
    )]

layer_headers = rule(
    implementation = _layer_headers_impl,
    attrs = {"lib": attr.label(mandatory = True, providers = [CcInfo])},
)
