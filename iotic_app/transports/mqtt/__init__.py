"""The ``mqtt://`` / ``mqtts://`` transport: the client API on an MQTT broker, with paho-mqtt."""

from iotic_app.transports.mqtt._settings import MqttSettings
from iotic_app.transports.mqtt._transport import MqttTransport

__all__ = ["MqttSettings", "MqttTransport"]
