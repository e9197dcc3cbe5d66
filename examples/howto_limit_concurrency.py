"""Limit how many coroutines do something at once (a Semaphore), and how many threads run at once (a ThreadPool)."""

import time

import tinyio

downloads = tinyio.Semaphore(2)  # at most two downloads at a time
inside = 0  # how many coroutines are inside the semaphore right now
most_inside = 0


def download(number):
    global inside, most_inside
    with (yield downloads()):  # waits here while two others are inside; first come, first served
        inside += 1
        most_inside = max(most_inside, inside)
        yield tinyio.sleep(0.01)  # the download
        inside -= 1
    return number


pool = tinyio.ThreadPool(3)  # at most three of these blocking calls at a time, whoever makes them


def blocking_resize(size):
    time.sleep(0.005)  # a blocking library call
    return size // 2


def main():
    got = yield [download(n) for n in range(6)]
    print("downloaded", got, "- at most", most_inside, "at once")
    halves = yield pool.map(blocking_resize, [640, 1024, 2048, 4096])
    print("resized", halves)


tinyio.Loop().run(main())

# Expected output:
# downloaded [0, 1, 2, 3, 4, 5] - at most 2 at once
# resized [320, 512, 1024, 2048]
