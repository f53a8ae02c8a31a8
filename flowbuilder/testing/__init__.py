"""flowbuilder's pytest plugin (entry point ``pytest11``): fixtures and assertions for flows."""

__all__: list[str] = []
