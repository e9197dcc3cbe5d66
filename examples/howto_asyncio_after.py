"""howto_asyncio_before.py in tinyio: the same program, line for line."""

import time

import tinyio


def blocking_read(name):
    time.sleep(0.01)  # a blocking call: must not run on the event loop
    return f"<contents of {name}>"


def fetch(name, delay):
    yield tinyio.sleep(delay)
    text = yield tinyio.run_in_thread(blocking_read, name)
    return len(text)


def monitor(stop):
    yield stop.wait()
    print("monitor: stopping")


def main():
    stop = tinyio.Event()
    yield {monitor(stop)}  # in the background
    sizes = yield [fetch("a.txt", 0.02), fetch("bb.txt", 0.01)]
    print("sizes", sizes)
    stop.set()
    # Loop.run waits for monitor() by itself
    return sum(sizes)


print("total", tinyio.Loop().run(main()))

# Expected output:
# sizes [19, 20]
# monitor: stopping
# total 39
