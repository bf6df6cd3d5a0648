"""bench/run.py: runs may overlap in one checkout (each loads private copies of the binaries and
builds one at a time)."""
import importlib.util
import json
import os
import subprocess
import sys

from support import ROOT

RUN_PY = os.path.join(ROOT, 'bench', 'run.py')


def load_runner():
    spec = importlib.util.spec_from_file_location('bench_run', RUN_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_dir_is_private_and_dead_runs_are_cleaned(tmp_path, monkeypatch):
    runner = load_runner()
    monkeypatch.setattr(runner, 'BUILD_DIR', str(tmp_path))
    # a pid that no longer exists: a child that has been waited for
    child = subprocess.Popen([sys.executable, '-c', 'pass'])
    child.wait()
    stale = tmp_path / ('run-%d-abc' % child.pid)
    stale.mkdir()
    (stale / 'mod.so').write_bytes(b'x')
    alive = tmp_path / ('run-%d-def' % os.getpid())
    alive.mkdir()
    first = runner.make_run_dir()
    second = runner.make_run_dir()
    assert first != second
    assert os.path.dirname(first) == str(tmp_path)
    assert os.path.basename(first).startswith('run-%d-' % os.getpid())
    assert not stale.exists()
    assert alive.exists()


def test_two_runs_side_by_side(tmp_path):
    """Both rebuild every module while the other may have them loaded; both must finish."""
    cmd = [sys.executable, RUN_PY, '--quick', '--rebuild', '--filter', 'getattr',
           '--columns', 'cpython,universal,debug', '--repeat', '1']
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    for p, out in zip(procs, outs):
        assert p.returncode == 0, out
        assert 'getattr' in out
    build_dir = os.path.join(ROOT, 'bench', '_build')
    leftovers = [d for d in os.listdir(build_dir)
                 if d.startswith('run-') and d.split('-')[1] in {str(p.pid) for p in procs}]
    assert leftovers == []


def test_rows_timed_in_several_processes(tmp_path):
    """--processes: each row is timed in fresh processes whose repeats are pooled."""
    out_json = tmp_path / 'run.json'
    cmd = [sys.executable, RUN_PY, '--filter', 'getattr (C string)', '--columns', 'cpython',
           '--processes', '2', '--max-processes', '2', '--repeat', '2', '--max-repeat', '2',
           '--target-time', '0.001', '--json', str(out_json)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert 'processes: 2 per row' in res.stdout
    data = json.loads(out_json.read_text())
    assert data['processes'] == 2
    [row] = data['rows']
    cpy = row['results']['cpython']
    assert cpy['processes'] == 2
    assert cpy['repeats'] == 4
    assert len(cpy['process_ratios']) == 2
