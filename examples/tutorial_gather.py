"""Gathering: wait for several coroutines at once; results come back in list order."""

import time

import tinyio


def fetch(name, seconds):
    print(f"{name}: start")
    yield tinyio.sleep(seconds)  # stands for slow I/O; the other coroutines run meanwhile
    print(f"{name}: done")
    return name.upper()


def main():
    started = time.monotonic()
    results = yield [fetch("slow", 0.2), fetch("fast", 0.1), fetch("medium", 0.15)]
    elapsed = time.monotonic() - started
    print(results)
    print("took less than the sum of the sleeps:", elapsed < 0.2 + 0.1 + 0.15)


tinyio.Loop().run(main())

# Expected output:
# slow: start
# fast: start
# medium: start
# fast: done
# medium: done
# slow: done
# ['SLOW', 'FAST', 'MEDIUM']
# took less than the sum of the sleeps: True
