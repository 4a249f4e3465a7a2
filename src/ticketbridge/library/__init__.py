"""The Python library: the async `Bridge` and the synchronous facade the seed products taught."""
