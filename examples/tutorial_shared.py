"""A coroutine waited on by several others runs once; everyone gets its result."""

import tinyio


def load_config():
    print("loading the configuration (once)")
    yield tinyio.sleep(0.01)
    return {"workers": 3}


def worker(number, config):
    settings = yield config  # every worker awaits the same coroutine object
    return f"worker {number} of {settings['workers']}"


def main():
    config = load_config()  # calling the function makes the coroutine; nothing runs yet
    lines = yield [worker(n, config) for n in range(1, 4)]
    print("\n".join(lines))
    again = yield config  # already finished: its result, at once
    print("fetched again:", again)


tinyio.Loop().run(main())

# Expected output:
# loading the configuration (once)
# worker 1 of 3
# worker 2 of 3
# worker 3 of 3
# fetched again: {'workers': 3}
