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

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "Message",
    "Provider",
    "ProviderConfig",
    "ProviderError",
    "ProviderStats",
    "RetryPolicy",
    "Usage",
]
