"""The msgpack wire format alone (no service): ext codes, byte order, refusals."""
import struct
import unittest

import msgpack
import numpy as np

from featcache_client import EXT_DTYPES, WireTypeError, decoder, encode

decode = decoder()


class WireTest(unittest.TestCase):
    def test_ext_codes_are_those_of_docs_http(self):
        # docs/HTTP.md: 0x10 Int8Array ... 0x19 BigUint64Array, little-endian payloads
        expected = {0x10: "i1", 0x11: "u1", 0x12: "i2", 0x13: "u2", 0x14: "i4", 0x15: "u4", 0x16: "f4", 0x17: "f8", 0x18: "i8", 0x19: "u8"}
        self.assertEqual({c: d.kind + str(d.itemsize) for c, d in EXT_DTYPES.items()}, expected)
        self.assertTrue(all(d.byteorder in ("<", "|") or (d.byteorder == "=" and np.little_endian) for d in EXT_DTYPES.values()))

    def test_float32_is_ext_22_with_little_endian_bytes(self):
        packed = encode({"v": np.array([1.0, -0.0], dtype=np.float32)})
        raw = msgpack.unpackb(packed, raw=False)
        self.assertEqual(raw["v"].code, 0x16)
        self.assertEqual(raw["v"].data, struct.pack("<2f", 1.0, -0.0))

    def test_big_endian_arrays_are_sent_little_endian(self):
        a = np.array([1.5, -2.25], dtype=">f8")
        raw = msgpack.unpackb(encode(a), raw=False)
        self.assertEqual(raw.code, 0x17)
        self.assertEqual(raw.data, struct.pack("<2d", 1.5, -2.25))

    def test_uint8_is_bin_and_comes_back_as_uint8(self):
        a = np.arange(256, dtype=np.uint8)
        packed = encode({"d": a})
        self.assertIsInstance(msgpack.unpackb(packed, raw=False)["d"], bytes)
        back = decode(packed)["d"]
        self.assertEqual(back.dtype, np.uint8)
        self.assertTrue(np.array_equal(back, a))
        self.assertIsInstance(decoder(bin_as_array=False)(packed)["d"], bytes)
        listed = decode(encode({"l": [b"\x01\x02", b"\x03"], "n": [1, b"x"]}))
        self.assertEqual([a.tolist() for a in listed["l"]], [[1, 2], [3]])
        self.assertEqual(listed["n"], [1, b"x"])  # lists are judged by their first item

    def test_every_dtype_round_trips_bit_exact(self):
        for code, dt in EXT_DTYPES.items():
            if code == 0x11:
                continue
            info = np.finfo(dt) if dt.kind == "f" else np.iinfo(dt)
            a = np.array([info.min, info.max, 0, 1], dtype=dt)
            back = decode(encode([a]))[0]
            self.assertEqual(back.dtype, dt.newbyteorder("="), dt)
            self.assertEqual(back.tobytes(), a.tobytes(), dt)
            back[0] = 0  # a writable copy, not a view of the answer
        nan_payload = np.array([0x7FC00001], dtype="<u4").view("<f4")
        self.assertEqual(decode(encode(nan_payload)).tobytes(), nan_payload.tobytes())

    def test_uint8_clamped_decodes_as_uint8(self):
        back = decode(msgpack.packb(msgpack.ExtType(0x11, b"\x00\xff")))
        self.assertEqual(back.dtype, np.uint8)
        self.assertEqual(back.tolist(), [0, 255])

    def test_numpy_scalars_become_numbers(self):
        back = decode(encode({"f": np.float32(0.1), "i": np.int64(2**62), "b": np.bool_(True)}))
        self.assertEqual(back, {"f": float(np.float32(0.1)), "i": 2**62, "b": True})

    def test_refuses_what_the_service_cannot_carry(self):
        cases = [np.zeros(3, dtype=np.float16), np.zeros(3, dtype=bool), np.zeros((2, 2), dtype=np.float32), np.zeros(2, dtype=np.complex64), object()]
        for value in cases:
            with self.assertRaises(WireTypeError):
                encode({"x": value})
        with self.assertRaisesRegex(WireTypeError, "float32"):
            encode(np.zeros(1, dtype=np.float16))

    def test_a_truncated_payload_is_an_error(self):
        with self.assertRaises(ValueError):
            decode(msgpack.packb(msgpack.ExtType(0x16, b"\x00\x00\x80")))


if __name__ == "__main__":
    unittest.main()
