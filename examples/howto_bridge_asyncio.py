"""tinyio inside asyncio, and asyncio inside tinyio."""

import asyncio

import tinyio


# tinyio code, to be called from asyncio
def crunch(numbers):
    results = yield [tinyio.run_in_thread(sum, numbers), tinyio.run_in_thread(max, numbers)]
    return results


# asyncio code, to be called from tinyio (a client library that only has an async API, say)
async def fetch_greeting(name):
    await asyncio.sleep(0.01)
    return f"hello, {name}"


async def asyncio_main():
    total, largest = await tinyio.to_asyncio(crunch([3, 1, 4, 1, 5]))  # tinyio runs between asyncio's steps
    print("from tinyio inside asyncio:", total, largest)


def tinyio_main():
    greeting = yield tinyio.from_asyncio(fetch_greeting("tinyio"))  # a fresh asyncio loop, in a worker thread
    print("from asyncio inside tinyio:", greeting)


asyncio.run(asyncio_main())
tinyio.Loop().run(tinyio_main())

# Expected output:
# from tinyio inside asyncio: 14 5
# from asyncio inside tinyio: hello, tinyio
