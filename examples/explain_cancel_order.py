"""Who receives what, in which order, when one coroutine of a graph fails (drawn on the page about errors)."""

import tinyio


def handler(number):
    if number == 2:
        print(f"handler {number}: raises ValueError")
        raise ValueError(f"request {number} is malformed")
    try:
        yield tinyio.sleep(1)
    except tinyio.CancelledError:
        print(f"handler {number}: CancelledError")
        raise


def never_started():
    print("this line never runs")  # a coroutine that never ran is closed: none of its code runs
    yield


def server():
    try:
        yield [handler(1), handler(2), never_started()]
    except tinyio.CancelledError:
        print("server: CancelledError")
        raise


def logger():
    try:
        while True:
            yield tinyio.sleep(0.5)
    except tinyio.CancelledError:
        print("logger: CancelledError")
        raise


def main():
    try:
        yield {logger()}
        yield server()
    except tinyio.CancelledError:
        print("main: CancelledError")
        raise


try:
    tinyio.Loop().run(main())
except ValueError as error:
    print(f"Loop.run raised ValueError: {error}")

# Expected output:
# handler 2: raises ValueError
# handler 1: CancelledError
# server: CancelledError
# logger: CancelledError
# main: CancelledError
# Loop.run raised ValueError: request 2 is malformed
