"""Which agents' things the directory subscribes next: a batch a broker sends without dropping."""

from __future__ import annotations

__all__ = ["BUDGET", "Batches"]

#: About this many retained documents per SUBSCRIBE. A broker sends a subscription's retained
#: messages at once: a stock Mosquitto (1,000 queued messages per client) delivered about 10,000
#: of a single ``ROOT/+/+/meta`` subscription and dropped the rest (measured: 10,316 of 30,000).
BUDGET = 3000
MAX_FILTERS = 500  # per SUBSCRIBE
_FIRST_GUESS = BUDGET  # an agent never seen before, before any was: alone in its batch


class Batches:
    """Agents whose things are to be subscribed, given out a batch at a time, sized by what
    each agent had last time (from the index) or the average seen so far."""

    def __init__(self) -> None:
        self.known: dict[str, int] = {}  # agent -> documents it had (estimates)
        self.pending: list[str] = []
        self.queued: set[str] = set()  # pending or subscribed
        self._docs = 0  # documents that came in batches so far, and their agents
        self._agents = 0

    def reset(self, known: dict[str, int]) -> None:
        """A new connection: nothing subscribed yet; *known* are the index's counts."""
        self.known = dict(known)
        self.pending.clear()
        self.queued.clear()
        self._docs = self._agents = 0

    def add(self, agent: str) -> bool:
        """Queue *agent* (seen for the first time on this connection); whether it was new."""
        if agent in self.queued:
            return False
        self.queued.add(agent)
        self.pending.append(agent)
        return True

    def _guess(self, agent: str) -> int:
        if agent in self.known:
            return max(1, self.known[agent])
        if not self._agents:
            return _FIRST_GUESS
        return max(1, round(self._docs / self._agents))

    def next(self) -> list[str]:
        """The next batch: at least one agent while any is pending, at most about BUDGET
        documents and MAX_FILTERS agents."""
        batch: list[str] = []
        total = 0
        while self.pending and len(batch) < MAX_FILTERS:
            guess = self._guess(self.pending[0])
            if batch and total + guess > BUDGET:
                break
            batch.append(self.pending.pop(0))
            total += guess
        return batch

    def done(self, agents: list[str], docs: int) -> None:
        """A batch of *agents* brought *docs* documents: better guesses for the next."""
        self._docs += docs
        self._agents += len(agents)
