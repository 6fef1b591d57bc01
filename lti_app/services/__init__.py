"""The service layer: what the tool does, in terms of the domain (courseware) and the adapters."""
