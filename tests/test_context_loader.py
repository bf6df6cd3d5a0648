"""The loader and binaries that get their context from nowhere (HPyGetContext)."""
import os
import shutil
import tempfile
import subprocess

import pytest

from support import extension_spec

import hpy.universal
from test_context import SRC

TEST_ABIS = ['universal']


def test_binary_records_the_choice_and_keeps_its_context(compile_module, hpy_abi, tmp_path):
    name, path = compile_module.compile(SRC, name='fromnowhere', template=False,
                                        extra_flags=['-pthread'])
    exported = subprocess.run(['nm', '-D', '--defined-only', path], capture_output=True,
                              text=True).stdout
    assert 'HPyContextFromNowhere_fromnowhere' in exported
    spec = extension_spec(name, path)
    mod = hpy.universal.load(name, path, spec)
    assert mod.same_context().startswith('HPy Universal ABI')
    # the same file again with another context: refused, the first module keeps its context
    with pytest.raises(RuntimeError) as e:
        hpy.universal.load(name, path, spec, mode=hpy.universal.MODE_TRACE)
    assert 'gets its context with HPyGetContext and is already loaded with the context' in \
        str(e.value)
    assert mod.same_context().startswith('HPy Universal ABI')
    # a copy of the file can be loaded in trace mode
    # (a new directory each run: --refleaks repeats the test, and overwriting a loaded library
    # in place would change the code under the running process)
    copy = os.path.join(tempfile.mkdtemp(dir=str(tmp_path)), os.path.basename(path))
    shutil.copyfile(path, copy)
    traced = hpy.universal.load(name, copy, spec, mode=hpy.universal.MODE_TRACE)
    assert traced.same_context() == 'HPy Trace Mode ABI'


def test_many_binaries_get_their_context_from_nowhere(compile_module, tmp_path):
    # every hybrid binary gets its context from nowhere: a process may load any number of them
    name, path = compile_module.compile(SRC, name='fromnowhere', template=False,
                                        extra_flags=['-pthread'])
    spec = extension_spec(name, path)
    base = tempfile.mkdtemp(dir=str(tmp_path))
    for i in range(300):
        copy = os.path.join(base, str(i), os.path.basename(path))
        os.makedirs(os.path.dirname(copy))
        shutil.copyfile(path, copy)
        mod = hpy.universal.load(name, copy, spec)
        assert mod.same_context().startswith('HPy Universal ABI')
