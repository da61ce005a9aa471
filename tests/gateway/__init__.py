"""Tests of the gateway: web form, JSON API, OpenAPI, the run command."""
