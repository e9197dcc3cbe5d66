"""A first coroutine: a generator function that yields to the loop."""

import tinyio


def greet(name):
    print(f"hello, {name}")
    yield  # a checkpoint: let the other coroutines run for a moment
    print(f"goodbye, {name}")
    return len(name)


def main():
    length = yield greet("world")  # await: run greet() to the end and get what it returned
    print("greet returned", length)
    return length * 2


result = tinyio.Loop().run(main())
print("the loop returned", result)

# Expected output:
# hello, world
# goodbye, world
# greet returned 5
# the loop returned 10
