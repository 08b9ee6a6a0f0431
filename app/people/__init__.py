"""The People tab: scan a photo library, people and unnamed groups as faces, fixing a group, the review queue."""

from app.people.panel import PeoplePanel

__all__ = ["PeoplePanel"]
