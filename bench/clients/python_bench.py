"""Times FeatcacheClient.batch_get of N records (msgpack); run by bench/clients/python-bench.ts.

argv: base_url api_key runs id_prefix count ... ; prints as JSON
{"<id_prefix>": {"get": [ms, ...], "decode": [ms, ...]}}: the whole call, and the decoding
of the answer's bytes alone (msgpack + numpy, no HTTP).
"""
import json
import sys
import time

import requests

from featcache_client import FeatcacheClient, decoder, encode


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
            raw = requests.post(
                f"{url}/analysis/cache/batch-get",
                data=encode({"image_ids": ids}),
                headers={"content-type": "application/msgpack", "accept": "application/msgpack", **({"authorization": f"Bearer {key}"} if key else {})},
            ).content
            decode = decoder()
            decode_times = []
            for _ in range(runs):
                t = time.perf_counter()
                decode(raw)
                decode_times.append((time.perf_counter() - t) * 1000)
            out[prefix] = {"get": times, "decode": decode_times}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
