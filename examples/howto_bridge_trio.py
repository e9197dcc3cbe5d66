"""tinyio inside trio, and trio inside tinyio; a crash on one side cancels the other."""

import functools

import trio

import tinyio


def countdown(n):
    for i in range(n, 0, -1):
        yield tinyio.sleep(0.001)
    return "lift-off"


async def trio_main():
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.sleep, 0.01)  # trio work alongside
        print("from tinyio inside trio:", await tinyio.to_trio(countdown(3)))


async def slow_trio_job(log):
    try:
        await trio.sleep(60)
    finally:
        log.append("trio job: cancelled and cleaned up")


def tinyio_main(log):
    yield {tinyio.from_trio(functools.partial(slow_trio_job, log))}  # trio in the background, in a worker thread
    yield tinyio.sleep(0.01)
    raise RuntimeError("something failed in tinyio")


trio.run(trio_main)
log = []
try:
    tinyio.Loop().run(tinyio_main(log))
except RuntimeError as error:
    print("tinyio raised:", error)
print(*log)

# Expected output:
# from tinyio inside trio: lift-off
# tinyio raised: something failed in tinyio
# trio job: cancelled and cleaned up
