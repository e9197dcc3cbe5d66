"""Background work: start coroutines without waiting for them; the loop still waits for them to finish."""

import tinyio


def log_every(seconds, stop):
    ticks = 0
    while not stop.is_set():
        yield tinyio.sleep(seconds)
        ticks += 1
    print(f"logger: stopped after {ticks > 0 and 'some' or 'no'} ticks")


def upload(name):
    yield tinyio.sleep(0.05)
    print(f"uploaded {name}")
    return name


def main():
    stop = tinyio.Event()
    yield {log_every(0.01, stop)}  # a set: start it in the background and carry on at once
    print("main: the logger is running, main carries on")
    first = upload("a.txt")
    yield {first, upload("b.txt")}  # two more in the background
    name = yield first  # a background coroutine can still be awaited later for its result
    print("main: first upload was", name)
    stop.set()
    print("main: returns; Loop.run still waits for the rest")


tinyio.Loop().run(main())
print("every coroutine has finished")

# Expected output:
# main: the logger is running, main carries on
# uploaded ...
# uploaded ...
# main: first upload was a.txt
# main: returns; Loop.run still waits for the rest
# logger: stopped after some ticks
# every coroutine has finished
