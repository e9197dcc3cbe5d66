"""Time out a piece of work: it is really stopped, cleans up, and what it started is cancelled too."""

import tinyio


def poll(name, log):
    try:
        while True:
            yield tinyio.sleep(0.01)
    except tinyio.CancelledError:
        log.append(f"{name}: cancelled")
        raise


def slow_download(log):
    yield {poll("progress bar", log)}  # started by the download alone: it goes when the download goes
    try:
        yield tinyio.sleep(10)
        return "data"
    except tinyio.TimeoutError:
        log.append("download: timed out, removing the partial file")
        raise


def fast_download():
    yield tinyio.sleep(0.01)
    return "data"


def main():
    log = []
    print((yield tinyio.timeout(fast_download(), 1)))
    print((yield tinyio.timeout(slow_download(log), 0.05)))
    print(*log, sep="\n")


tinyio.Loop().run(main())  # returns at once: nothing of the timed-out download keeps running

# Expected output:
# ('data', True)
# (None, False)
# progress bar: cancelled
# download: timed out, removing the partial file
