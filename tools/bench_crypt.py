"""Default-password test throughput: crypt(3) calls per second through ctypes, one thread
(the floor) against the thread pool of :mod:`jcstar_agent.passwords.search` on every core.

Target: the pool beats the single-thread floor by at least 0.65 x the core count (ctypes releases
the GIL during crypt; the rest is Python bookkeeping). The target is judged only on an idle
machine (1-minute load average below the core count): on a busy one the figures are printed with
the CPU time the process got per wall second, and no verdict.
"""
import os
import sys
import time

from bench import Row

SETTINGS = (("yescrypt", "$y$j9T$abcdefghijklmnop$", 1.5), ("sha512crypt", "$6$saltsalt$", 1.0),
            ("bcrypt cost 8", "$2b$08$abcdefghijklmnopqrstuu", 1.5), ("md5crypt", "$1$saltsalt$", 0.5))


def run(args):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from jcstar_agent import libcrypt
    from jcstar_agent.passwords import search

    lib = libcrypt.load()
    if lib is None:
        return [Row("crypt library", 0, "", note="no crypt library on this system")]
    cores = search.workers()
    rows = []
    for name, setting, seconds in SETTINGS:
        stored = lib.hash("not-in-any-list", setting)
        n, t0, c0 = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - t0 < seconds:
            lib.verify(f"candidate{n}", stored)
            n += 1
        wall = time.perf_counter() - t0
        single, single_cpu = n / wall, (time.process_time() - c0) / wall
        cands = [(f"candidate{i}", "bench") for i in range(int(single * seconds * cores * 4) + 8)]
        t0, c0 = time.perf_counter(), time.process_time()
        res = search.search([search.Target("bench", lambda p: lib.verify(p, stored), cands)], seconds)
        wall = time.perf_counter() - t0
        pooled, pooled_cpu = res["bench"].tried / wall, (time.process_time() - c0) / wall
        load = os.getloadavg()[0]
        idle = load < cores
        rows.append(Row(f"{name}: single thread (floor)", single, "/s",
                        note=f"CPU {single_cpu:.2f} s per wall s"))
        rows.append(Row(f"{name}: pool of {cores} threads", pooled, "/s", floor=single,
                        target=f">= {0.65 * cores:.1f}x floor" if cores > 1 else "= floor",
                        ok=(pooled >= 0.65 * cores * single) if cores > 1 and idle else None,
                        note=f"CPU {pooled_cpu:.2f} s per wall s; load {load:.1f} on {cores} cores"
                             f"{'' if idle else ' (busy machine: not judged)'}; {lib.path} {lib.function}"))
    rows.append(_gil_row(lib))
    return rows


def _gil_row(lib):
    """Python keeps running while another thread is inside crypt: the GIL is released."""
    import threading

    stored = lib.hash("x", "$2b$08$abcdefghijklmnopqrstuu")

    def spin(seconds, stop):
        n, t0 = 0, time.perf_counter()
        while not stop and time.perf_counter() - t0 < seconds:
            n += 1
        return n / (time.perf_counter() - t0)

    base = spin(0.5, [])
    stop = []
    th = threading.Thread(target=lambda: ([lib.verify(f"c{i}", stored) for i in range(20)], stop.append(1)))
    th.start()
    during = spin(30, stop)
    th.join()
    return Row("python loop rate while a thread is in crypt", during / base * 100, "%",
               target=">= 50% of the idle rate (GIL released)", ok=during >= 0.5 * base,
               note="a held GIL would stall the loop for every call")
