"""Send CPU-bound work to a process pool: the loop waits for it without blocking, errors come back as usual."""

import concurrent.futures
import math

import tinyio


def bits_of_factorial(n):
    # CPU-bound: in a thread it would hold the GIL; in a process it runs in parallel with the loop.
    return math.factorial(n).bit_length()


def main(executor):
    sizes = yield [tinyio.run_in_executor(executor, bits_of_factorial, n) for n in (1000, 20000, 30000)]
    return sizes


if __name__ == "__main__":  # a process pool imports this file in its workers: start the loop only in the parent
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as executor:
        print(tinyio.Loop().run(main(executor)))

# Expected output:
# [8530, 256909, 402909]
