"""Timing, statistics and the ratio table shared by bench/run.py and bench/cython_bench.py.

The method (bench/README.md says it for readers):
* a variant is timed by CPU time (per-thread by default), so the time other processes take from
  this one is not counted;
* the variants of a row run interleaved, in an order that rotates every repeat, each for the same
  number of iterations (calibrated once on the baseline);
* a ratio is the median, over the repeats, of a variant's time divided by the baseline's time of
  the same repeat (paired: drift of the machine during one repeat affects both);
* its spread is half the width of a 95 % confidence interval of that median (from the order
  statistics of the per-repeat ratios), relative to the median; a row is repeated until every
  spread is within the noise limit, up to a maximum number of repeats; a ratio whose spread is
  still above the limit is marked, and a run with such ratios says it is too noisy to use;
* a row timed in several processes (bench/run.py --processes) pools their per-repeat ratios; the
  spread is then also at least the 95 % confidence interval of the mean of the per-process
  medians, since what a process brings with it (where the binaries and the row's objects land
  in memory) moves a ratio in all of that process's repeats and only other processes show it.
"""
import json
import math
import os
import statistics
import time
import timeit

CLOCKS = {
    'thread': time.thread_time,     # CPU time of this thread
    'process': time.process_time,   # CPU time of this process (all threads)
    'wall': time.perf_counter,      # elapsed time: counts what other processes take
}
DEFAULT_CLOCK = 'thread'
# a ratio whose spread (half the IQR of the per-repeat ratios, relative) is above this is noisy
NOISE_LIMIT = 0.03


def calibrate(timer, target_time):
    """Iterations for one run of about target_time seconds of the timer's clock."""
    number = 1
    while True:
        t = timer.timeit(number)
        if t >= target_time / 5 or number >= 10 ** 9:
            break
        number *= 10 if t < target_time / 100 else 2
    return max(1, int(number * target_time / max(t, 1e-9)))


def time_interleaved(make_timers, keys, repeat, target_time, max_repeat=None, enough=None):
    """Times the variants `keys` side by side. make_timers() returns one timeit.Timer per key (in
    the order of keys); it is called again before every repeat but the first, so that fresh loop
    code objects keep an unlucky placement in memory from penalising one variant in all repeats.
    Each variant is calibrated on its own (which warms it up), so that a run of a slow variant
    lasts about as long as one of a fast one. After `repeat` repeats, more follow while
    enough(times) is false, up to max_repeat in all. Returns ({key: iterations per run},
    {key: [seconds per iteration, one per repeat]})."""
    timers = make_timers()
    numbers = {key: calibrate(timer, target_time) for key, timer in zip(keys, timers)}
    times = {key: [] for key in keys}
    n = len(keys)
    r = 0
    while True:
        if r:
            timers = make_timers()
        for k in range(n):  # rotate the order so no variant always runs first
            i = (r + k) % n
            number = numbers[keys[i]]
            times[keys[i]].append(timers[i].timeit(number) / number)
        r += 1
        if r >= repeat and (max_repeat is None or r >= max_repeat or enough is None or
                            enough(times)):
            return numbers, times


def quartiles(values):
    """(first quartile, median, third quartile), inclusive method; one value is all three."""
    values = list(values)
    if not values:
        raise ValueError('no values')
    if len(values) == 1:
        return values[0], values[0], values[0]
    q = statistics.quantiles(values, n=4, method='inclusive')
    return q[0], q[1], q[2]


def median_interval(values):
    """About a 95 % confidence interval of the median of values, from their order statistics
    (no assumption on their distribution): the values of rank n/2 -+ 0.98 sqrt(n)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError('no values')
    n = len(ordered)
    half = 0.98 * math.sqrt(n)
    lo = max(0, int(math.floor(n / 2 - half)))
    hi = min(n - 1, int(math.ceil(n / 2 + half)) - 1)
    return ordered[lo], ordered[max(lo, hi)]


def ratio_stats(times, base_key, versus=None, noise_limit=NOISE_LIMIT):
    """{key: statistics of that variant against its baseline} from time_interleaved's times.
    The baseline is base_key, or versus[key] where versus names one for that variant. 'ratio'
    is the median of the paired per-repeat ratios, 'iqr' their quartiles, 'ci' the confidence
    interval of the median, 'spread' half its width relative to the median, 'noisy' whether
    spread is above noise_limit."""
    results = {}
    for key, mine in times.items():
        against = (versus or {}).get(key, base_key)
        base = times[against]
        if len(mine) != len(base):
            raise ValueError('%s has %d timings, the baseline %d' % (key, len(mine), len(base)))
        paired = [t / b for t, b in zip(mine, base)]
        q1, med, q3 = quartiles(paired)
        lo, hi = median_interval(paired)
        spread = (hi - lo) / 2 / med if med > 0 else 0.0
        results[key] = {'min': min(mine), 'median': statistics.median(mine), 'times': mine,
                        'versus': against, 'paired_ratios': paired, 'ratio': med,
                        'iqr': [q1, q3], 'ci': [lo, hi], 'repeats': len(mine),
                        'spread': spread, 'noisy': spread > noise_limit}
    return results


# two-sided 95 % quantiles of Student's t for 1 to 30 degrees of freedom (then about 2)
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t95(df):
    """The two-sided 95 % quantile of Student's t with df >= 1 degrees of freedom."""
    if df < 1:
        raise ValueError('no degrees of freedom')
    return _T95[df - 1] if df <= len(_T95) else 1.96 + 2.4 / df


def combine_processes(runs, base_key, versus=None, noise_limit=NOISE_LIMIT):
    """ratio_stats for one row timed in several processes: runs holds time_interleaved's times
    of each process. 'ratio' is the median of every paired per-repeat ratio of every process,
    'process_ratios' the median of each process; 'spread' is the larger of the median's
    confidence interval (as in ratio_stats, over the pooled ratios) and, from two processes on,
    the 95 % confidence interval of the mean of the per-process medians, both relative."""
    if not runs:
        raise ValueError('no runs')
    pooled = {key: [t for run in runs for t in run[key]] for key in runs[0]}
    results = ratio_stats(pooled, base_key, versus, noise_limit)
    per_process = [ratio_stats(run, base_key, versus, noise_limit) for run in runs]
    for key, res in results.items():
        medians = [p[key]['ratio'] for p in per_process]
        res['process_ratios'] = medians
        res['processes'] = len(medians)
        if len(medians) > 1 and res['ratio'] > 0:
            between = t95(len(medians) - 1) * statistics.stdev(medians) / math.sqrt(len(medians))
            res['spread'] = max(res['spread'], between / res['ratio'])
            res['noisy'] = res['spread'] > noise_limit
    return results


def precise_enough(base_key, versus=None, noise_limit=NOISE_LIMIT):
    """An `enough` for time_interleaved: every ratio's spread is within noise_limit."""
    def enough(times):
        stats = ratio_stats(times, base_key, versus, noise_limit)
        return not any(res['noisy'] for res in stats.values())
    return enough


def geomean(values):
    return statistics.geometric_mean(values)


def fmt_ns(seconds):
    ns = seconds * 1e9
    return '%.1f ns' % ns if ns < 1000 else '%.0f ns' % ns


def noisy_ratios(columns, rows):
    """[(row name, column title, spread)] of the ratios above the noise limit."""
    out = []
    for r in rows:
        for c in columns[1:]:
            res = r['results'].get(c.key)
            if res is not None and res['noisy']:
                out.append((r['name'], c.title, res['spread']))
    return out


def print_table(columns, rows, base_label='time', noise_limit=NOISE_LIMIT, goal_word='target'):
    """The table of a run: a row per benchmark, the baseline's time (columns[0]), then for each
    other column its time and its ratio to the baseline with the spread. A column has key,
    title, target (a ratio goal or None) and error (why it could not run, or None); a row has
    name and results ({column key: ratio_stats entry}). Returns the noisy ratios."""
    base, others = columns[0], columns[1:]
    w_row = max(len(r['name']) for r in rows) + 2
    w_base = max(len(base.title), 10) + 2
    # a measured cell is "<time:9> <ratio:6><mark:1> ±<spread:5><noisy:1>"
    cell = '%9s %6.3f%s \u00b1%5.3f%s'
    w_col = [max(len(c.title), 3 if c.error else 25) + 2 for c in others]
    header = '%-*s%*s' % (w_row, 'benchmark', w_base, base.title)
    sub = '%-*s%*s' % (w_row, '', w_base, base_label)
    for c, w in zip(others, w_col):
        header += '%*s' % (w, c.title)
        sub += '%*s' % (w, '' if c.error else '%9s %-15s' % ('time', 'ratio  spread'))
    print(header)
    print(sub)
    print('-' * len(header))
    flagged = False
    for r in rows:
        line = '%-*s%*s' % (w_row, r['name'], w_base, fmt_ns(r['results'][base.key]['min']))
        for c, w in zip(others, w_col):
            res = r['results'].get(c.key)
            if res is None:
                line += '%*s' % (w, 'n/a')
                continue
            mark = ' '
            if c.target is not None and res['ratio'] > c.target:
                mark, flagged = '*', True
            line += '%*s' % (w, cell % (fmt_ns(res['min']), res['ratio'], mark, res['spread'],
                                        '?' if res['noisy'] else ' '))
        print(line)
    print('-' * len(header))
    line = '%-*s%*s' % (w_row, 'geomean / max ratio', w_base, '')
    for c, w in zip(others, w_col):
        ratios = [r['results'][c.key]['ratio'] for r in rows if c.key in r['results']]
        text = '%.3f / %.3f' % (geomean(ratios), max(ratios)) if ratios else 'n/a'
        line += '%*s' % (w, text + ' ' * 8 if ratios else text)
    print(line)
    print()
    titles = {c.key: c.title for c in columns}
    versus = {}
    for c in others:
        for r in rows:
            if c.key in r['results']:
                versus.setdefault(titles[r['results'][c.key]['versus']], []).append(c.title)
                break
    if len(versus) > 1:
        print('ratios: %s' % '; '.join('%s to %s' % (', '.join(v), k) for k, v in versus.items()))
    repeats = [res['repeats'] for r in rows for res in r['results'].values()]
    processes = [res.get('processes', 1) for r in rows for res in r['results'].values()]
    print('time: CPU time per iteration (the minimum over the repeats); ratio: median over the '
          "repeats of the variant's time / the baseline's time in the same repeat; spread: half "
          'the 95%% confidence interval of that median, relative (? above %.2f); repeats: %s'
          % (noise_limit, _span(repeats)))
    if max(processes) > 1:
        print('processes: %s per row, their repeats pooled; a spread is at least half the 95%% '
              'confidence interval of the mean of the per-process ratios' % _span(processes))
    targets = ', '.join('%s <= %.2f' % (c.title, c.target) for c in others if c.target)
    if targets:
        print('%ss: %s%s' % (goal_word, targets, ' -- * marks a ratio above its %s' % goal_word
                             if flagged else ' -- all met'))
    for c in columns:
        if c.error:
            print('%s: n/a (%s)' % (c.title, c.error.strip().splitlines()[-1][:200]))
    noisy = noisy_ratios(columns, rows)
    total = sum(1 for r in rows for c in others if c.key in r['results'])
    if noisy:
        worst = max(noisy, key=lambda x: x[2])
        print('NOISY RUN: %d of %d ratios have a spread above \u00b1%.2f (worst: %s, %s, '
              '\u00b1%.3f); too noisy to use -- run again (more --repeat, a quieter machine)'
              % (len(noisy), total, noise_limit, worst[0], worst[1], worst[2]))
    else:
        print('noise: all %d ratios have a spread within \u00b1%.2f' % (total, noise_limit))
    return noisy


def _span(values):
    return '%d' % values[0] if min(values) == max(values) else '%d to %d' % (min(values),
                                                                            max(values))


def compare_runs(first, second):
    """How far the ratios of two runs (their --json data) are apart: [(row name, column key,
    first ratio, second ratio)] for each ratio both runs have."""
    seconds = {r['name']: r['results'] for r in second['rows']}
    out = []
    for r in first['rows']:
        other = seconds.get(r['name'], {})
        for key, res in r['results'].items():
            if key in other and res.get('versus', key) != key:
                out.append((r['name'], key, res['ratio'], other[key]['ratio']))
    return out


def print_comparison(first, second, limit=NOISE_LIMIT):
    """Prints the ratios of two runs side by side and how many differ by more than limit;
    returns the largest difference."""
    pairs = compare_runs(first, second)
    if not pairs:
        print('the two runs have no ratio in common')
        return 0.0
    w = max(len(name) for name, _, _, _ in pairs) + 2
    print('%-*s%-12s%8s%8s%8s' % (w, 'benchmark', 'column', 'first', 'second', 'diff'))
    for name, key, a, b in pairs:
        print('%-*s%-12s%8.3f%8.3f%+8.3f%s' % (w, name, key, a, b, b - a,
                                               ' !' if abs(b - a) > limit else ''))
    diffs = [abs(b - a) for _, _, a, b in pairs]
    print('%d ratios: %d differ by more than %.2f; largest difference %.3f, median %.3f'
          % (len(diffs), sum(d > limit for d in diffs), limit, max(diffs),
             statistics.median(diffs)))
    return max(diffs)


def write_json(path, data, indent=2, what='raw numbers'):
    """Writes data to path (its folder made if needed) and says so."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f, indent=indent)
        f.write('\n')
    print('%s written to %s' % (what, path))


def make_timer(stmt, namespace, clock, setup='pass'):
    """A timeit.Timer for stmt in namespace, timed by the named clock (a key of CLOCKS); setup
    runs before each timed run, outside the time."""
    return timeit.Timer(stmt, setup=setup, timer=CLOCKS[clock], globals=namespace)
