"""One open connection per worker process to a peer (the mail server, the SMSC), kept between messages.

Opening a connection costs round trips (TCP, greeting, TLS, login or bind) that would otherwise be paid for
every message. A link is reused while the settings stay the same, closed on any failure, and opened again
once when a kept link turns out to have been dropped by the peer while idle, before it accepted anything.
"""

import threading
from collections.abc import Callable


class KeptLink:
    def __init__(self, open_link: Callable, close_link: Callable):
        self.lock = threading.Lock()
        self._open, self._close = open_link, close_link
        self._link = None
        self._settings = None

    def use(self, settings, first: Callable, dropped: tuple[type[BaseException], ...], rest: Callable | None = None):
        """Run `first(link)`, then `rest(link)`, one caller at a time. Only `first` is tried again on a fresh
        link, and only if the kept one raised `dropped`: whatever `rest` sends may have been accepted."""
        with self.lock:
            reused = self._ensure(settings)
            try:
                try:
                    result = first(self._link)
                except dropped:
                    if not reused:
                        raise
                    self._drop()
                    self._ensure(settings)
                    result = first(self._link)
                if rest is not None:
                    rest(self._link)
                return result
            except BaseException:
                self._drop()
                raise

    def close(self) -> None:
        """Close the link (at shutdown, or when a test's peer goes away)."""
        with self.lock:
            self._drop()

    def _ensure(self, settings) -> bool:
        """Whether the link was kept from before (else it was opened now)."""
        if self._link is not None and self._settings == settings:
            return True
        self._drop()
        self._link, self._settings = self._open(settings), settings
        return False

    def _drop(self) -> None:
        link, self._link, self._settings = self._link, None, None
        if link is not None:
            self._close(link)
