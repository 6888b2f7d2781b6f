"""The service's msgpack wire format (docs/HTTP.md, "Content negotiation and msgpack").

Typed arrays travel as msgpack ext values whose payload is the array's raw
little-endian element bytes; ``Uint8Array`` is plain msgpack ``bin``. This module
maps them to and from one-dimensional numpy arrays of the same dtype, bit-exact
(-0.0, subnormals and every payload bit kept: the bytes are copied, never converted).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

import msgpack
import numpy as np

#: ext type code -> little-endian numpy dtype. Stable: the service never renumbers them.
EXT_DTYPES: Dict[int, np.dtype] = {
    0x10: np.dtype("<i1"),  # Int8Array
    0x11: np.dtype("u1"),  # Uint8ClampedArray (decoded as uint8; uint8 is sent as bin)
    0x12: np.dtype("<i2"),  # Int16Array
    0x13: np.dtype("<u2"),  # Uint16Array
    0x14: np.dtype("<i4"),  # Int32Array
    0x15: np.dtype("<u4"),  # Uint32Array
    0x16: np.dtype("<f4"),  # Float32Array
    0x17: np.dtype("<f8"),  # Float64Array
    0x18: np.dtype("<i8"),  # BigInt64Array
    0x19: np.dtype("<u8"),  # BigUint64Array
}

# (kind, itemsize) -> code for encoding; uint8 is not here: it goes as bin.
_CODE_BY_KIND: Dict[Tuple[str, int], int] = {
    (dt.kind, dt.itemsize): code for code, dt in EXT_DTYPES.items() if code != 0x11
}


class WireTypeError(TypeError):
    """A value the service's msgpack format cannot carry (float16, bool or 2-D arrays, ...)."""


def _array_payload(a: np.ndarray) -> Any:
    if a.ndim != 1:
        raise WireTypeError(
            f"featcache typed arrays are one-dimensional; got shape {a.shape} (send a.ravel() and keep the shape yourself)"
        )
    dt = a.dtype
    if dt.kind == "u" and dt.itemsize == 1:
        return a.tobytes()  # bin, the service's Uint8Array
    code = _CODE_BY_KIND.get((dt.kind, dt.itemsize))
    if code is None:
        hint = " (the service has no float16 type: convert with .astype(np.float32))" if dt.kind == "f" and dt.itemsize == 2 else ""
        raise WireTypeError(f"numpy dtype {dt} has no featcache msgpack ext type{hint}")
    little = a.astype(EXT_DTYPES[code], copy=False)  # a no-op on little-endian machines
    return msgpack.ExtType(code, little.tobytes())


def _default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return _array_payload(obj)
    # numpy scalars (np.float32(0.5), np.int64(3)): as the Python number they equal
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)  # float32 -> float64 widens exactly
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    raise WireTypeError(f"cannot send a {type(obj).__name__} to featcache")


def encode(value: Any) -> bytes:
    """msgpack bytes of ``value``; numpy arrays become the service's typed-array ext values."""
    return msgpack.packb(value, default=_default, use_bin_type=True)


def _ext_hook(code: int, data: bytes) -> Any:
    dt = EXT_DTYPES.get(code)
    if dt is None:
        return msgpack.ExtType(code, data)
    if len(data) % dt.itemsize != 0:
        raise ValueError(f"ext type {code}: payload of {len(data)} bytes is not a multiple of {dt.itemsize}")
    return np.frombuffer(data, dtype=dt).copy()  # a writable array of its own


def _bin_to_array(v: bytes) -> np.ndarray:
    return np.frombuffer(v, dtype=np.uint8).copy()


def _bin_to_array_in_map(d: Dict[Any, Any]) -> Dict[Any, Any]:
    # Map values that are bin, and lists of bin (judged by their first item, so the
    # long number lists of feature records are not walked in Python: a list_hook
    # over every list doubled the decoding time of 1,000 seed records).
    for k, v in d.items():
        t = type(v)
        if t is bytes:
            d[k] = _bin_to_array(v)
        elif t is list and v and type(v[0]) is bytes:
            d[k] = [_bin_to_array(x) if type(x) is bytes else x for x in v]
    return d


def decoder(bin_as_array: bool = True) -> Callable[[bytes], Any]:
    """A function decoding the service's msgpack answers.

    Typed arrays become numpy arrays of their dtype. ``bin`` values (the service's
    ``Uint8Array``s, e.g. ORB descriptors) that are map values, or items of a list
    (map value) whose first item is one, become ``uint8`` arrays too, unless
    ``bin_as_array`` is false (then ``bytes``). Integers beyond 2**53 stay exact.
    """
    hooks: Dict[str, Any] = {"ext_hook": _ext_hook, "raw": False, "strict_map_key": False}
    if bin_as_array:
        hooks["object_hook"] = _bin_to_array_in_map

    def decode(data: bytes) -> Any:
        return msgpack.unpackb(data, **hooks)

    return decode
