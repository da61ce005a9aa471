"""The generic signed webhook door: an agency's own app, Standard Webhooks signatures, a JSON Pointer mapping."""
