"""The conformance kit: property-based checks of any live Group API server against the contract."""
