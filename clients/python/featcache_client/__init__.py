"""Python client for the featcache HTTP service (docs/HTTP.md; README "Python client")."""
from .client import FeatcacheClient
from .errors import FeatcacheError, FeatcacheTransportError
from .wire import EXT_DTYPES, WireTypeError, decoder, encode

__all__ = ["FeatcacheClient", "FeatcacheError", "FeatcacheTransportError", "WireTypeError", "EXT_DTYPES", "encode", "decoder"]
__version__ = "0.1.0"
