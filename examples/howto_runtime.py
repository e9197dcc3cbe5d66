"""Drive a tinyio loop one round at a time from code that owns the main loop (a game loop, a GUI, a simulator)."""

import tinyio


def worker(name, rounds):
    for i in range(rounds):
        print(f"  {name} step {i}")
        yield
    return name


def main():
    done = yield [worker("a", 2), worker("b", 1)]
    yield tinyio.sleep(0.01)  # nothing can run until the timer expires: the driver is handed a wait callable
    return done


loop = tinyio.Loop()
frame = 0
waits = 0
with loop.runtime(main(), exception_group=None) as steps:
    while True:
        frame += 1
        if frame <= 3:
            print(f"frame {frame}")
        try:
            wait = next(steps)  # one round of the loop
        except StopIteration as stop:
            result = stop.value
            break
        if wait is not None:
            waits += 1
            wait()  # blocks until a timer, a thread or an event may have made progress (here: the timer)
            # A driver that must stay responsive meanwhile calls wait() in a thread of its own.
print("the driver waited:", waits > 0)
print("result", result)

# Expected output:
# frame 1
# frame 2
#   a step 0
#   b step 0
# frame 3
#   a step 1
# the driver waited: True
# result ['a', 'b']
