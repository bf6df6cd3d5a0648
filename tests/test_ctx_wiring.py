"""Every member of the API description reaches a real implementation in every ABI: no NULL slot
in the runtime's context, and every public function is defined (and links) in each ABI. The C
code is generated from api/ctx.tsv, the same description the headers come from."""
import os

from support import ROOT


def members():
    rows = []
    with open(os.path.join(ROOT, 'api', 'ctx.tsv')) as f:
        header = None
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            cells = line.rstrip('\n').split('\t')
            if header is None:
                header = cells
                continue
            rows.append(dict(zip(header, cells)))
    return rows


def test_description_has_upstreams_273_members_then_additions():
    rows = members()
    assert [int(r['index']) for r in rows] == list(range(len(rows)))
    upstream = [r for r in rows if r['minor'] == '0']
    assert len(upstream) == 273 and rows[:273] == upstream
    assert sum(r['kind'] == 'function' for r in upstream) == 189


def test_abitag_minor_matches_the_description():
    from hpy.devel.abitag import HPY_ABI_VERSION_MINOR
    with open(os.path.join(ROOT, 'api', 'slots.tsv')) as f:
        rows = [l.rstrip('\n').split('\t') for l in f if l.strip() and not l.startswith('#')]
    slot_minors = [int(dict(zip(rows[0], r))['minor']) for r in rows[1:]]
    assert HPY_ABI_VERSION_MINOR == max([int(r['minor']) for r in members()] + slot_minors)


def test_every_context_member_is_set(compile_module, hpy_abi):
    rows = members()
    checks = []
    for r in rows:
        if r['kind'] == 'handle':
            checks.append('if (HPy_IsNull(ctx->%s)) return HPyUnicode_FromString(ctx, "%s");'
                          % (r['ctx_field'], r['ctx_field']))
        elif hpy_abi != 'cpython':
            checks.append('if (ctx->%s == NULL) return HPyUnicode_FromString(ctx, "%s");'
                          % (r['ctx_field'], r['ctx_field']))
    # In the CPython ABI the functions are not in the context: take the address of every public
    # function instead, which fails to compile or to load if one is missing.
    if hpy_abi == 'cpython':
        for r in rows:
            if r['kind'] == 'function' and 'universal_only' not in r['flags']:
                checks.append('if ((void (*)(void))%s == NULL) return HPyUnicode_FromString(ctx, "%s");'
                              % (r['api_name'], r['api_name']))
    mod = compile_module('''
        HPyDef_METH(check, "check", HPyFunc_NOARGS)
        static HPy check_impl(HPyContext *ctx, HPy self)
        {
            (void)self;
            %s
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(check)
        @INIT
    ''' % '\n            '.join(checks), extra_flags=['-Wno-address', '-Wno-cast-function-type'])
    assert mod.check() is None


def test_no_placeholder_implementation_is_left():
    """No context function of the runtime or of the CPython ABI stands in for a missing one."""
    import glob
    sources = glob.glob(os.path.join(ROOT, 'hpy', 'devel', 'src', 'runtime', '*.c')) + \
        glob.glob(os.path.join(ROOT, 'hpy', 'devel', 'include', 'hpy', '**', '*.h'),
                  recursive=True) + \
        glob.glob(os.path.join(ROOT, 'src', 'universal', '**', '*.[ch]'), recursive=True)
    for path in sources:
        with open(path) as f:
            text = f.read()
        assert 'not implemented yet' not in text, path
        assert 'not available in this runtime yet' not in text, path
