"""Open311 GeoReport v2: the request form, the services, JSON and XML answers."""
