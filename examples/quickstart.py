"""The README's example: two coroutines gathered, each sleeping a little."""

import tinyio


def slow_add_one(x: int) -> tinyio.Coro[int]:
    yield tinyio.sleep(0.1)
    return x + 1


def foo() -> tinyio.Coro[tuple[int, int]]:
    four, five = yield [slow_add_one(3), slow_add_one(4)]
    return four, five


if __name__ == "__main__":
    out = tinyio.Loop().run(foo())
    assert out == (4, 5)
    print(out)
