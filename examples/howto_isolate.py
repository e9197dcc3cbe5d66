"""Isolate a part that may fail: its failure cancels only what it started, and the rest of the program goes on."""

import tinyio


def heartbeat(stop):
    beats = 0
    while not stop.is_set():
        yield tinyio.sleep(0.005)
        beats += 1
    return beats


def plugin_task(n):
    yield tinyio.sleep(0.01)
    if n == 2:
        raise ValueError(f"plugin {n} is broken")
    return f"plugin {n} ok"


def run_plugin(n):
    # Everything plugin_task starts belongs to the isolate: a failure cancels that, and only that.
    return (yield tinyio.isolate(plugin_task(n)))


def main():
    stop = tinyio.Event()
    beat = heartbeat(stop)
    yield {beat}  # outside any isolate: unaffected by the plugin's failure
    for value, ok in (yield [run_plugin(n) for n in (1, 2, 3)]):
        print("ok:" if ok else "failed:", repr(value) if not ok else value)
    stop.set()
    print("heartbeat still ran to its end:", (yield beat) > 0)


tinyio.Loop().run(main())

# Expected output:
# ok: plugin 1 ok
# failed: ValueError('plugin 2 is broken')
# ok: plugin 3 ok
# heartbeat still ran to its end: True
