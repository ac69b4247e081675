"""The IgNet engine's exception types."""


class IgNetError(ValueError):
    """A bad network configuration or bad input arrays; the message names the field."""


class DivergenceError(IgNetError):
    """Training produced a NaN or infinite loss; the message names the epoch and layer."""
