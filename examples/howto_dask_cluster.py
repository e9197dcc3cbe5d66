"""Send blocking work to a dask.distributed cluster through its concurrent.futures executor."""

# Requires: dask.distributed
import tinyio
from dask.distributed import Client, LocalCluster


def square(x):
    return x * x


def main(executor):
    return (yield [tinyio.run_in_executor(executor, square, x) for x in range(5)])


if __name__ == "__main__":
    # A real deployment connects to its scheduler: Client("tcp://scheduler:8786"). This starts a small local cluster.
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address="127.0.0.1:0") as cluster:
        with Client(cluster) as client:
            print(tinyio.Loop().run(main(client.get_executor())))

# Expected output:
# [0, 1, 4, 9, 16]
