"""HPyModuleDef: methods, docs, exec and create slots, and every validation error (abi.md §9.6)."""
import hashlib
import types

import pytest

TAIL = ('This is not allowed because custom HPy_mod_create slot cannot return a builtin module '
        'object and cannot make any use of any other data defined in the HPyModuleDef. Either do '
        'not define HPy_mod_create slot and let the runtime create a builtin module object from '
        'the provided HPyModuleDef, or do not define anything else but the HPy_mod_create slot.')

NOARGS = '''
    HPyDef_METH(f, "f", HPyFunc_NOARGS, .doc = "f's doc")
    static HPy f_impl(HPyContext *ctx, HPy self) { (void)self; return HPyLong_FromLong(ctx, 42); }
'''


def module_source(defines, fields='', extra=''):
    return NOARGS + extra + '''
        static HPyDef *defs[] = { %s NULL };
        static HPyModuleDef moduledef = { .defines = defs, %s };
        HPy_MODINIT(@NAME@, moduledef)
    ''' % (defines, fields)


def _build_named(builder, source):
    """Build a module that writes its own HPyModuleDef (@NAME@ is its name)."""
    name = 'modx_' + hashlib.sha1(source.encode('utf-8')).hexdigest()[:12]
    return builder('#include "hpy.h"\n' + source.replace('@NAME@', name), name=name,
                   template=False)


def test_methods_doc_and_type(compile_module):
    mod = compile_module(NOARGS + '''
        @EXPORT(f)
        @INIT
    ''')
    assert type(mod) is types.ModuleType
    assert mod.f() == 42
    assert mod.f.__doc__ == "f's doc"
    assert mod.__doc__.startswith('test module')


def test_exec_slots_run_in_order(compile_module):
    mod = compile_module(NOARGS + '''
        HPyDef_SLOT(exec1, HPy_mod_exec)
        static int exec1_impl(HPyContext *ctx, HPy m)
        {
            HPy v = HPyUnicode_FromString(ctx, "first");
            int r = HPy_SetAttr_s(ctx, m, "order", v);
            HPy_Close(ctx, v);
            return r;
        }
        HPyDef_SLOT(exec2, HPy_mod_exec)
        static int exec2_impl(HPyContext *ctx, HPy m)
        {
            HPy old = HPy_GetAttr_s(ctx, m, "order");
            if (HPy_IsNull(old)) return -1;
            HPy suffix = HPyUnicode_FromString(ctx, ",second");
            HPy v = HPy_Add(ctx, old, suffix);
            int r = HPy_SetAttr_s(ctx, m, "order", v);
            HPy_Close(ctx, old); HPy_Close(ctx, suffix); HPy_Close(ctx, v);
            return r;
        }
        @EXPORT(f)
        @EXPORT(exec1)
        @EXPORT(exec2)
        @INIT
    ''')
    assert mod.order == 'first,second'


def test_exec_slot_failure_propagates(compile_module):
    with pytest.raises(ValueError, match='exec failed'):
        compile_module('''
            HPyDef_SLOT(ex, HPy_mod_exec)
            static int ex_impl(HPyContext *ctx, HPy m)
            {
                (void)m;
                HPyErr_SetString(ctx, ctx->h_ValueError, "exec failed");
                return -1;
            }
            @EXPORT(ex)
            @INIT
        ''')


CREATE = '''
    HPyDef_SLOT(create, HPy_mod_create)
    static HPy create_impl(HPyContext *ctx, HPy spec)
    {
        HPy types_mod = HPyImport_ImportModule(ctx, "types");
        HPy ns_type = HPy_GetAttr_s(ctx, types_mod, "SimpleNamespace");
        HPy ns = HPy_CallTupleDict(ctx, ns_type, HPy_NULL, HPy_NULL);
        HPy name = HPy_GetAttr_s(ctx, spec, "name");
        HPy_SetAttr_s(ctx, ns, "spec_name", name);
        HPy_Close(ctx, name); HPy_Close(ctx, ns_type); HPy_Close(ctx, types_mod);
        return ns;
    }
'''


def test_create_slot_returning_other_object(compile_module):
    mod = _build_named(compile_module, module_source('&create,', extra=CREATE))
    assert isinstance(mod, types.SimpleNamespace)
    assert mod.spec_name.startswith('modx_')


def test_create_slot_returning_a_module_is_refused(compile_module):
    src = module_source('&create,', extra='''
        HPyDef_SLOT(create, HPy_mod_create)
        static HPy create_impl(HPyContext *ctx, HPy spec)
        {
            (void)spec;
            return HPyImport_ImportModule(ctx, "types");
        }
    ''')
    with pytest.raises(SystemError) as e:
        _build_named(compile_module, src)
    assert str(e.value) == ('HPy_mod_create slot returned a builtin module object. This is '
                            'currently not supported.')


@pytest.mark.parametrize('defines,fields,extra,exc,message', [
    ('&f,', '.size = -1', '', SystemError, 'HPy does not permit HPyModuleDef.size < 0'),
    ('&f,', '.size = 8', '', SystemError,
     'Module state is not supported yet in HPy, set HPyModuleDef.size = 0 if module state is '
     'not needed'),
    ('&create, &create,', '', CREATE, SystemError,
     'Multiple definitions of the HPy_mod_create slot in HPyModuleDef.defines.'),
    ('&create, &f,', '', CREATE, SystemError,
     'HPyModuleDef defines a HPy_mod_create slot and some other slots or methods. ' + TAIL),
    ('&create,', '.doc = "x"', CREATE, SystemError,
     'HPyModuleDef defines a HPy_mod_create slot and some of the other fields are not set to '
     'their default value. ' + TAIL),
    ('&bad_slot,', '', '''
        HPyDef_SLOT(bad_slot, HPy_nb_add)
        static HPy bad_slot_impl(HPyContext *ctx, HPy a, HPy b) { return HPy_Add(ctx, a, b); }
     ''', SystemError, 'Unsupported slot in HPyModuleDef.defines (value: 7).'),
    ('&bad_sig,', '', '''
        static HPyDef bad_sig = { .kind = HPyDef_Kind_Meth,
                                  .meth = { .name = "g", .signature = HPyFunc_UNARYFUNC } };
     ''', ValueError, 'Unsupported HPyMeth signature'),
    ('&null_name,', '', '''
        static HPyDef null_name = { .kind = HPyDef_Kind_Meth,
                                    .meth = { .name = NULL, .impl = _HPy_FPTR_CAST(HPyCFunction, f_impl),
                                              .cpy_trampoline = _HPy_FPTR_CAST(cpy_PyCFunction, f_trampoline),
                                              .signature = HPyFunc_NOARGS } };
     ''', SystemError, 'HPyDef of kind Meth has a NULL name'),
    ('&bad_kind,', '', '''
        static HPyDef bad_kind = { .kind = (HPyDef_Kind)99 };
     ''', SystemError, 'HPyDef has an unknown kind (value: 99).'),
])
def test_invalid_module_definitions(compile_module, defines, fields, extra, exc, message):
    with pytest.raises(exc) as e:
        _build_named(compile_module, module_source(defines, fields, extra))
    assert str(e.value) == message
