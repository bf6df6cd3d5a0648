"""bench/_timing.py: calibration, interleaving, the paired-ratio statistics and the noise verdict,
on an injected clock (a statement costs what the test says, no wall-clock time is measured)."""
import json
import os
import sys
import timeit

import pytest

from support import ROOT

sys.path.insert(0, os.path.join(ROOT, 'bench'))
import _timing  # noqa: E402


class FakeClock:
    """A clock that advances only when a timed statement spends time on it."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def spend(self, seconds):
        self.now += seconds


def fake_timer(clock, cost, log=None, key=None):
    """A timeit.Timer whose statement costs `cost` seconds of the fake clock; each timeit() call
    appends key to log (timeit runs its setup once per call)."""
    g = {'clock': clock, 'cost': cost, 'log': log, 'key': key}
    setup = 'log.append(key)' if log is not None else 'pass'
    return timeit.Timer('clock.spend(cost)', setup=setup, timer=clock, globals=g)


class Col:
    def __init__(self, key, title, target=None, error=None):
        self.key, self.title, self.target, self.error = key, title, target, error


def test_calibrate_reaches_the_target_time():
    clock = FakeClock()
    number = _timing.calibrate(fake_timer(clock, 1e-6), 0.05)
    assert number == pytest.approx(50000, abs=1)
    # a statement slower than the target runs once
    assert _timing.calibrate(fake_timer(FakeClock(), 1.0), 0.05) == 1


def test_interleaving_rotates_and_times_per_iteration():
    clock = FakeClock()
    log = []
    costs = {'a': 1e-6, 'b': 2e-6, 'c': 4e-6}
    made = []

    def make_timers():
        made.append(1)
        return [fake_timer(clock, costs[k], log, k) for k in 'abc']

    numbers, times = _timing.time_interleaved(make_timers, ['a', 'b', 'c'], 3, 0.01)
    # each variant runs for about the target time
    assert numbers['a'] == pytest.approx(10000, abs=1)
    assert numbers['b'] == pytest.approx(5000, abs=1)
    assert numbers['c'] == pytest.approx(2500, abs=1)
    assert len(made) == 3   # fresh timers for every repeat but the first
    # calibration comes first, then one run per variant per repeat, rotating
    timed = log[-9:]
    assert timed == ['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']
    for k in 'abc':
        assert times[k] == pytest.approx([costs[k]] * 3)


def test_ratio_is_the_median_of_paired_ratios():
    # the machine slows down in repeat 3: paired ratios do not see it, ratios of minima would
    times = {'base': [1.0, 1.0, 2.0, 1.0, 1.0],
             'x': [1.1, 1.2, 2.2, 1.1, 1.0]}
    res = _timing.ratio_stats(times, 'base')
    assert res['base']['ratio'] == 1.0
    assert res['base']['spread'] == 0.0
    assert res['x']['paired_ratios'] == pytest.approx([1.1, 1.2, 1.1, 1.1, 1.0])
    assert res['x']['ratio'] == pytest.approx(1.1)
    assert res['x']['iqr'] == pytest.approx([1.1, 1.1])
    assert res['x']['min'] == 1.0
    assert res['x']['versus'] == 'base'
    # five repeats say little: the interval of the median is their whole range
    assert res['x']['ci'] == pytest.approx([1.0, 1.2])
    assert res['x']['noisy']


def test_spread_and_noisy_flag():
    times = {'base': [1.0] * 4, 'x': [1.0, 1.1, 1.2, 1.3]}
    res = _timing.ratio_stats(times, 'base', noise_limit=0.03)
    assert res['x']['iqr'] == pytest.approx((1.075, 1.225))
    assert res['x']['ratio'] == pytest.approx(1.15)
    # four values: the confidence interval of the median is their whole range
    assert res['x']['ci'] == pytest.approx((1.0, 1.3))
    assert res['x']['spread'] == pytest.approx(0.15 / 1.15)
    assert res['x']['repeats'] == 4
    assert res['x']['noisy']
    assert not _timing.ratio_stats(times, 'base', noise_limit=0.2)['x']['noisy']


def test_processes_that_agree_pool_their_repeats():
    # 100 repeats in each of three processes, the same ratios in each: the spread is the pooled
    # median's, narrower than one process's
    one = {'base': [1.0] * 100, 'x': [1.0 + 0.001 * (i % 50) for i in range(100)]}
    alone = _timing.ratio_stats(one, 'base')['x']
    res = _timing.combine_processes([one, one, one], 'base')
    x = res['x']
    assert x['processes'] == 3
    assert x['repeats'] == 300
    assert x['process_ratios'] == pytest.approx([alone['ratio']] * 3)
    assert x['ratio'] == pytest.approx(alone['ratio'])
    assert 0 < x['spread'] < alone['spread']
    assert not x['noisy']
    assert res['base']['ratio'] == 1.0 and res['base']['spread'] == 0.0


def test_processes_that_disagree_make_a_wide_spread():
    # each process is precise on its own, but they land on 1.10, 1.20 and 1.30: the spread is
    # the confidence interval of the mean of the three (t with 2 degrees of freedom)
    runs = [{'base': [1.0] * 50, 'x': [r] * 50} for r in (1.1, 1.2, 1.3)]
    for run in runs:
        assert _timing.ratio_stats(run, 'base')['x']['spread'] == 0.0
    x = _timing.combine_processes(runs, 'base')['x']
    assert x['process_ratios'] == pytest.approx([1.1, 1.2, 1.3])
    assert x['ratio'] == pytest.approx(1.2)
    assert x['spread'] == pytest.approx(4.303 * 0.1 / 3 ** 0.5 / 1.2)
    assert x['noisy']
    # one process: what ratio_stats says
    single = _timing.combine_processes(runs[:1], 'base')['x']
    assert single['spread'] == 0.0 and single['processes'] == 1
    with pytest.raises(ValueError):
        _timing.combine_processes([], 'base')


def test_student_t_quantiles():
    assert _timing.t95(1) == pytest.approx(12.706)
    assert _timing.t95(2) == pytest.approx(4.303)
    assert _timing.t95(30) == pytest.approx(2.042)
    assert _timing.t95(60) == pytest.approx(2.000, abs=0.002)
    assert _timing.t95(10 ** 6) == pytest.approx(1.96, abs=0.001)
    with pytest.raises(ValueError):
        _timing.t95(0)


def test_table_says_how_many_processes(capsys):
    runs = [{'base': [1.0] * 10, 'x': [1.0] * 10}] * 4
    rows = [{'name': 'row', 'results': _timing.combine_processes(runs, 'base')}]
    _timing.print_table([Col('base', 'Base'), Col('x', 'X')], rows)
    out = capsys.readouterr().out
    assert 'processes: 4 per row' in out
    assert 'noise: all 1 ratios have a spread within' in out


def test_median_interval_narrows_with_more_values():
    assert _timing.median_interval([5.0]) == (5.0, 5.0)
    assert _timing.median_interval([2.0, 1.0]) == (1.0, 2.0)
    ten = list(range(10))
    assert _timing.median_interval(ten) == (1, 8)          # all but the extremes
    hundred = list(range(100))
    assert _timing.median_interval(hundred) == (40, 59)
    with pytest.raises(ValueError):
        _timing.median_interval([])


def test_more_repeats_while_noisy():
    clock = FakeClock()
    # x costs 1.0 or 1.2 (alternately) units against a base of 1.0: noisy until the median's
    # interval closes in, which it never does with a 50/50 mix
    state = {'n': 0}

    class Alternating:
        def __init__(self):
            state['n'] += 1
            self.cost = 1.2e-6 if state['n'] % 2 else 1.0e-6

    def make_timers():
        return [fake_timer(clock, 1e-6), fake_timer(clock, Alternating().cost)]

    enough = _timing.precise_enough('base', noise_limit=0.03)
    _, times = _timing.time_interleaved(make_timers, ['base', 'x'], 4, 0.001, 9, enough)
    assert len(times['x']) == 9                              # up to max_repeat
    # a steady variant stops at the minimum number of repeats
    _, times = _timing.time_interleaved(lambda: [fake_timer(clock, 1e-6),
                                                 fake_timer(clock, 2e-6)],
                                        ['base', 'x'], 4, 0.001, 9, enough)
    assert len(times['x']) == 4
    assert _timing.ratio_stats(times, 'base')['x']['ratio'] == pytest.approx(2.0)
    # without max_repeat, exactly `repeat`
    _, times = _timing.time_interleaved(make_timers, ['base', 'x'], 3, 0.001, None, enough)
    assert len(times['x']) == 3


def test_ratio_against_another_variant():
    times = {'capi': [1.0, 1.0, 1.0], 'cpy': [1.0, 1.0, 1.0], 'uni': [1.2, 1.2, 1.2]}
    times['cpy'] = [2.0, 2.0, 2.0]
    res = _timing.ratio_stats(times, 'capi', versus={'uni': 'cpy'})
    assert res['cpy']['ratio'] == pytest.approx(2.0)
    assert res['uni']['ratio'] == pytest.approx(0.6)
    assert res['uni']['versus'] == 'cpy'


def test_quartiles_and_bad_input():
    assert _timing.quartiles([3.0]) == (3.0, 3.0, 3.0)
    assert _timing.quartiles([1.0, 2.0, 3.0, 4.0, 5.0]) == (2.0, 3.0, 4.0)
    with pytest.raises(ValueError):
        _timing.quartiles([])
    with pytest.raises(ValueError, match='timings'):
        _timing.ratio_stats({'base': [1.0, 1.0], 'x': [1.0]}, 'base')


def _rows(x_times):
    return [{'name': 'row one',
             'results': _timing.ratio_stats({'base': [1e-6] * 4, 'x': x_times}, 'base')}]


def test_table_quiet_run(capsys):
    cols = [Col('base', 'Base'), Col('x', 'Variant X', target=1.05), Col('y', 'Y', error='no')]
    noisy = _timing.print_table(cols, _rows([1.02e-6] * 4))
    out = capsys.readouterr().out
    assert noisy == []
    assert 'row one' in out and '1.020' in out and '\u00b10.000' in out
    assert 'all 1 ratios have a spread within' in out
    assert 'all met' in out
    assert 'Y: n/a (no)' in out
    assert 'NOISY' not in out


def test_table_noisy_run(capsys):
    cols = [Col('base', 'Base'), Col('x', 'Variant X', target=1.05)]
    noisy = _timing.print_table(cols, _rows([1.0e-6, 1.1e-6, 1.2e-6, 1.3e-6]))
    out = capsys.readouterr().out
    assert [(name, title) for name, title, _ in noisy] == [('row one', 'Variant X')]
    assert '1.150*' in out and '?' in out
    assert 'NOISY RUN: 1 of 1 ratios' in out and 'too noisy to use' in out


def test_write_json(tmp_path, capsys):
    path = tmp_path / 'sub' / 'out.json'
    _timing.write_json(str(path), {'a': [1, 2]}, what='numbers')
    assert json.loads(path.read_text()) == {'a': [1, 2]}
    assert 'numbers written to' in capsys.readouterr().out


def test_clocks_are_cpu_time_by_default():
    assert _timing.CLOCKS[_timing.DEFAULT_CLOCK] is __import__('time').thread_time
    timer = _timing.make_timer('pass', {}, 'process')
    assert timer.timer is __import__('time').process_time


def test_compare_runs(capsys):
    def run(ratio_x):
        return {'rows': [{'name': 'r', 'results': {
            'base': {'ratio': 1.0, 'versus': 'base'},
            'x': {'ratio': ratio_x, 'versus': 'base'}}}]}
    assert _timing.compare_runs(run(1.10), run(1.15)) == [('r', 'x', 1.10, 1.15)]
    largest = _timing.print_comparison(run(1.10), run(1.15))
    out = capsys.readouterr().out
    assert largest == pytest.approx(0.05)
    assert '1 ratios: 1 differ by more than 0.03' in out and ' !' in out
    assert _timing.print_comparison(run(1.10), run(1.12)) == pytest.approx(0.02)
    assert '0 differ' in capsys.readouterr().out
