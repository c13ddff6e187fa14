"""Search the space's public things by text, by location and by unit, and print the results.

On the embedded space (the default) the space starts empty, so this example first lets a demo
agent create three public weather stations to find.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from iotic_app import App, Client, Datatypes, Units

STATIONS = [
    # lid, label, (lat, lon), unit of its reading
    ("station_london", "London weather station", (51.5072, -0.1276), Units.CELSIUS),
    ("station_paris", "Paris weather station", (48.8566, 2.3522), Units.CELSIUS),
    ("station_oslo", "Oslo humidity station", (59.9139, 10.7522), Units.PERCENT),
]


def say(message: str) -> None:
    """Print *message* as one write, so lines of agents on different threads never mix."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def create_demo_stations(client: Any) -> None:
    """Create the demo weather stations as public things of *client*'s agent."""
    for lid, label, (lat, lon), unit in STATIONS:
        thing = client.create_thing(lid)
        with thing.get_meta() as meta:
            meta.set_label(label)
            meta.set_description("A demo station of the iotic_app search example")
            meta.set_location(lat, lon)
        thing.create_tag(["weather", "iotic-app-example"])
        feed = thing.create_feed("reading")
        feed.create_value("value", Datatypes.DECIMAL, unit=unit)
        thing.set_public()


def show(title: str, result: dict[str, Any]) -> None:
    """Print one search's results."""
    say(f"[search] {title}: {len(result)} found")
    for guid, thing in result.items():
        where = "" if thing["lat"] is None else f" at ({thing['lat']:.2f}, {thing['long']:.2f})"
        points = ", ".join(f"{p['type']} {p['label'] or g}" for g, p in thing["points"].items())
        say(f"[search]   {thing['label']}{where} [{guid[:8]}] points: {points}")


def build_app(config: Any = None) -> App:
    """Return the searching agent: it runs three searches and ends."""
    app = App(config=config, retrying=True, retry_timeout=2, name="search_things")
    demo: list[Client] = []

    @app.startup
    def demo_stations(client: Any) -> None:
        if client.config.scheme == "local" and not client.search(text="weather"):
            say("[search] embedded space: a demo agent creates 3 weather stations")
            stations = Client(client.config.with_agent("demo_stations"))
            stations.start()
            create_demo_stations(stations)
            demo.append(stations)

    @app.main
    def search(client: Any) -> None:
        show("text 'weather'", client.search(text="weather"))
        show(
            "within 500 km of Brussels",
            client.search(location={"lat": 50.85, "long": 4.35, "radius": 500}),
        )
        show("unit percent", client.search(unit=Units.PERCENT))

    @app.shutdown
    def stop_demo() -> None:
        for client in demo:
            client.stop()

    return app


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the agent in the foreground."""
    parser = argparse.ArgumentParser(description="Search public things.")
    parser.add_argument(
        "--config",
        help="local://NAME, an .ini path; default <script>.ini here, $IOTIC_APP_CONFIG or local://",
    )
    args = parser.parse_args(argv)
    build_app(args.config).run()


if __name__ == "__main__":
    main()
