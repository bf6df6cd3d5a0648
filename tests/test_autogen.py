"""The generated files are derived from api/ and frozen: stale output or a moved member fails."""
import os
import subprocess
import sys

from support import INCLUDE, ROOT

LAYOUT = os.path.join(ROOT, 'tests', 'abi', 'autogen_abi_layout.c')


def test_generated_files_are_up_to_date():
    res = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'autogen.py'), '--check'],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_layout_file_freezes_every_member():
    with open(LAYOUT) as f:
        text = f.read()
    members = [l for l in text.splitlines() if 'offsetof(HPyContext, ' in l and '"member ' in l]
    # upstream's 273 members at their offsets, then the members added since (minor >= 1)
    assert len(members) >= 273
    assert 'offsetof(HPyContext, h_None) == 24,' in text
    assert 'offsetof(HPyContext, ctx_Slice_New) == %d,' % (24 + 8 * 272) in text
    assert 'offsetof(HPyContext, ctx_AttachThread) == %d,' % (24 + 8 * 273) in text
    assert 'sizeof(HPyContext) == %d' % (24 + 8 * len(members)) in text
    for struct in ['HPyDef', 'HPyMeth', 'HPySlot', 'HPyMember', 'HPyGetSet', 'HPyType_Spec',
                   'HPyModuleDef', '_HPyFunc_args_KEYWORDS', '_HPyFunc_args_TRAVERSEPROC']:
        assert 'sizeof(%s) ==' % struct in text


def _compile(cmd, tmp_path):
    res = subprocess.run(cmd + ['-o', str(tmp_path / 'out.o')], capture_output=True, text=True)
    return res


def test_layout_compiles_as_c11(tmp_path):
    res = _compile(['gcc', '-std=c11', '-Wall', '-Wextra', '-Werror', '-c',
                    '-I' + os.path.join(INCLUDE, 'hpy', 'forbid_python_h'), '-I' + INCLUDE,
                    LAYOUT], tmp_path)
    assert res.returncode == 0, res.stderr


def test_layout_compiles_as_cxx11(tmp_path):
    res = _compile(['g++', '-x', 'c++', '-std=c++11', '-Wall', '-Wextra', '-Werror', '-c',
                    '-I' + os.path.join(INCLUDE, 'hpy', 'forbid_python_h'), '-I' + INCLUDE,
                    LAYOUT], tmp_path)
    assert res.returncode == 0, res.stderr


def test_a_moved_member_breaks_the_layout_check(tmp_path):
    with open(LAYOUT) as f:
        text = f.read()
    broken = text.replace('offsetof(HPyContext, h_None) == 24,', 'offsetof(HPyContext, h_None) == 32,')
    assert broken != text
    src = tmp_path / 'broken.c'
    src.write_text(broken)
    res = _compile(['gcc', '-std=c11', '-c', '-I' + os.path.join(INCLUDE, 'hpy', 'forbid_python_h'),
                    '-I' + INCLUDE, str(src)], tmp_path)
    assert res.returncode != 0
    assert 'member 0: h_None' in res.stderr
