"""Provider clients: one module per API behind the small interface in `providers.base`."""

from providers.base import (
    ChatRequest,
    ChatResponse,
    Message,
    Provider,
    ProviderError,
    ProviderStats,
    Usage,
)
from providers.config import ProviderConfig, RetryPolicy
from providers.options import DecodingOptions

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "DecodingOptions",
    "Message",
    "Provider",
    "ProviderConfig",
    "ProviderError",
    "ProviderStats",
    "RetryPolicy",
    "Usage",
]
