"""FeatcacheClient: the featcache HTTP service from Python (docs/HTTP.md).

Every request body is msgpack and every answer is asked for in msgpack, so typed
arrays keep their type: numpy arrays in, numpy arrays of the same dtype out,
bit-exact. Error answers raise FeatcacheError with the service's ``code``.
"""
from __future__ import annotations

import os
from typing import IO, Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import quote

import requests

from . import wire
from .errors import FeatcacheError, FeatcacheTransportError

MSGPACK = "application/msgpack"

#: An image to upload: its bytes, a path, or a binary file object.
ImageInput = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]

#: One item of batch_set: a mapping {image_id, features, ttl_seconds?, groups?} or a pair (image_id, features).
BatchItem = Union[Mapping[str, Any], Tuple[str, Mapping[str, Any]]]


def _image_bytes(image: ImageInput) -> bytes:
    if isinstance(image, (bytes, bytearray, memoryview)):
        return bytes(image)
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb") as f:
            return f.read()
    return image.read()


def _chunks(seq: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def _query_value(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def _options(**kwargs: Any) -> Dict[str, Any]:
    """The options that were given (None means: the service's default)."""
    return {k: v for k, v in kwargs.items() if v is not None}


class FeatcacheClient:
    """A client of one featcache service.

    ``api_key``: a read or write key of ``FEATCACHE_API_KEYS`` (sent as
    ``Authorization: Bearer``). ``max_batch``: IDs or items per batch request;
    longer batches are split (keep it at most the service's ``FEATCACHE_MAX_BATCH``,
    1000 by default). ``bin_as_array``: answer ``Uint8Array`` features (bin) as
    ``uint8`` numpy arrays (default) or as ``bytes``.
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        api_key: Optional[str] = None,
        *,
        timeout: float = 60.0,
        max_batch: int = 1000,
        bin_as_array: bool = True,
        session: Optional[requests.Session] = None,
    ):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_batch = max_batch
        self._decode = wire.decoder(bin_as_array)
        self._session = session or requests.Session()
        self._headers = {"accept": MSGPACK}
        if api_key:
            self._headers["authorization"] = f"Bearer {api_key}"

    # -- plumbing -------------------------------------------------------------

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "FeatcacheClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Optional[Mapping[str, Any]] = None,
        files: Optional[Mapping[str, Tuple[str, bytes, str]]] = None,
        accept_status: Tuple[int, ...] = (),
    ) -> requests.Response:
        headers = dict(self._headers)
        data = None
        if body is not None:
            headers["content-type"] = MSGPACK
            data = wire.encode(body)
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        try:
            res = self._session.request(
                method, self.base_url + path, headers=headers, data=data, params=query or None, files=files, timeout=self.timeout
            )
        except requests.RequestException as err:
            raise FeatcacheTransportError(f"{method} {path}: {err}") from err
        if res.status_code >= 400 and res.status_code not in accept_status:
            raise self._error(res)
        return res

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._answer(self._request(method, path, **kwargs))

    def _answer(self, res: requests.Response) -> Any:
        kind = res.headers.get("content-type", "")
        if "msgpack" in kind:
            return self._decode(res.content)
        if "json" in kind:
            return res.json()
        return res.content

    @staticmethod
    def _error(res: requests.Response) -> FeatcacheError:
        request_id = res.headers.get("x-request-id")
        try:
            err = res.json()["error"]
            return FeatcacheError(str(err["code"]), str(err.get("message", "")), res.status_code, request_id)
        except (ValueError, KeyError, TypeError):
            # not the service's error format (a proxy in between, say)
            return FeatcacheError(f"HTTP_{res.status_code}", res.text[:200], res.status_code, request_id)

    @staticmethod
    def _id(image_id: str) -> str:
        return quote(image_id, safe="")

    # -- records --------------------------------------------------------------

    def get(self, image_id: str, types: Optional[Sequence[str]] = None, source: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """The record ``{image_id, version, features, created_at, source}``, or None when not cached."""
        params = _options(types=",".join(types) if types else None, source=source)
        res = self._request("GET", f"/analysis/cache/image/{self._id(image_id)}", params=params, accept_status=(404,))
        if res.status_code == 404:
            err = self._error(res)
            if err.code == "NOT_FOUND":
                return None
            raise err
        return self._record(self._answer(res))

    def put(
        self,
        image_id: str,
        features: Mapping[str, Any],
        *,
        ttl_seconds: Optional[int] = None,
        groups: Optional[Sequence[str]] = None,
    ) -> Dict[str, Any]:
        """Stores the features of one image (replacing its record); ``{image_id, version}``."""
        body = {"features": features, **_options(ttl_seconds=ttl_seconds, groups=list(groups) if groups is not None else None)}
        return self._record(self._call("PUT", f"/analysis/cache/image/{self._id(image_id)}", body=body))

    def delete(self, image_id: str) -> bool:
        """Removes one record; False when there was none."""
        res = self._request("DELETE", f"/analysis/cache/image/{self._id(image_id)}", accept_status=(404,))
        if res.status_code == 404:
            err = self._error(res)
            if err.code == "NOT_FOUND":
                return False
            raise err
        return True

    def batch_get(
        self, image_ids: Sequence[str], types: Optional[Sequence[str]] = None, source: Optional[str] = None
    ) -> Dict[str, Any]:
        """``{"found": {image_id: record}, "missing": [image_id, ...]}``, in requests of at most ``max_batch`` IDs."""
        found: Dict[str, Any] = {}
        missing: List[str] = []
        for chunk in _chunks(list(image_ids), self.max_batch):
            body = {"image_ids": list(chunk), **_options(types=list(types) if types else None, source=source)}
            answer = self._call("POST", "/analysis/cache/batch-get", body=body)
            found.update(answer["found"])
            missing.extend(answer["missing"])
        return {"found": found, "missing": missing}

    def batch_set(self, items: Iterable[BatchItem]) -> Dict[str, int]:
        """Stores many records, in requests of at most ``max_batch`` items; ``{written, requested}`` summed.

        An item is ``{"image_id", "features", "ttl_seconds"?, "groups"?}`` or ``(image_id, features)``.
        Each request is all-or-nothing on the service; an error stops at the request that failed.
        """
        normalized = [{"image_id": it[0], "features": it[1]} if isinstance(it, tuple) else dict(it) for it in items]
        if not normalized:
            raise ValueError("batch_set needs at least one item")
        total = {"written": 0, "requested": 0}
        for chunk in _chunks(normalized, self.max_batch):
            answer = self._call("POST", "/analysis/cache/batch-set", body={"items": list(chunk)})
            total["written"] += int(answer["written"])
            total["requested"] += int(answer["requested"])
        return total

    def group(self, group: str) -> List[str]:
        """The image IDs of a group."""
        return list(self._call("GET", f"/analysis/cache/group/{self._id(group)}")["image_ids"])

    def delete_group(self, group: str) -> int:
        """Invalidates every image of a group; the number invalidated."""
        return int(self._call("DELETE", f"/analysis/cache/group/{self._id(group)}")["invalidated"])

    # -- service --------------------------------------------------------------

    def stats(self) -> Dict[str, Any]:
        return dict(self._call("GET", "/analysis/cache/stats")["stats"])

    def health(self) -> Dict[str, Any]:
        """The health answer, healthy (200) or not (503: ``status`` is ``"unhealthy"``, no exception)."""
        return dict(self._call("GET", "/analysis/cache/health", accept_status=(503,)))

    def ready(self) -> bool:
        """True when ``/readyz`` answers 200 (Redis reachable, not shutting down)."""
        return self._request("GET", "/readyz", accept_status=(503,)).status_code == 200

    def cleanup(self) -> Dict[str, Any]:
        return self._record(self._call("POST", "/analysis/cache/cleanup"))

    # -- images, similarity, provenance ----------------------------------------

    def features(self, image: ImageInput, image_id: str) -> Dict[str, Any]:
        """Uploads an image; the service extracts (or finds cached) its features under ``image_id``."""
        files = {"image": ("upload", _image_bytes(image), "application/octet-stream")}
        return self._record(self._call("POST", "/analysis/features", params={"image_id": image_id}, files=files))

    def similar(
        self,
        image_id: Optional[str] = None,
        *,
        hash: Optional[str] = None,
        field: Optional[str] = None,
        image: Optional[ImageInput] = None,
        upload_id: Optional[str] = None,
        max_distance: Optional[int] = None,
        limit: Optional[int] = None,
        with_features: Optional[bool] = None,
        include_self: Optional[bool] = None,
        source: Optional[str] = None,
        orientations: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Near-duplicates within ``max_distance`` bits, nearest first (``neighbors``).

        Query by exactly one of ``image_id`` (a cached image), ``hash`` (16 hex digits
        of ``field``, default phash) or ``image`` (an upload; with ``upload_id`` its
        features are also stored under that ID, which needs a write key).
        """
        if sum(x is not None for x in (image_id, hash, image)) != 1:
            raise ValueError("similar() takes exactly one of image_id, hash, image")
        opts = _options(
            field=field, max_distance=max_distance, limit=limit, with_features=with_features,
            include_self=include_self, source=source, orientations=orientations,
        )
        if image is not None:
            files = {"image": ("upload", _image_bytes(image), "application/octet-stream")}
            return self._record(self._call("POST", "/analysis/similar", params={**opts, "image_id": upload_id}, files=files))
        if upload_id is not None:
            raise ValueError("upload_id goes with image=")
        body = {**opts, **({"image_id": image_id} if image_id is not None else {"hash": hash})}
        return self._record(self._call("POST", "/analysis/similar", body=body))

    def compare(
        self,
        image_ids: Sequence[str],
        *,
        max_distance: Optional[int] = None,
        field: Optional[str] = None,
        source: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Every pair within ``max_distance`` bits inside a set of cached images (``pairs``)."""
        body = {"image_ids": list(image_ids), **_options(max_distance=max_distance, field=field, source=source)}
        return self._record(self._call("POST", "/analysis/compare", body=body))

    def verify(
        self,
        image_id_a: Optional[str] = None,
        image_id_b: Optional[str] = None,
        *,
        image_a: Optional[ImageInput] = None,
        image_b: Optional[ImageInput] = None,
        render: bool = False,
    ) -> Any:
        """Are two images related, and how? ``verdict``, ``inliers``, ``transform``, ``overlap``, ``reasons``.

        Two cached images by ID, or two uploads (``image_a``, ``image_b``; nothing is
        stored). With uploads, ``render=True`` answers the PNG match picture (bytes).
        """
        if image_a is not None or image_b is not None:
            if image_a is None or image_b is None or image_id_a is not None or image_id_b is not None:
                raise ValueError("verify() takes two IDs or two images (image_a and image_b)")
            files = {
                "image_a": ("a", _image_bytes(image_a), "application/octet-stream"),
                "image_b": ("b", _image_bytes(image_b), "application/octet-stream"),
            }
            answer = self._call("POST", "/analysis/verify", params={"render": "png"} if render else None, files=files)
            return answer if render else self._record(answer)
        if image_id_a is None or image_id_b is None:
            raise ValueError("verify() takes two IDs or two images (image_a and image_b)")
        if render:
            raise ValueError("render=True needs the images themselves (image_a, image_b)")
        return self._record(self._call("POST", "/analysis/verify", body={"image_id_a": image_id_a, "image_id_b": image_id_b}))

    def groups(self, image_ids: Sequence[str]) -> Dict[str, Any]:
        """Groups of related images among cached ones, with ``edges`` (verdict and reasons per pair)."""
        return self._record(self._call("POST", "/analysis/groups", body={"image_ids": list(image_ids)}))

    def provenance(
        self,
        image_id: Optional[str] = None,
        *,
        image: Optional[ImageInput] = None,
        limit: Optional[int] = None,
        verify: Union[int, bool, None] = None,
        donors: Optional[bool] = None,
    ) -> Dict[str, Any]:
        """Where does an image come from? Its sources among the cached images (``candidates``, best first).

        A cached image by ID, or an upload (``image``; nothing is stored). Each candidate
        has ``image_id``, ``votes``, ``tier`` (``host``, ``donor`` or ``appearance``: the
        texture-poor tier, found by appearance with 0 votes) and, when verified,
        ``verdict``, ``inliers`` and ``reasons``. ``verify``: how many top candidates to
        verify (False: none). Needs ``FEATCACHE_PROVENANCE_INDEX`` on the service
        (otherwise code ``PROVENANCE_NOT_ENABLED``).
        """
        if (image_id is None) == (image is None):
            raise ValueError("provenance() takes exactly one of image_id, image")
        if verify is True:
            raise ValueError("verify is a number of candidates, or False")
        opts = _options(limit=limit, verify=verify, donors=donors)
        if image is not None:
            files = {"image": ("upload", _image_bytes(image), "application/octet-stream")}
            return self._record(self._call("POST", "/analysis/provenance", params=opts, files=files))
        return self._record(self._call("POST", "/analysis/provenance", body={"image_id": image_id, **opts}))

    @staticmethod
    def _record(answer: Any) -> Dict[str, Any]:
        """The answer without its ``success`` flag (errors have raised already)."""
        out = dict(answer)
        out.pop("success", None)
        return out
