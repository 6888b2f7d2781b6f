"""The client against a real featcache service on a real redis-server.

test/clients/python.test.ts starts both and sets:
  FEATCACHE_URL          the service
  FEATCACHE_WRITE_KEY    a write key, FEATCACHE_READ_KEY a read key
  FEATCACHE_MAX_BATCH    the service's FEATCACHE_MAX_BATCH (small, so batches are split)
  FEATCACHE_TEST_IMAGES  a directory of PNGs: a-source, a-rotate90, g-source, f-source
                         (textured images of test/provenance/set-fixture.ts)
"""
import math
import os
import unittest
import uuid

import numpy as np

from featcache_client import FeatcacheClient, FeatcacheError, FeatcacheTransportError, WireTypeError

URL = os.environ.get("FEATCACHE_URL", "")
WRITE_KEY = os.environ.get("FEATCACHE_WRITE_KEY", "")
READ_KEY = os.environ.get("FEATCACHE_READ_KEY", "")
MAX_BATCH = int(os.environ.get("FEATCACHE_MAX_BATCH", "1000"))
IMAGES = os.environ.get("FEATCACHE_TEST_IMAGES", "")


def uid(name: str) -> str:
    return f"py-{name}-{uuid.uuid4().hex[:8]}"


def every_dtype() -> dict:
    """One array of every dtype the wire carries, with the values that break lossy paths."""
    f32 = np.array([-0.0, 1e-45, np.finfo(np.float32).max, np.finfo(np.float32).tiny, 0.1], dtype=np.float32)
    f64 = np.array([-0.0, 5e-324, np.finfo(np.float64).max, 0.1, -1.0 / 3], dtype=np.float64)
    ints = {dt: np.array([np.iinfo(dt).min, np.iinfo(dt).max, 0, 1], dtype=dt) for dt in ("i1", "i2", "u2", "i4", "u4", "i8", "u8")}
    return {
        "f32": f32,
        "f64": f64,
        **{f"int_{dt}": a for dt, a in ints.items()},
        "bytes": np.arange(256, dtype=np.uint8),
        # a 512-float32 embedding: long enough for the service's float packing and lz4
        "embedding": np.random.default_rng(7).standard_normal(512).astype(np.float32),
        "plain": {"neg_zero": -0.0, "big": 2**60, "text": "ünïcode", "list": [1, 2.5, None, True]},
    }


@unittest.skipUnless(URL and WRITE_KEY and READ_KEY, "set FEATCACHE_URL, FEATCACHE_WRITE_KEY and FEATCACHE_READ_KEY")
class ClientTest(unittest.TestCase):
    def setUp(self):
        self.w = FeatcacheClient(URL, WRITE_KEY, max_batch=MAX_BATCH)
        self.r = FeatcacheClient(URL, READ_KEY, max_batch=MAX_BATCH)

    def tearDown(self):
        self.w.close()
        self.r.close()

    def assertSameArrays(self, got: dict, sent: dict):
        for name, a in sent.items():
            if isinstance(a, np.ndarray):
                self.assertIsInstance(got[name], np.ndarray, name)
                self.assertEqual(got[name].dtype, a.dtype, name)
                self.assertEqual(got[name].tobytes(), a.tobytes(), name)  # bit-exact: -0.0 and subnormals too

    def test_batch_set_and_get_keep_every_dtype_bit_exact(self):
        ids = [uid(f"dtypes-{i}") for i in range(3)]
        sent = every_dtype()
        self.assertEqual(self.w.batch_set([(i, sent) for i in ids]), {"written": 3, "requested": 3})
        answer = self.r.batch_get(ids + ["py-never-written"])
        self.assertEqual(answer["missing"], ["py-never-written"])
        self.assertEqual(sorted(answer["found"]), sorted(ids))
        rec = answer["found"][ids[0]]
        self.assertEqual(rec["source"], "stored")
        self.assertSameArrays(rec["features"], sent)
        plain = rec["features"]["plain"]
        self.assertEqual(math.copysign(1, plain["neg_zero"]), -1.0)
        self.assertEqual(plain["big"], 2**60)
        self.assertEqual(plain["text"], "ünïcode")
        self.assertEqual(plain["list"], [1, 2.5, None, True])

    def test_long_batches_are_split_at_max_batch(self):
        n = MAX_BATCH * 2 + 3
        ids = [uid(f"split-{i}") for i in range(n)]
        items = [{"image_id": i, "features": {"v": np.array([k], dtype=np.int32)}, "groups": ["py-split"]} for k, i in enumerate(ids)]
        self.assertEqual(self.w.batch_set(items), {"written": n, "requested": n})
        found = self.r.batch_get(ids)["found"]
        self.assertEqual(len(found), n)
        self.assertEqual([int(found[i]["features"]["v"][0]) for i in ids], list(range(n)))

    def test_a_batch_over_the_service_limit_is_batch_too_large(self):
        unsplit = FeatcacheClient(URL, READ_KEY, max_batch=100_000)
        with self.assertRaises(FeatcacheError) as cm:
            unsplit.batch_get([f"id-{i}" for i in range(MAX_BATCH + 1)])
        self.assertEqual((cm.exception.code, cm.exception.status), ("BATCH_TOO_LARGE", 413))
        self.assertTrue(cm.exception.request_id)

    def test_non_finite_values_are_refused_by_the_service(self):
        image_id = uid("nan")
        with self.assertRaises(FeatcacheError) as cm:
            self.w.put(image_id, {"v": np.array([1.0, np.nan], dtype=np.float32)})
        self.assertEqual((cm.exception.code, cm.exception.status), ("INVALID_FEATURES", 400))
        self.assertIsNone(self.r.get(image_id))

    def test_float16_is_refused_before_sending(self):
        with self.assertRaises(WireTypeError):
            self.w.put(uid("f16"), {"v": np.zeros(4, dtype=np.float16)})

    def test_single_put_get_delete(self):
        image_id = uid("user/1/img ü.jpg")  # reserved characters go percent-encoded
        sent = {"phash": "ba8c84536bd3c366", "emb": np.array([0.5, -0.0], dtype=np.float32), "n": 3}
        self.assertEqual(self.w.put(image_id, sent, ttl_seconds=600, groups=["py-single"])["image_id"], image_id)
        rec = self.r.get(image_id)
        self.assertEqual(rec["image_id"], image_id)
        self.assertEqual(rec["features"]["phash"], "ba8c84536bd3c366")
        self.assertSameArrays(rec["features"], sent)
        self.assertEqual(set(self.r.get(image_id, types=["phash"])["features"]), {"phash"})
        self.assertTrue(self.w.delete(image_id))
        self.assertIsNone(self.r.get(image_id))
        self.assertFalse(self.w.delete(image_id))

    def test_groups_of_records(self):
        group = uid("group")
        ids = [uid("g1"), uid("g2")]
        self.w.batch_set([{"image_id": i, "features": {"x": 1}, "groups": [group]} for i in ids])
        self.assertEqual(sorted(self.r.group(group)), sorted(ids))
        self.assertEqual(self.w.delete_group(group), 2)
        self.assertEqual(self.r.batch_get(ids)["missing"], ids)

    def test_keys_and_scopes(self):
        with self.assertRaises(FeatcacheError) as cm:
            self.r.put(uid("scope"), {"x": 1})
        self.assertEqual((cm.exception.code, cm.exception.status), ("FORBIDDEN", 403))
        with self.assertRaises(FeatcacheError) as cm:
            FeatcacheClient(URL).stats()
        self.assertEqual((cm.exception.code, cm.exception.status), ("UNAUTHORIZED", 401))
        with self.assertRaises(FeatcacheError) as cm:
            FeatcacheClient(URL, "not-a-key-of-this-service").get("x")
        self.assertEqual(cm.exception.code, "UNAUTHORIZED")

    def test_invalid_input_names_its_code(self):
        with self.assertRaises(FeatcacheError) as cm:
            self.w.put("bad\u0001id", {"x": 1})
        self.assertEqual(cm.exception.code, "INVALID_IMAGE_ID")
        with self.assertRaises(FeatcacheError) as cm:
            self.r.similar(hash="not-hex")
        self.assertEqual((cm.exception.code, cm.exception.status), ("INVALID_REQUEST", 400))

    def test_stats_health_ready(self):
        self.assertIn("cached_images", self.r.stats())
        health = self.r.health()
        self.assertEqual(health["status"], "healthy")
        self.assertTrue(health["redis_connected"])
        self.assertTrue(FeatcacheClient(URL).ready())  # /readyz is public

    def test_no_service_is_a_transport_error(self):
        with self.assertRaises(FeatcacheTransportError) as cm:
            FeatcacheClient("http://127.0.0.1:9", timeout=5).stats()
        self.assertEqual(cm.exception.code, "TRANSPORT_ERROR")


@unittest.skipUnless(URL and WRITE_KEY and IMAGES, "set FEATCACHE_URL, FEATCACHE_WRITE_KEY and FEATCACHE_TEST_IMAGES")
class ImagesTest(unittest.TestCase):
    """Uploads, similarity, verification and groups (extracted records)."""

    @classmethod
    def setUpClass(cls):
        cls.c = FeatcacheClient(URL, WRITE_KEY, max_batch=MAX_BATCH)
        cls.path = {n: os.path.join(IMAGES, f"{n}.png") for n in ("a-source", "a-rotate90", "g-source", "f-source")}
        cls.extracted = {n: cls.c.features(p, n) for n, p in cls.path.items()}
        with open(cls.path["f-source"], "rb") as f:
            cls.extracted["f-copy"] = cls.c.features(f, "f-copy")  # a file object, the same bytes

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def test_extracted_features_come_back_as_numpy_arrays(self):
        f = self.extracted["a-source"]["features"]
        self.assertRegex(f["phash"], "^[0-9a-f]{16}$")
        orb = f["orb"]
        self.assertEqual(orb["descriptors"].dtype, np.uint8)
        self.assertEqual(orb["keypoints"].dtype, np.uint16)
        self.assertGreater(orb["descriptors"].size, 0)
        again = self.c.features(self.path["a-source"], "a-source")
        self.assertTrue(again["cached"])
        self.assertEqual(again["features"]["orb"]["descriptors"].tobytes(), orb["descriptors"].tobytes())

    def test_similar_by_id_by_hash_and_by_upload(self):
        by_id = self.c.similar("f-source", max_distance=0)
        self.assertEqual([n["image_id"] for n in by_id["neighbors"]], ["f-copy"])
        phash = self.extracted["g-source"]["features"]["phash"]
        by_hash = self.c.similar(hash=phash, max_distance=0)
        self.assertIn("g-source", [n["image_id"] for n in by_hash["neighbors"]])
        by_upload = self.c.similar(image=self.path["f-source"], max_distance=0)
        self.assertEqual(sorted(n["image_id"] for n in by_upload["neighbors"]), ["f-copy", "f-source"])
        self.assertFalse(by_upload["uploaded"]["stored"])
        rotated = self.c.similar("a-source", orientations="all", max_distance=4)
        self.assertIn("a-rotate90", [n["image_id"] for n in rotated["neighbors"]])

    def test_compare(self):
        pairs = self.c.compare(["f-source", "f-copy", "g-source", "nope"], max_distance=0)
        self.assertEqual([(p["a"], p["b"], p["distance"]) for p in pairs["pairs"]], [("f-source", "f-copy", 0)])
        self.assertEqual(pairs["missing"], ["nope"])

    def test_verify_by_id_and_by_upload(self):
        self.assertEqual(self.c.verify("f-source", "f-copy")["verdict"], "identical")
        self.assertEqual(self.c.verify("a-source", "g-source")["verdict"], "unrelated")
        related = self.c.verify(image_a=self.path["a-source"], image_b=self.path["a-rotate90"])
        self.assertIn(related["verdict"], ("near_duplicate", "derived"))
        self.assertIsNone(related["image_id_a"])
        png = self.c.verify(image_a=self.path["a-source"], image_b=self.path["a-rotate90"], render=True)
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        with self.assertRaises(FeatcacheError) as cm:
            self.c.verify("a-source", "never-uploaded")
        self.assertEqual((cm.exception.code, cm.exception.status), ("NOT_FOUND", 404))

    def test_groups(self):
        answer = self.c.groups(["a-source", "g-source", "a-rotate90", "f-source", "f-copy", "nope"])
        self.assertEqual(answer["groups"], [["a-source", "a-rotate90"], ["f-source", "f-copy"]])
        self.assertEqual(answer["missing"], ["nope"])
        edge = next(e for e in answer["edges"] if e["a"] == "f-source")
        self.assertEqual(edge["verdict"], "identical")

    def test_provenance_by_id_and_by_upload(self):
        by_id = self.c.provenance("a-rotate90", limit=5)
        self.assertEqual(by_id["image_id"], "a-rotate90")
        source = next(c for c in by_id["candidates"] if c["image_id"] == "a-source")
        self.assertIn(source["verdict"], ("near_duplicate", "derived"))
        related = {c["image_id"] for c in by_id["candidates"] if c.get("verdict") in ("identical", "near_duplicate", "derived")}
        self.assertNotIn("g-source", related)
        by_upload = self.c.provenance(image=self.path["a-rotate90"], verify=False)
        self.assertIsNone(by_upload["image_id"])
        self.assertIn("a-source", [c["image_id"] for c in by_upload["candidates"]])
        self.assertTrue(all("verdict" not in c for c in by_upload["candidates"]))
        with self.assertRaises(FeatcacheError) as cm:
            self.c.provenance("never-uploaded")
        self.assertEqual((cm.exception.code, cm.exception.status), ("NOT_FOUND", 404))


if __name__ == "__main__":
    unittest.main()
