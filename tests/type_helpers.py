"""Helpers for the type tests (tests/test_type*.py): snippets that add types to their module."""
import pytest


def with_types(source, *types):
    """Add to a snippet (which ends with @INIT) an exec slot that adds each type to the module.

    Each entry of `types` is (attribute name, spec variable) or (attribute name, spec variable,
    params), params being the C initializer of an HPyType_SpecParam array (it may use ctx, and
    _add_types_base: the first type of the list)."""
    lines = []
    previous = None
    for t in types:
        name, spec = t[0], t[1]
        if len(t) > 2 and '_add_types_base' in t[2]:
            lines.append('    {\n        HPy _add_types_base = HPy_GetAttr_s(ctx, m, "%s");\n'
                         '        if (HPy_IsNull(_add_types_base)) return -1;\n'
                         '        HPyType_SpecParam p[] = %s;\n'
                         '        int ok = HPyHelpers_AddType(ctx, m, "%s", &%s, p);\n'
                         '        HPy_Close(ctx, _add_types_base);\n'
                         '        if (!ok) return -1;\n    }'
                         % (previous, t[2], name, spec))
        elif len(t) > 2:
            lines.append('    {\n        HPyType_SpecParam p[] = %s;\n'
                         '        if (!HPyHelpers_AddType(ctx, m, "%s", &%s, p)) return -1;\n    }'
                         % (t[2], name, spec))
        else:
            lines.append('    if (!HPyHelpers_AddType(ctx, m, "%s", &%s, NULL)) return -1;'
                         % (name, spec))
        previous = previous or name
    code = '''
HPyDef_SLOT(_add_types, HPy_mod_exec)
static int _add_types_impl(HPyContext *ctx, HPy m)
{
%s
    return 0;
}
@EXPORT(_add_types)
''' % '\n'.join(lines)
    assert '@INIT' in source
    return source.replace('@INIT', code + '@INIT')


def raises_exactly(exc_type, message):
    """pytest.raises for an exception whose message must equal `message`."""
    import re
    return pytest.raises(exc_type, match='^' + re.escape(message) + '$')
