"""What a channel raises when it cannot send: a message written for the admin who reads `last_error`."""


class ChannelError(Exception):
    """A failure the channel can explain (not configured, peer unreachable, peer refused); stored as is.

    Any other exception from a channel is a failure too, stored with its type name; the message is retried
    either way, since an operator fixing the configuration or the peer coming back makes the next try work.
    """
