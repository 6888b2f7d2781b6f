"""Times FeatcacheClient.batch_get of N records (msgpack); run by bench/clients/python-bench.ts.

argv: base_url api_key runs id_prefix count ... ; prints {"<id_prefix>": [ms, ...]} as JSON.
"""
import json
import sys
import time

from featcache_client import FeatcacheClient


def main() -> None:
    url, key, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pairs = sys.argv[4:]
    out = {}
    with FeatcacheClient(url, key or None) as client:
        for prefix, count in zip(pairs[0::2], pairs[1::2]):
            ids = [f"{prefix}{i:06d}" for i in range(int(count))]
            for _ in range(3):  # warm-up: connection, allocator
                client.batch_get(ids)
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                answer = client.batch_get(ids)
                times.append((time.perf_counter() - t) * 1000)
                assert len(answer["found"]) == len(ids), "records missing"
            out[prefix] = times
    print(json.dumps(out))


if __name__ == "__main__":
    main()
