"""The agent's MQTT settings and the topic names of its own (the client id is settled at start)."""

from __future__ import annotations

import attrs

from iotic_app._config import AgentConfig
from iotic_app._config_mqtt import take_mqtt_settings
from iotic_app.transports.mqtt._thingdoc import seg

__all__ = ["Names"]


class Names:
    """Who the agent is on the broker: its settings, and the topics every part of the
    transport uses (``reply`` and ``session`` name the client id, known once started)."""

    __slots__ = (
        "agent_id",
        "base",
        "levels",
        "member",
        "owner",
        "owners",
        "reply",
        "root",
        "session",
        "settings",
        "status",
    )

    def __init__(self, config: AgentConfig) -> None:
        """Take *config*'s MQTT settings: checked when it was parsed, or now (``ValueError``
        when one is not valid); see ``take_mqtt_settings``."""
        self.agent_id = config.agent_id
        self.settings = take_mqtt_settings(config)
        self.root = self.settings.root
        self.levels = self.root.count("/")  # a topic's levels beyond the root's
        self.base = f"{self.root}/{seg(self.agent_id)}"
        self.status = f"{self.base}/_status"
        # owners: ROOT/_owner/OWNER/AGENT retained says AGENT belongs to OWNER ('_owner' is no
        # agent name); the agent publishes its own when it belongs to another owner
        self.owner = config.owner
        self.owners = f"{self.root}/_owner/"
        self.member = f"{self.owners}{seg(self.owner)}/{seg(self.agent_id)}"
        self.reply = ""
        self.session = ""

    def use_client_id(self, cid: str) -> bool:
        """Take *cid* as the MQTT client id (it names the reply and session topics).

        Returns:
            Whether it differs from the client id the settings had.
        """
        changed = cid != self.settings.client_id
        if changed:
            self.settings = attrs.evolve(self.settings, client_id=cid)
        self.reply = f"{self.root}/_reply/{seg(cid)}"
        self.session = f"{self.base}/_session/{seg(cid)}"
        return changed
