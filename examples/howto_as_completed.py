"""Handle results in the order they finish, not the order they were started."""

import tinyio


def fetch(name, seconds):
    yield tinyio.sleep(seconds)
    return name


def main():
    pages = [fetch("slow", 0.03), fetch("fast", 0.01), fetch("medium", 0.02)]
    for next_done in (yield tinyio.as_completed(pages)):
        name = yield next_done  # the result of the next coroutine to finish
        print("got", name)


tinyio.Loop().run(main())

# Expected output:
# got fast
# got medium
# got slow
