"""The asyncio version of a small program; howto_asyncio_after.py is the same program in tinyio."""

import asyncio
import time


def blocking_read(name):
    time.sleep(0.01)  # a blocking call: must not run on the event loop
    return f"<contents of {name}>"


async def fetch(name, delay):
    await asyncio.sleep(delay)
    text = await asyncio.to_thread(blocking_read, name)
    return len(text)


async def monitor(stop):
    await stop.wait()
    print("monitor: stopping")


async def main():
    stop = asyncio.Event()
    task = asyncio.create_task(monitor(stop))
    sizes = await asyncio.gather(fetch("a.txt", 0.02), fetch("bb.txt", 0.01))
    print("sizes", sizes)
    stop.set()
    await task  # or asyncio.run cancels it
    return sum(sizes)


print("total", asyncio.run(main()))

# Expected output:
# sizes [19, 20]
# monitor: stopping
# total 39
