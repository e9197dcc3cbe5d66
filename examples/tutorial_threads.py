"""Blocking code (a library call, a file, a computation in C) runs in a thread while the loop goes on."""

import hashlib
import threading

import tinyio


def checksum(data):
    # An ordinary blocking function: it knows nothing about tinyio.
    return hashlib.sha256(data).hexdigest()[:16], threading.current_thread() is not threading.main_thread()


def ticker(done):
    while not done.is_set():
        yield tinyio.sleep(0.001)  # the loop keeps running while the thread works


def main():
    done = tinyio.Event()
    yield {ticker(done)}
    digest, in_another_thread = yield tinyio.run_in_thread(checksum, b"hello" * 1_000_000)
    done.set()
    print("digest", digest, "computed in another thread:", in_another_thread)

    def read_config():
        raise FileNotFoundError("settings.toml")

    try:
        yield tinyio.run_in_thread(read_config)  # the function's error is raised here, where it can be caught
    except FileNotFoundError as error:
        print("no config file:", error)


tinyio.Loop().run(main())

# Expected output:
# digest 06dd9cd625452b47 computed in another thread: True
# no config file: settings.toml
