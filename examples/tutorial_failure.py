"""What a user sees when something fails: the original error, with the waiters' frames stitched on."""

import tinyio


def parse(text):
    yield tinyio.sleep(0.01)
    return int(text)  # "forty-two" is not a number: ValueError


def total(texts):
    numbers = yield [parse(text) for text in texts]
    return sum(numbers)


def heartbeat():
    try:
        while True:
            yield tinyio.sleep(0.005)
    except tinyio.CancelledError:
        print("heartbeat: cancelled, cleaning up")
        raise


def main():
    yield {heartbeat()}
    result = yield total(["1", "forty-two", "3"])
    print("never printed", result)


tinyio.Loop().run(main())

# Expected exit status: 1
# Expected output:
# heartbeat: cancelled, cleaning up
# Traceback (most recent call last):
#   File "examples/tutorial_failure.py", line 31, in <module>
#     tinyio.Loop().run(main())
#   File "...tinyio/_loop.py", line ..., in run
#     ...
#   File "examples/tutorial_failure.py", line 27, in main
#     result = yield total(["1", "forty-two", "3"])
#              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
#   File "examples/tutorial_failure.py", line 12, in total
#     numbers = yield [parse(text) for text in texts]
#               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
#   File "examples/tutorial_failure.py", line 8, in parse
#     return int(text)  # "forty-two" is not a number: ValueError
#            ^^^^^^^^^
# ValueError: invalid literal for int() with base 10: 'forty-two'
