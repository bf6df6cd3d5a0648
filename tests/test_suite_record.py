"""tools/suite_record.py (the record of `make test` that later targets reuse) and the cache of
compiled test modules in tests/support.py."""
import importlib.util
import os
import subprocess
import sys

import support
from support import ROOT


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'suite_record', os.path.join(ROOT, 'tools', 'suite_record.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def git_tree(path):
    subprocess.run(['git', 'init', '-q', str(path)], check=True)
    (path / 'a.c').write_text('int a;\n')
    (path / '.gitignore').write_text('/build/\n')
    subprocess.run(['git', '-C', str(path), 'add', '.'], check=True)


def test_digest_follows_the_sources(tmp_path, monkeypatch):
    tool = load_tool()
    git_tree(tmp_path)
    monkeypatch.setattr(tool, 'ROOT', str(tmp_path))
    first = tool.sources_digest()
    assert first == tool.sources_digest()
    (tmp_path / 'build').mkdir()
    (tmp_path / 'build' / 'out.o').write_text('ignored')
    assert tool.sources_digest() == first           # ignored files do not count
    (tmp_path / 'new.py').write_text('x = 1\n')
    second = tool.sources_digest()
    assert second != first                           # an untracked file counts
    (tmp_path / 'a.c').write_text('int b;\n')
    assert tool.sources_digest() not in (first, second)


def test_only_a_complete_record_of_the_same_sources_is_current(tmp_path, monkeypatch):
    tool = load_tool()
    git_tree(tmp_path)
    record = tmp_path / 'build' / 'test-run'
    record.mkdir(parents=True)
    monkeypatch.setattr(tool, 'ROOT', str(tmp_path))
    monkeypatch.setattr(tool, 'RECORD', str(record))
    (record / 'sources').write_text(tool.sources_digest() + '\n')
    assert tool.current(sys.executable) is None      # no status: interrupted
    (record / 'status').write_text('1\n')
    assert tool.current(sys.executable) == (str(record), 1)
    (tmp_path / 'a.c').write_text('int changed;\n')
    assert tool.current(sys.executable) is None


SNIPPET = '''
    HPyDef_METH(f, "f", HPyFunc_NOARGS)
    static HPy f_impl(HPyContext *ctx, HPy self) { (void)self; return HPyLong_FromLong(ctx, 7); }
    @EXPORT(f)
    @INIT
'''


def test_binary_cache_compiles_once_per_binary(tmp_path, monkeypatch):
    compiles = []
    real_run = subprocess.run

    def counting_run(cmd, *a, **kw):
        if cmd[0] in ('gcc', 'g++'):
            compiles.append(cmd)
        return real_run(cmd, *a, **kw)

    monkeypatch.setattr(support.subprocess, 'run', counting_run)
    monkeypatch.setattr(support, 'BINARY_CACHE', str(tmp_path / 'cache'))
    monkeypatch.setattr(support, 'BINARY_CACHE_MODE', 'write')
    os.makedirs(str(tmp_path / 'cache'))
    paths = {}
    for abi in ['universal', 'debug', 'trace', 'universal-dispatch', 'hybrid', 'hybrid-debug',
                'cpython']:
        _, paths[abi] = support.compile_module(SNIPPET, tmp_path / abi, abi)
    assert len(compiles) == 3                        # universal, hybrid, cpython
    assert len(set(paths.values())) == 7             # every load gets a file of its own
    with open(paths['universal'], 'rb') as f, open(paths['trace'], 'rb') as g:
        assert f.read() == g.read()
    # what the binary is built from besides its source is part of the key
    monkeypatch.setattr(support, '_inputs_digest', {'universal': 'other headers'})
    support.compile_module(SNIPPET, tmp_path / 'again', 'universal')
    assert len(compiles) == 4
    mod = support.load_module(*support.compile_module(SNIPPET, tmp_path / 'load', 'debug'),
                              'debug')
    assert mod.f() == 7
    assert len(compiles) == 4


def test_read_mode_refuses_a_missing_universal_binary(tmp_path, monkeypatch):
    monkeypatch.setattr(support, 'BINARY_CACHE', str(tmp_path))
    monkeypatch.setattr(support, 'BINARY_CACHE_MODE', 'read')
    try:
        support.compile_module(SNIPPET, tmp_path / 'u', 'universal')
    except support.CompilationError as e:
        assert 'was not built beforehand' in str(e)
    else:
        raise AssertionError('compiled in read mode')
    # binaries that include Python.h are built for each interpreter, also in read mode
    name, path = support.compile_module(SNIPPET, tmp_path / 'c', 'cpython')
    assert os.path.exists(path)
